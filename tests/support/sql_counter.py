"""Count the SQL statements and transactions a piece of work sends to the database (SQLAlchemy events).

Counts are deterministic for a given database state, so tests may assert them (timings never). A
statement is anything sent through a cursor except transaction control (``BEGIN``, which
SQLAlchemy sends itself on SQLite and the driver sends implicitly on PostgreSQL, so counting it
would make the backends disagree); a transaction is one ``begin`` of a connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


@dataclass
class SqlCount:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0

    def __str__(self) -> str:
        listing = "\n".join(f"  {i + 1}. {' '.join(s.split())[:160]}" for i, s in enumerate(self.statements))
        return f"{len(self.statements)} statements in {self.transactions} transactions:\n{listing}"


@contextmanager
def counting_sql() -> Iterator[SqlCount]:
    """Count what every engine of this process sends while the block runs (the app's engine included)."""
    count = SqlCount()

    def on_statement(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(_CONTROL):
            count.statements.append(statement)

    def on_begin(_conn: Any) -> None:
        count.transactions += 1
        count.statements.append("BEGIN")

    event.listen(Engine, "before_cursor_execute", on_statement)
    event.listen(Engine, "begin", on_begin)
    try:
        yield count
    finally:
        event.remove(Engine, "before_cursor_execute", on_statement)
        event.remove(Engine, "begin", on_begin)
