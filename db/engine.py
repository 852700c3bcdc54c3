"""Engine and session factories for SQLite (embedded default) and PostgreSQL.

SQLite gets WAL, a busy timeout, foreign keys and full durability on every connection, and SQLAlchemy emits
BEGIN itself so that write sessions can ask for ``BEGIN IMMEDIATE`` (two deferred writers on
SQLite deadlock into "database is locked"; see docs/operations.md).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from problems import ServiceError

DEFAULT_DB_FILE = "data/aigov.db"


class DatabaseSettingError(ValueError):
    """A database setting is unusable: DATABASE_URL malformed or naming an unsupported backend, or a
    malformed AIGOV_SQLITE_BUSY_TIMEOUT_S."""


def database_url() -> str:
    """The configured database URL: ``DATABASE_URL`` or the embedded SQLite file under ``data/``."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    path = Path(os.environ.get("AIGOV_DATA_DIR", "data")).resolve() / Path(DEFAULT_DB_FILE).name
    return f"sqlite:///{path}"


def backend_name(url: str | None = None) -> str:
    """"sqlite" or "postgresql" for the configured (or given) database URL."""
    return make_url(url or database_url()).get_backend_name()


def safe_url(url: str) -> str:
    """``url`` fit to print: the password masked (a malformed URL is shown as the backend's name only)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # sqlalchemy raises ArgumentError; never echo a string that may hold a password
        return "(malformed DATABASE_URL)"


def _check_url(url: str) -> None:
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError with a terse message
        raise DatabaseSettingError(
            f"DATABASE_URL {url!r} is not a database URL. Use sqlite:///path/to/file.db "
            "or postgresql+psycopg://user:password@host:5432/dbname."
        ) from exc
    if parsed.get_backend_name() not in {"sqlite", "postgresql"}:
        raise DatabaseSettingError(
            f"DATABASE_URL backend {parsed.get_backend_name()!r} is not supported. "
            "Use sqlite:///… or postgresql+psycopg://…"
        )


def _enter_wal(cur) -> None:
    """Switch a database file to WAL (persistent once done).

    The switch needs an exclusive lock, and on a brand-new file several processes starting at once
    can see SQLITE_BUSY here without the busy handler being consulted; retry for a while.
    """
    for attempt in range(100):
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.05)


DEFAULT_BUSY_TIMEOUT_S = 15.0
BUSY_TIMEOUT_VAR = "AIGOV_SQLITE_BUSY_TIMEOUT_S"


def busy_timeout_seconds() -> float:
    """How long a SQLite write waits for other writers before :class:`DatabaseBusy` (``AIGOV_SQLITE_BUSY_TIMEOUT_S``,
    default 15 s, 0.1 to 600); a malformed value is a clear error, not a silent default."""
    raw = os.environ.get(BUSY_TIMEOUT_VAR, "").strip()
    if not raw:
        return DEFAULT_BUSY_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0.1 <= value <= 600:
        raise DatabaseSettingError(f"{BUSY_TIMEOUT_VAR}={raw!r} is not a number of seconds from 0.1 to 600; "
                               f"unset it for the default {DEFAULT_BUSY_TIMEOUT_S:g}")
    return value


def _sqlite_pragmas(foreign_keys: bool, busy_ms: int) -> Callable[..., None]:
    def on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN (documented SQLite recipe)
        cur = dbapi_conn.cursor()
        fk = "ON" if foreign_keys else "OFF"
        # synchronous=FULL: a commit is on disk before "saved" is shown, even across a power cut
        # (NORMAL survives a process crash only); about 3 ms more per answer save.
        cur.execute(f"PRAGMA busy_timeout={busy_ms}")
        _enter_wal(cur)
        for pragma in (f"foreign_keys={fk}", "synchronous=FULL"):
            cur.execute(f"PRAGMA {pragma}")
        cur.close()

    return on_connect


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


def make_engine(url: str | None = None, *, sqlite_foreign_keys: bool = True, **kwargs: object) -> Engine:
    """A new engine for ``url`` (default: :func:`database_url`) with backend-specific settings.

    ``sqlite_foreign_keys=False`` is for migrations only: SQLite batch migrations copy and drop
    tables, and with foreign keys on, dropping a parent table would cascade-delete child rows.
    """
    url = url or database_url()
    _check_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        busy = busy_timeout_seconds()
        engine = create_engine(url, connect_args={"timeout": busy, "check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_foreign_keys, int(busy * 1000)))
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """Process-wide engine, one per URL (Streamlit sessions share it).

    The URL is resolved before the cache lookup, so a changed DATABASE_URL gets its own engine.
    """
    return _cached_engine(url or database_url())


@lru_cache(maxsize=8)
def _cached_engine(url: str) -> Engine:
    return make_engine(url)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads; nothing is committed."""
    with sessionmaker(engine, expire_on_commit=False)() as session:
        yield session


