"""Test databases on both backends.

SQLite: a migrated file per test, copied from a template migrated once per run.
PostgreSQL: a throwaway database per test on a real server (tests/support/postgres.py), cloned with
``CREATE DATABASE … TEMPLATE`` from a template migrated once per run, dropped after the test.
``BACKENDS`` lists the backends that database tests are parametrised over (fixture ``any_db_url``).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from db.engine import make_engine, read_session
from db.migrate import upgrade
from db.models import User
from tests.support.postgres import (
    LocalPostgres,
    PostgresDatabases,
    PostgresUnavailable,
    admin_url_from_env,
    check_server,
)

BACKENDS = ("sqlite", "postgresql")
_TEMPLATE: dict[str, Path] = {}

# Tests that take a backend run once on SQLite and once on the PostgreSQL server.
BACKEND_PARAMS = [pytest.param("sqlite", id="sqlite"),
                  pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def fresh_sqlite(tmp_dir: Path, template_dir: Path) -> str:
    """A migrated SQLite database file in ``tmp_dir`` (migrations run once, then the file is copied)."""
    if "sqlite" not in _TEMPLATE:
        template = template_dir / "template.db"
        upgrade(sqlite_url(template))
        _TEMPLATE["sqlite"] = template
    target = tmp_dir / "test.db"
    shutil.copyfile(_TEMPLATE["sqlite"], target)
    return sqlite_url(target)


def empty_sqlite(tmp_dir: Path) -> str:
    """A SQLite URL whose file does not exist yet (no schema)."""
    return sqlite_url(tmp_dir / "empty.db")


class PostgresForTests:
    """The run's PostgreSQL: ``TEST_PG_URL`` or a private server, started on first use, stopped at the end."""

    def __init__(self) -> None:
        self.server: LocalPostgres | None = None
        self.databases: PostgresDatabases | None = None
        self.error: PostgresUnavailable | None = None

    def get(self) -> PostgresDatabases:
        """Raises :class:`PostgresUnavailable` with the reason and the fix (tried once per run)."""
        if self.error is not None:
            raise self.error
        if self.databases is None:
            try:
                admin = admin_url_from_env()
                if admin is None:
                    self.server = LocalPostgres()
                    admin = self.server.start().url
                check_server(admin)
                self.databases = PostgresDatabases(admin)
            except PostgresUnavailable as exc:
                self.error = exc
                self.close()
                raise
        return self.databases

    def close(self) -> None:
        if self.databases is not None:
            self.databases.close()
        if self.server is not None:
            self.server.stop()


__all__ = ["BACKENDS", "PostgresForTests", "PostgresUnavailable", "empty_sqlite", "fresh_sqlite", "sqlite_url"]


def user_id(url: str, username: str) -> int:
    """The id of a user in the database at ``url``."""
    eng = make_engine(url)
    with read_session(eng) as s:
        uid = s.scalar(select(User.id).where(User.username == username))
    eng.dispose()
    assert uid is not None, username
    return uid
