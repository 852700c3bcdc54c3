"""The database layer on both backends: SQLite and a real PostgreSQL server (fixture ``any_db_url``).

Migrations create the schema on an empty database, are idempotent, agree with the models (no
``alembic check`` drift), go down to base and up again cleanly, and tolerate several app processes
starting at once. The services a user drives (accounts, organisations, assessments, answers,
submission, scores, deletion) behave the same on both.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.engine import make_url

from cli.main import main as aigov
from db.engine import make_engine, write_session
from db.migrate import check, current_revision, downgrade, head_revision, upgrade
from db.models import Answer, AnswerEvent, Base, Membership
from services.access import load_actor
from services.accounts import create_user
from services.assessments import (
    AnswerInputData,
    create_assessment,
    delete_assessment,
    history,
    list_assessments,
    load_answers,
    reopen,
    submit,
)
from services.errors import ConflictError, Forbidden, NotFound, StateError
from services.organisations import create_organisation, get_organisation, update_organisation
from services.results import assessment_result
from services.sign_in import authenticate
from tests.support.answers import save_answer

PROFILE = {"ai_roles": ["app_provider", "user"], "genai_public": True, "high_impact": False, "sector": "ict",
           "size": "small"}


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_on_empty_database_creates_schema_and_is_idempotent(any_empty_db_url: str) -> None:
    url = any_empty_db_url
    assert current_revision(url) is None
    assert upgrade(url) == (None, head_revision())
    assert _tables(url) == set(Base.metadata.tables) | {"alembic_version"}
    assert upgrade(url) == (head_revision(), head_revision())  # second run: nothing to do
    check(url)  # alembic check: no drift between models and migrations


def test_db_commands_on_both_backends(any_empty_db_url: str, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    url = make_url(any_empty_db_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(password="s3cret-pw")  # the test server trusts local connections; must not be printed
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    assert aigov(["db", "current"]) == 0
    assert f"empty (run aigov db upgrade) (head {head_revision()})" in capsys.readouterr().out
    assert aigov(["db", "upgrade"]) == 0
    assert f"schema upgraded empty → {head_revision()}" in capsys.readouterr().out
    assert aigov(["db", "upgrade"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert aigov(["db", "check"]) == 0
    out = capsys.readouterr().out
    assert "models and migrations agree" in out and "s3cret-pw" not in out


def test_downgrade_to_base_then_upgrade_is_clean(any_db_url: str) -> None:
    url = any_db_url
    assert downgrade(url, "base") == (head_revision(), None)
    assert _tables(url) <= {"alembic_version"}
    assert upgrade(url) == (None, head_revision())
    assert _tables(url) == set(Base.metadata.tables) | {"alembic_version"}
    check(url)


def test_app_processes_starting_at_once_migrate_once(any_empty_db_url: str) -> None:
    """N app processes start together on a new database; each runs the migrations at start-up."""
    url, n = any_empty_db_url, 4
    barrier = threading.Barrier(n)
    results: list[tuple[str | None, str | None]] = []
    errors: list[BaseException] = []

    def start_app() -> None:
        barrier.wait()
        try:
            results.append(upgrade(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start_app) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results, key=str) == sorted([(None, head_revision())] + [(head_revision(), head_revision())] * (n - 1),
                                              key=str)
    check(url)


def test_a_dropped_connection_is_replaced_transparently(any_db_url: str) -> None:
    """A database restart or an idle-connection reaper must not surface as an error to the next user."""
    engine = make_engine(any_db_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
        if engine.dialect.name == "postgresql":
            killer = make_engine(any_db_url)
            with killer.connect() as k:
                killed = k.execute(text("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                        "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
            killer.dispose()
            assert killed >= 1
        with engine.connect() as conn:  # the pooled connection is dead on PostgreSQL: pre-ping replaces it
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_services_work_the_same_on_both_backends(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    try:
        _exercise_services(engine)
    finally:
        engine.dispose()


def _exercise_services(engine) -> None:
    lead = create_user(engine, "lead", "correct-horse-battery", display_name="合规负责人")
    helper_id = create_user(engine, "helper", "another-long-password").id
    actor = authenticate(engine, "LEAD", "correct-horse-battery")  # user names are case-insensitive
    org = create_organisation(engine, actor, "示例科技有限公司", PROFILE)
    actor = load_actor(engine, lead.id)
    assert get_organisation(engine, actor, org.id).profile == PROFILE  # JSON round trip, Chinese text intact
    with write_session(engine) as s:
        s.add(Membership(user_id=helper_id, organisation_id=org.id, role="respondent"))
    helper = authenticate(engine, "helper", "another-long-password")
    update_organisation(engine, actor, org.id, name="示例科技股份有限公司", target_preset="established")

    a = create_assessment(engine, actor, org.id, title="2026 自评")
    assert [x.id for x in list_assessments(engine, actor, org.id)] == [a.id]
    first = save_answer(engine, actor, a.id, AnswerInputData("GOV-INS-05", level=3, note="制度已发布"),
                        expected_revision=None)
    assert first.revision == 1
    save_answer(engine, helper, a.id, AnswerInputData("GOV-INS-02", na=True, justification="不适用：无此场景"),
                expected_revision=None)
    # The helper saw revision 1 and saves 4; the lead, still looking at "nothing", saves 2: a conflict.
    save_answer(engine, helper, a.id, AnswerInputData("GOV-INS-05", level=4), expected_revision=1)
    with pytest.raises(ConflictError) as exc:
        save_answer(engine, actor, a.id, AnswerInputData("GOV-INS-05", level=2), expected_revision=None)
    assert (exc.value.conflict.their_level, exc.value.conflict.their_author) == (4, "helper")
    answers = load_answers(engine, actor, a.id)
    assert (answers["GOV-INS-05"].level, answers["GOV-INS-05"].revision) == (4, 2)
    assert answers["GOV-INS-02"].na and answers["GOV-INS-02"].justification == "不适用：无此场景"
    latest = history(engine, actor, a.id)[0]  # newest first
    assert (latest.question_id, latest.user, latest.old["level"], latest.new["level"]) == ("GOV-INS-05", "helper",
                                                                                            3, 4)
    with pytest.raises(Forbidden):
        history(engine, helper, a.id)

    result = assessment_result(engine, actor, a.id)
    assert (result.overall.answered, result.overall.na, result.overall.score) == (2, 1, 4.0)

    submit(engine, actor, a.id)
    with pytest.raises(StateError):
        save_answer(engine, helper, a.id, AnswerInputData("GOV-INS-03", level=1), expected_revision=None)
    with pytest.raises(Forbidden):
        reopen(engine, helper, a.id)
    assert reopen(engine, actor, a.id).status == "draft"

    outsider = load_actor(engine, create_user(engine, "outsider", "yet-another-password").id)
    with pytest.raises(NotFound):  # other tenants' assessments do not exist for them
        load_answers(engine, outsider, a.id)

    delete_assessment(engine, actor, a.id)  # answers and audit trail go with it (ON DELETE CASCADE)
    with write_session(engine) as s:
        assert s.scalars(select(Answer).where(Answer.assessment_id == a.id)).first() is None
        assert s.scalars(select(AnswerEvent).where(AnswerEvent.assessment_id == a.id)).first() is None
