"""The application's database as the app and the CLI open it: the configured URL, migrated to head.

Pages and the commands that read or write the application's data get their engine here, so both
open the same database the same way and the schema is current before the first query. The
``aigov db`` commands are the exception: they manage the schema itself (upgrade, check, dump,
restore into an empty database), so they open the database with ``db.engine``.
"""

from __future__ import annotations

from sqlalchemy import Engine

from db.engine import backend_name, database_url, get_engine
from db.migrate import upgrade

__all__ = ["backend_name", "database_url", "open_database"]


def open_database(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: DATABASE_URL), after bringing its schema to head."""
    url = url or database_url()
    upgrade(url)
    return get_engine(url)
