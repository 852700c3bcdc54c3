"""One read per page run: the SQL a questionnaire page run, an answer change and a results page run send, counted.

Counted with SQLAlchemy events (tests/support/sql_counter.py) on the real app in AppTest, on both
backends: statement counts are deterministic for a given database, so they are asserted exactly
(timings are measured in perf/, never here). Goals (issue 16): a questionnaire page run at most 10
statements; one answer change at most 12 statements in at most 3 transactions; the signed-in user
read once per run. The questionnaire's extras beside the answers (issue 13: done actions and
evidence per question) are read with the answers, in the same snapshot (services.answer_extras).
(Before: 39 statements in 11 transactions per page run, 49 in 13 per answer change, the user read
6 and 7 times; then 10 in 3 and 13 in 3 with the extras a separate read; each transaction's BEGIN
counts as a statement.) The results page reads everything it shows of the assessment in one
transaction (services/results_page.py; before: 31 statements in 12 transactions with nothing to
compare), and every run reads the signed-in user and their organisations (the sidebar's switcher)
together.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from enums import AnswerSource
from services.actions import create_action
from services.assessments import AnswerInputData, save_answers_bulk, submit
from tests.support.sql_counter import SqlCount, counting_sql
from tests.ui_flow import Member, answer_keys, msg, new_assessment, open_page, org_admin, q, stored, texts

# A questionnaire page run: the signed-in user with the sidebar's organisations (one transaction, three
# statements: services.organisations.signed_in) and the page's one read (services.assessments.
# assessment_state, one transaction): the assessment with its organisation and carry-forward record,
# its answers, the actions done since the previous assessment (none here) and the evidence files.
PAGE_RUN_TRANSACTIONS = 2
PAGE_RUN_STATEMENTS = 4 + 5  # each with its transaction's BEGIN
# An answer change: the same user read, then the save (services.assessments.save_answer_and_read, one
# write transaction) that returns the state the page draws, extras included: the locked assessment,
# its answers, the answer's history event, the assessment's updated_at, the answer, the actions done
# and the evidence.
CHANGE_TRANSACTIONS = 2
CHANGE_STATEMENTS = 4 + 8  # each with its transaction's BEGIN
# A results page run: the signed-in user with the sidebar's organisations (one transaction, three
# statements: services.organisations.signed_in) and the page's own read (one transaction): the
# assessment, its answers, the action plan with its questions and owners, who may own an action, the
# submitted history with its answers, the previous assessment, its answers and who changed what since.
RESULTS_RUN_TRANSACTIONS = 2
RESULTS_RUN_STATEMENTS = 4 + 13  # each with its transaction's BEGIN


@pytest.fixture
def app_any_db(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DATABASE_URL", any_db_url)
    return any_db_url


def _half_answered(url: str) -> tuple[Member, int]:
    engine: Engine = make_engine(url)
    try:
        admin = org_admin(engine)
        aid = new_assessment(engine, admin)
        half = q().questions()[: len(q().questions()) // 2]
        save_answers_bulk(engine, admin.actor(engine), aid, [AnswerInputData(x.id, i % 6) for i, x in enumerate(half)],
                          source=AnswerSource.CLI)
    finally:
        engine.dispose()
    return admin, aid


def _user_reads(count: SqlCount) -> int:
    return sum(1 for s in count.statements if "FROM user_account" in s and "WHERE user_account.id =" in s)


def test_a_questionnaire_page_run_reads_the_user_once_and_everything_else_in_one_transaction(app_any_db: str) -> None:
    admin, aid = _half_answered(app_any_db)
    at = open_page(admin, "questionnaire", assessment=aid)
    with counting_sql() as count:
        at.run()
    assert not at.exception
    assert len(count.statements) == PAGE_RUN_STATEMENTS, str(count)
    assert count.transactions == PAGE_RUN_TRANSACTIONS, str(count)
    assert _user_reads(count) == 1, str(count)


def test_an_answer_change_is_saved_and_read_back_with_the_extras_in_one_transaction(app_any_db: str) -> None:
    admin, aid = _half_answered(app_any_db)
    at = open_page(admin, "questionnaire", assessment=aid)
    qid = answer_keys(at)[0]
    engine = make_engine(app_any_db)
    try:
        before = stored(engine, aid).get(qid)
        new_level = 5 if (before is None or before.level != 5) else 4
        at.radio(key=f"ans_{qid}").set_value(new_level)
        with counting_sql() as count:
            at.run()
        assert not at.exception
        after = stored(engine, aid)[qid]
    finally:
        engine.dispose()
    assert after.level == new_level  # the change was saved by this run
    assert at.radio(key=f"ans_{qid}").value == new_level
    assert len(count.statements) == CHANGE_STATEMENTS, str(count)
    assert count.transactions == CHANGE_TRANSACTIONS, str(count)
    assert _user_reads(count) == 1, str(count)


def test_a_results_page_run_reads_the_assessment_once_in_one_transaction(app_any_db: str) -> None:
    """Everything the results page shows (scores, readiness, action plan, history, comparison) from one read."""
    admin, previous = _half_answered(app_any_db)
    engine = make_engine(app_any_db)
    try:
        who = admin.actor(engine)
        submit(engine, who, previous)
        aid = new_assessment(engine, admin, carry_forward_from=previous)
        first = q().questions()[0]
        save_answers_bulk(engine, who, aid, [AnswerInputData(first.id, 5)], source=AnswerSource.CLI)
        create_action(engine, who, admin.org_id, title="Write the AI policy", question_ids=[first.id],
                      owner_id=admin.user_id)
    finally:
        engine.dispose()
    at = open_page(admin, "results", assessment=aid)
    with counting_sql() as count:
        at.run()
    assert not at.exception
    tables = [df.value for df in at.dataframe]
    assert any("Write the AI policy" in df.to_string() for df in tables)  # the action plan was read
    assert any(msg("compare.col_change") in df.columns for df in tables)  # the comparison with the previous one
    assert msg("results.no_previous") not in texts(at)  # so was the history
    assert count.transactions == RESULTS_RUN_TRANSACTIONS, str(count)
    assert len(count.statements) == RESULTS_RUN_STATEMENTS, str(count)
    assert _user_reads(count) == 1, str(count)
