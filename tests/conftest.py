"""Shared fixtures: migrated databases, actors, and AppTest instances signed in as a user."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from services.access import Actor
from tests.support.apptest import Downloads
from tests.support.databases import BACKEND_PARAMS, PostgresForTests, empty_sqlite, fresh_sqlite
from tests.support.postgres import PostgresDatabases, PostgresUnavailable

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
REQUIRE_REAL = os.environ.get("AIGOV_REQUIRE_REAL_SERVICES") == "1"  # set by .ci/run: no silent skips


@pytest.fixture(scope="session")
def _template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("db-template")


@pytest.fixture
def db_url(tmp_path: Path, _template_dir: Path) -> str:
    """A migrated, empty SQLite database for this test."""
    return fresh_sqlite(tmp_path, _template_dir)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def system() -> Actor:
    return Actor.system()


@pytest.fixture
def app_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """DATABASE_URL pointing the app at this test's database."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory, _template_dir: Path) -> Path:
    """A migrated SQLite file with the demo seeded once per test run."""
    from demo.seed import seed_demo

    folder = tmp_path_factory.mktemp("demo-template")
    url = fresh_sqlite(folder, _template_dir)
    eng = make_engine(url)
    seed_demo(eng)
    eng.dispose()
    return folder / "test.db"


@pytest.fixture
def demo_db_url(tmp_path: Path, _demo_template: Path) -> str:
    """A private copy of the seeded demo database (accounts admin, org1, resp1, assoc)."""
    import shutil

    target = tmp_path / "demo.db"
    shutil.copyfile(_demo_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def demo_app_db(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    return demo_db_url



# --- both backends (issue 9): SQLite and a real PostgreSQL server ------------------------------------

@pytest.fixture(scope="session")
def _postgres() -> Iterator[PostgresForTests]:
    pg = PostgresForTests()
    yield pg
    pg.close()


@pytest.fixture
def pg_databases(_postgres: PostgresForTests) -> PostgresDatabases:
    """The run's PostgreSQL server; skips without one (fails in CI: AIGOV_REQUIRE_REAL_SERVICES=1)."""
    try:
        return _postgres.get()
    except PostgresUnavailable as exc:
        if REQUIRE_REAL:
            pytest.fail(f"PostgreSQL is required in CI (AIGOV_REQUIRE_REAL_SERVICES=1) but unavailable: {exc}")
        pytest.skip(f"PostgreSQL unavailable: {exc}")


@pytest.fixture
def pg_url(pg_databases: PostgresDatabases) -> Iterator[str]:
    """A migrated, empty PostgreSQL database for this test (dropped afterwards)."""
    url = pg_databases.migrated()
    yield url
    pg_databases.drop(url)


@pytest.fixture(params=BACKEND_PARAMS)
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path, _template_dir: Path) -> str:
    """A migrated, empty database for this test, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return fresh_sqlite(tmp_path, _template_dir)
    return request.getfixturevalue("pg_url")


@pytest.fixture(params=BACKEND_PARAMS)
def any_empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database without any table (for migration and restore tests), on each backend."""
    if request.param == "sqlite":
        yield empty_sqlite(tmp_path)
        return
    pg: PostgresDatabases = request.getfixturevalue("pg_databases")
    url = pg.empty()
    yield url
    pg.drop(url)


@pytest.fixture
def downloads(monkeypatch: pytest.MonkeyPatch) -> Downloads:
    """The files behind AppTest download buttons (see :class:`tests.support.apptest.Downloads`)."""
    from streamlit.runtime.media_file_manager import MediaFileManager

    kept = Downloads()
    monkeypatch.setattr(MediaFileManager, "add_deferred", kept.recording(MediaFileManager.add_deferred))
    return kept


@pytest.fixture
def poppler() -> None:
    """pdftotext and pdftoppm (Debian's poppler-utils), to read PDFs back as a reader sees them; skips
    without them, fails in CI (AIGOV_REQUIRE_REAL_SERVICES=1)."""
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm")):
        if REQUIRE_REAL:
            pytest.fail("poppler-utils (pdftotext, pdftoppm) are required in CI")
        pytest.skip("poppler-utils not installed")
