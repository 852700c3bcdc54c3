"""`aigov db upgrade` on a real SQLite file: creates the schema, is idempotent, has no drift."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from cli.main import main as aigov
from db.engine import make_engine
from db.migrate import check, current_revision, head_revision
from db.models import Base


def test_upgrade_creates_schema_and_is_idempotent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    assert current_revision(url) is None
    assert aigov(["db", "upgrade"]) == 0
    assert "schema upgraded empty →" in capsys.readouterr().out
    engine = make_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(url) == head_revision()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()

    assert aigov(["db", "upgrade"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    check(url)  # alembic check: models and migrations agree
    assert aigov(["db", "check"]) == 0


def test_bad_database_url_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://x@y/z")
    assert aigov(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "not supported" in err and "postgresql+psycopg://" in err


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        aigov(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    for command in ("db", "demo", "questionnaire"):
        assert command in out


@pytest.mark.parametrize("argv", [["db", "upgrade"], ["db", "current"], ["users", "list"], ["round", "list"]])
def test_an_unreachable_database_is_one_clear_line_without_the_password(
        argv: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://aigov:s3cret-pw@127.0.0.1:1/aigov")
    assert aigov(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("aigov: error: cannot use the database postgresql+psycopg://aigov:***@127.0.0.1:1/aigov")
    assert "Check DATABASE_URL" in err and "s3cret-pw" not in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
