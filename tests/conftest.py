"""Shared fixtures: migrated databases, actors, and AppTest instances signed in as a user."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from services.access import Actor
from tests.support.databases import fresh_sqlite

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
