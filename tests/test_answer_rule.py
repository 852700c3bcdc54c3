"""The rule for a valid answer is written once (questionnaires/answer_rule.py) and every guard agrees with it.

The services, the Excel reader and the database CHECK constraints each enforce it; these tests feed
the same answers to all of them and compare, so a change to the rule that one guard missed fails
here. Expected verdicts are written out from the documented rule (a level 0–5 or N/A with a
justification, never both; texts at most 5000 characters without control characters).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from db.engine import make_engine
from db.models import Answer
from questionnaires import get_questionnaire
from questionnaires.answer_rule import (
    CODES,
    MAX_TEXT,
    NA_CHECK_SQL,
    AnswerFields,
    answer_problems,
    level_check_sql,
)
from services.answers import AnswerInputData, validate

ROOT = Path(__file__).resolve().parent.parent
Q = get_questionnaire()
QID = Q.questions()[0].id

# (level, na, justification, note) -> the codes the documented rule gives, in field order
CASES = [
    ((3, False, "", ""), []),
    ((0, False, "", "a note"), []),
    ((None, True, "does not apply: no models of our own", ""), []),
    ((None, False, "", ""), []),  # unanswered is allowed (saved notes)
    ((6, False, "", ""), ["not_a_level"]),
    ((-1, False, "", ""), ["not_a_level"]),
    ((True, False, "", ""), ["not_a_level"]),  # a bool is not a level
    ((2, True, "reason", ""), ["level_and_na"]),
    ((None, True, "   ", ""), ["na_justification"]),
    ((None, True, "x" * (MAX_TEXT + 1), ""), ["justification_too_long"]),
    ((1, False, "", "x" * (MAX_TEXT + 1)), ["note_too_long"]),
    ((1, False, "", "bell\x07"), ["note_control"]),
    ((None, True, "nul\x00", ""), ["justification_control"]),
]


@pytest.mark.parametrize(("answer", "codes"), CASES)
def test_the_rule_and_the_services_give_the_documented_verdict(answer: tuple, codes: list[str]) -> None:
    assert [c for c, _, _ in answer_problems(AnswerFields(*answer))] == codes
    problems = validate(Q, AnswerInputData(QID, *answer))
    assert [p.code for p in problems] == codes
    # Each problem names the field it is about, so nobody needs to read the message to place it.
    assert all(p.field in ("level", "justification", "note") for p in problems)
    assert set(codes) <= set(CODES)


def test_every_code_names_its_field() -> None:
    fields = {c: f for case, _ in CASES for c, f, _ in answer_problems(AnswerFields(*case))}
    assert fields == {"not_a_level": "level", "level_and_na": "level", "na_justification": "justification",
                      "justification_too_long": "justification", "note_too_long": "note",
                      "justification_control": "justification", "note_control": "note"}


def test_the_database_check_is_built_from_the_rule_and_the_migration_agrees() -> None:
    table = Answer.metadata.tables["answer"]
    checks = {str(c.name): str(getattr(c, "sqltext", "")) for c in table.constraints}
    assert checks["ck_answer_na_has_no_level"] == NA_CHECK_SQL
    assert checks["ck_answer_level_range"] == level_check_sql() == "level IS NULL OR (level >= 0 AND level <= 5)"
    migration = (ROOT / "db" / "migrations" / "versions" / "0001_initial_schema.py").read_text(encoding="utf-8")
    assert f"sa.CheckConstraint('{level_check_sql()}'" in migration  # the schema created in the database


@pytest.mark.parametrize("level", [-1, 6, 9])
def test_the_database_refuses_what_the_rule_refuses(any_db_url: str, level: int) -> None:
    engine = make_engine(any_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO organisation (name, profile, created_at, updated_at) "
                              "VALUES ('Org', '{}', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            org = conn.execute(text("SELECT id FROM organisation")).scalar_one()
            conn.execute(text(
                "INSERT INTO assessment (organisation_id, title, questionnaire_id, questionnaire_version, form, status, "
                "created_at, updated_at, version_id) VALUES (:o, 't', :q, :v, 'full', 'draft', CURRENT_TIMESTAMP, "
                "CURRENT_TIMESTAMP, 1)"), {"o": org, "q": Q.id, "v": Q.version})
            aid = conn.execute(text("SELECT id FROM assessment")).scalar_one()

        def insert(lvl: int | None, na: bool) -> None:
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO answer (assessment_id, question_id, level, is_na, justification, note, "
                                  "revision, updated_at) VALUES (:a, :q, :l, :n, 'j', '', 1, CURRENT_TIMESTAMP)"),
                             {"a": aid, "q": f"Q-{lvl}-{na}", "l": lvl, "n": na})

        for ok in range(0, 6):  # every level the rule allows is stored
            insert(ok, False)
        with pytest.raises(IntegrityError):
            insert(level, False)
        with pytest.raises(IntegrityError):  # a level and N/A at once
            insert(3, True)
    finally:
        engine.dispose()
