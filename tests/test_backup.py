"""Backup and restore across backends: a dump of the demo installation taken on SQLite restores on
PostgreSQL (and the reverse) with identical rows and identical scores for every assessment; a
restore never touches a database that holds data; damaged files are refused with a clear message.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, MetaData, select

from cli.main import main as aigov
from db.engine import make_engine
from db.migrate import current_revision, head_revision
from db.models import Assessment
from demo.seed import seed_demo
from services.access import Actor
from services.accounts import create_user
from services.backup import FORMAT_VERSION, BackupError, dump, read_dump, restore
from services.results import assessment_result
from services.sign_in import authenticate
from tests.support.postgres import PostgresDatabases


def _contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, ordered by primary key (the installation as a user would see it)."""
    engine = make_engine(url)
    try:
        md = MetaData()
        with engine.connect() as conn:
            md.reflect(bind=conn)
            return {t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
                    for t in md.sorted_tables if t.name != "alembic_version"}
    finally:
        engine.dispose()


def _scores(url: str) -> dict[int, Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            ids = list(conn.scalars(select(Assessment.id).order_by(Assessment.id)))
        return {i: assessment_result(engine, Actor.system(), i) for i in ids}
    finally:
        engine.dispose()


def _round_trip(source_url: str, target_url: str, tmp_path: Path) -> None:
    src = make_engine(source_url)
    try:
        report = dump(src, tmp_path / "backup.json.gz")
    finally:
        src.dispose()
    assert report.rows["answer"] > 1000 and report.schema_revision == head_revision()
    dst = make_engine(target_url)
    try:
        restored = restore(dst, report.path)
    finally:
        dst.dispose()
    assert restored.rows == report.rows
    assert current_revision(target_url) == head_revision()
    assert _contents(target_url) == _contents(source_url)
    before, after = _scores(source_url), _scores(target_url)
    assert len(before) > 80 and any(r.overall.score is not None for r in before.values())
    assert after == before


def test_dump_on_sqlite_restores_on_postgresql_with_identical_scores(
        demo_db_url: str, pg_databases: PostgresDatabases, tmp_path: Path) -> None:
    target = pg_databases.empty()
    try:
        _round_trip(demo_db_url, target, tmp_path)
        # Sequences were moved past the restored ids: new accounts and sign-ins work at once.
        engine = make_engine(target)
        try:
            user = create_user(engine, "newcomer", "a-long-enough-password")
            assert authenticate(engine, "org1", "demo-org-2024").username == "org1"
        finally:
            engine.dispose()
        assert user.id > max(r[0] for r in _contents(demo_db_url)["user_account"])
    finally:
        pg_databases.drop(target)


def test_dump_on_postgresql_restores_on_sqlite_with_identical_scores(pg_url: str, tmp_path: Path) -> None:
    engine = make_engine(pg_url)
    try:
        seed_demo(engine)
    finally:
        engine.dispose()
    _round_trip(pg_url, f"sqlite:///{tmp_path / 'restored.db'}", tmp_path)


def _seeded(url: str) -> None:
    engine = make_engine(url)
    try:
        create_user(engine, "someone", "a-long-enough-password")
    finally:
        engine.dispose()


def _a_dump(url: str, tmp_path: Path) -> Path:
    _seeded(url)
    engine = make_engine(url)
    try:
        return dump(engine, tmp_path / "small.json").path
    finally:
        engine.dispose()


def test_restore_refuses_a_database_that_holds_data(any_db_url: str, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    other = f"sqlite:///{tmp_path / 'other.db'}"
    from db.migrate import upgrade

    upgrade(other)
    backup = _a_dump(other, tmp_path)
    _seeded(any_db_url)
    before = _contents(any_db_url)
    monkeypatch.setenv("DATABASE_URL", any_db_url)
    assert aigov(["db", "restore", str(backup)]) == 2
    err = capsys.readouterr().err
    assert "already holds data" in err and "empty" in err
    assert _contents(any_db_url) == before  # untouched


def test_restore_into_a_new_empty_database_via_the_command_line(any_empty_db_url: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    source = f"sqlite:///{tmp_path / 'source.db'}"
    monkeypatch.setenv("DATABASE_URL", source)
    assert aigov(["db", "upgrade"]) == 0
    _seeded(source)
    out = tmp_path / "backup.json"
    assert aigov(["db", "dump", "--out", str(out)]) == 0
    assert f"→ {out}" in capsys.readouterr().out
    assert out.stat().st_mode & 0o077 == 0  # holds password hashes: readable by the owner only
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert (doc["format_version"], doc["schema_revision"]) == (FORMAT_VERSION, head_revision())
    assert [t["name"] for t in doc["tables"]].index("organisation") < [t["name"] for t in doc["tables"]].index(
        "assessment")  # parents before children

    monkeypatch.setenv("DATABASE_URL", any_empty_db_url)
    assert aigov(["db", "restore", str(out)]) == 0
    assert "restored" in capsys.readouterr().out
    assert _contents(any_empty_db_url) == _contents(source)
    engine = make_engine(any_empty_db_url)
    try:
        assert authenticate(engine, "someone", "a-long-enough-password").username == "someone"
    finally:
        engine.dispose()


@pytest.mark.parametrize(("content", "message"), [
    (b"not json at all", "not JSON"),
    (b'{"hello": 1}', "not an aigov dump"),
    (gzip.compress(b'{"format": "aigov-dump"')[:-6], "damaged or incomplete"),
    (json.dumps({"format": "aigov-dump", "format_version": 99}).encode(), "format version 99"),
    (json.dumps({"format": "aigov-dump", "format_version": FORMAT_VERSION, "schema_revision": "9999"}).encode(),
     "newer version"),
    (json.dumps({"format": "aigov-dump", "format_version": FORMAT_VERSION, "schema_revision": "0001",
                 "tables": [{"name": "setting", "columns": ["key", "value"], "rows": [["k"]]}]}).encode(),
     "row 1: expected 2 values"),
])
def test_damaged_or_foreign_files_are_refused_clearly(content: bytes, message: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(BackupError, match=message):
        read_dump(path)


def test_a_dump_that_contradicts_the_schema_restores_nothing(any_db_url: str, tmp_path: Path) -> None:
    doc = read_dump(_valid_dump(tmp_path))
    membership = next(t for t in doc["tables"] if t["name"] == "membership")
    # A membership pointing at an account and an organisation that do not exist.
    ghost = {"user_id": 999, "organisation_id": 999, "role": "org_admin"}
    membership["rows"].append([ghost[c] for c in membership["columns"]])
    bad = tmp_path / "contradicting.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    engine: Engine = make_engine(any_db_url)
    try:
        with pytest.raises(BackupError, match="nothing was restored"):
            restore(engine, bad)
    finally:
        engine.dispose()
    assert not any(_contents(any_db_url).values())
    assert current_revision(any_db_url) == head_revision()


def _valid_dump(tmp_path: Path) -> Path:
    from db.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'valid-src.db'}"
    upgrade(url)
    return _a_dump(url, tmp_path)


def test_command_line_mistakes_get_a_clear_message(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert aigov(["db", "dump", "--out", str(tmp_path / "no-such-folder" / "b.json")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert aigov(["db", "dump", "--out", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
    assert aigov(["db", "restore", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'nothing.db'}")
    assert aigov(["db", "dump", "--out", str(tmp_path / "b.json")]) == 2
    assert "no aigov schema" in capsys.readouterr().err
    assert not (tmp_path / "b.json").exists()


def test_a_dump_taken_while_people_answer_is_consistent(any_db_url: str, tmp_path: Path) -> None:
    """One snapshot: every answer's revision matches its audit rows, although saves continue meanwhile."""
    import threading

    from services.assessments import AnswerInputData, create_assessment
    from services.organisations import create_organisation
    from tests.support.answers import save_answer

    engine = make_engine(any_db_url)
    profile = {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "ict", "size": "small"}
    org = create_organisation(engine, Actor.system(), "备份一致性有限公司", profile)
    aid = create_assessment(engine, Actor.system(), org.id).id
    _bulk_history(engine, org.id)  # a long dump: saves land between reading one table and the next
    stop, saved = threading.Event(), [0]

    def answering() -> None:
        seen: dict[str, int] = {}
        while not stop.is_set():
            qid = ("GOV-INS-05", "GOV-INS-02", "GOV-INS-03")[saved[0] % 3]
            seen[qid] = save_answer(engine, Actor.system(), aid, AnswerInputData(qid, level=saved[0] % 6),
                                    expected_revision=seen.get(qid)).revision
            saved[0] += 1

    writer = threading.Thread(target=answering)
    writer.start()
    try:
        for i in range(3):
            before = saved[0]
            doc = read_dump(dump(engine, tmp_path / f"live-{i}.json").path)
            tables = {t["name"]: [dict(zip(t["columns"], r, strict=True)) for r in t["rows"]] for t in doc["tables"]}
            revisions = {a["question_id"]: a["revision"] for a in tables["answer"] if a["assessment_id"] == aid}
            events = [e["question_id"] for e in tables["answer_event"] if e["assessment_id"] == aid]
            assert revisions == {q: events.count(q) for q in set(events)}
            assert saved[0] > before or i == 0  # saving went on during the dumps
    finally:
        stop.set()
        writer.join()
        engine.dispose()


def _bulk_history(engine: Engine, org_id: int, assessments: int = 300) -> None:
    """Many old assessments with full answers, written directly (fast) for the dump to read."""
    from sqlalchemy import insert

    from db.engine import write_session
    from db.models import Answer
    from questionnaires import get_questionnaire

    q = get_questionnaire()
    with write_session(engine) as s:
        ids = s.scalars(insert(Assessment).returning(Assessment.id), [
            {"organisation_id": org_id, "title": f"old {i}", "questionnaire_id": q.id,
             "questionnaire_version": q.version, "form": "full", "status": "submitted", "version_id": 1}
            for i in range(assessments)]).all()
        s.execute(insert(Answer), [{"assessment_id": a, "question_id": x.id, "level": 2}
                                   for a in ids for x in q.questions()])