@contextmanager
def snapshot_session(engine: Engine) -> Iterator[Session]:
    """A session for reads that all see one snapshot of the database, while others keep writing.

    PostgreSQL: a REPEATABLE READ transaction (the backup's dump reads the same way). SQLite: the
    session's one read transaction (SQLAlchemy emits BEGIN; in WAL mode a read transaction sees the
    database as of its first read until it ends). What an export or a page shows of an assessment
    (its answers, their scores, their history) then belongs to one moment, with no re-reads.
    """
    bind = engine if is_sqlite(engine) else engine.execution_options(isolation_level="REPEATABLE READ")
    with sessionmaker(bind, expire_on_commit=False)() as session:
        yield session


class DatabaseBusy(ServiceError):
    """Other writers kept the database locked longer than a write may wait (SQLite's busy timeout,
    :func:`busy_timeout_seconds`): nothing of this transaction was written. It happens only when one SQLite
    process is overloaded; the user is told the change was not saved and to make it again, never shown a
    traceback."""

    key = "errors.busy"


def is_busy(exc: OperationalError) -> bool:
    """Whether SQLite gave up waiting for its write lock (SQLITE_BUSY and its extended codes)."""
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return isinstance(exc.orig, sqlite3.OperationalError) and code is not None and code & 0xFF == sqlite3.SQLITE_BUSY


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A transaction for writes: commits on success, rolls back on any exception.

    On SQLite it takes the write lock up front (BEGIN IMMEDIATE) so concurrent writers queue on
    the busy timeout instead of failing on lock upgrade; a writer that waited the whole timeout gets
    :class:`DatabaseBusy` (a service error the pages and commands say in the user's language).
    """
    bind = engine.execution_options(sqlite_begin="BEGIN IMMEDIATE") if is_sqlite(engine) else engine
    try:
        with sessionmaker(bind, expire_on_commit=False)() as session, session.begin():
            yield session
    except OperationalError as exc:
        if is_busy(exc):
            raise DatabaseBusy() from exc
        raise


# --- one-at-a-time sections (PostgreSQL advisory locks) --------------------------------------------------
# Transaction-scoped lock keys, all in one place so none is reused by accident: constant bigints
# unique to this application ("aigov…" in ASCII).
MIGRATION_LOCK = 0x6169676F76  # "aigov": schema migrations (db/migrate.py)
ACCOUNTS_LOCK = 0x6169676F7641  # "aigovA": the first administrator, the last platform administrator
ORG_ADMINS_LOCK = 0x61696741  # "aigA", with an organisation id: that organisation's administrators


def serialise(s: Session | Connection, key: int, sub: int | None = None) -> None:
    """Make transactions that call this with the same key run one after another, until commit or rollback.

    Call it first in a write transaction, before reading what a guard checks: under PostgreSQL's READ
    COMMITTED each later statement then sees what the previous holder committed. SQLite needs no
    lock: write transactions begin with BEGIN IMMEDIATE, which already serialises every writer.
    """
    dialect = s.get_bind().dialect if isinstance(s, Session) else s.dialect
    if dialect.name != "postgresql":
        return
    if sub is None:
        s.execute(text("SELECT pg_advisory_xact_lock(CAST(:key AS bigint))"), {"key": key})
    else:
        s.execute(text("SELECT pg_advisory_xact_lock(CAST(:key AS integer), CAST(:sub AS integer))"),
                  {"key": key, "sub": sub})
