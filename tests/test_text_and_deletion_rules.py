"""Text every backend can store, and a submitted assessment that cannot be deleted by mistake.

On both SQLite and a real PostgreSQL server: a note, justification or organisation name with a
control character (PostgreSQL refuses NUL outright) is refused with a message naming the field
and the fix, and nothing stored changes; tab and new lines stay allowed. Deleting a submitted
assessment is refused until it is reopened.
"""

from __future__ import annotations

import pytest

from db.engine import make_engine
from enums import AnswerSource
from services.access import load_actor
from services.accounts import create_user
from services.assessments import (
    AnswerInputData,
    create_assessment,
    delete_assessment,
    list_assessments,
    load_answers,
    reopen,
    save_answers_bulk,
    submit,
)
from services.errors import InvalidInput, StateError
from services.organisations import create_organisation, list_organisations
from tests.support.answers import save_answer

PROFILE = {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "ict", "size": "small"}


def test_control_characters_are_refused_everywhere_text_enters(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    try:
        lead = create_user(engine, "lead", "text-rules-password")
        actor = load_actor(engine, lead.id)
        org = create_organisation(engine, actor, "文本规则有限公司", PROFILE)
        aid = create_assessment(engine, load_actor(engine, lead.id), org.id).id
        actor = load_actor(engine, lead.id)
        save_answer(engine, actor, aid, AnswerInputData("GOV-INS-05", 2, note="第一行\n\tsecond line"),
                    expected_revision=None)

        with pytest.raises(InvalidInput) as note:
            save_answer(engine, actor, aid, AnswerInputData("GOV-INS-05", 3, note="pasted\x00text"),
                        expected_revision=1)
        assert note.value.problems == ["GOV-INS-05: note contains the control character U+0000; remove it "
                                       "(often pasted from another program)"]
        with pytest.raises(InvalidInput) as bulk:  # imports go through the same rule, all or nothing
            save_answers_bulk(engine, actor, aid, [AnswerInputData("GOV-INS-02", 1),
                                                   AnswerInputData("GOV-INS-03", None, True, "bell\x07")],
                              source=AnswerSource.IMPORT)
        assert any("GOV-INS-03: justification contains the control character U+0007" in p
                   for p in bulk.value.problems)
        with pytest.raises(InvalidInput, match="name: contains the control character U"):
            create_organisation(engine, actor, "Evil\x1b[31m Ltd", PROFILE)

        answers = load_answers(engine, actor, aid)
        assert {q: (a.level, a.note) for q, a in answers.items()} == {"GOV-INS-05": (2, "第一行\n\tsecond line")}
        assert [o.name for o in list_organisations(engine, actor)] == ["文本规则有限公司"]
    finally:
        engine.dispose()


def test_a_submitted_assessment_is_deleted_only_after_reopening(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    try:
        lead = create_user(engine, "lead", "deletion-rules-password")
        org = create_organisation(engine, load_actor(engine, lead.id), "删除规则有限公司", PROFILE)
        actor = load_actor(engine, lead.id)
        aid = create_assessment(engine, actor, org.id).id
        save_answer(engine, actor, aid, AnswerInputData("GOV-INS-05", 4), expected_revision=None)
        submit(engine, actor, aid)
        with pytest.raises(StateError):
            delete_assessment(engine, actor, aid)
        assert load_answers(engine, actor, aid)["GOV-INS-05"].level == 4
        reopen(engine, actor, aid)
        delete_assessment(engine, actor, aid)
        assert list_assessments(engine, actor, org.id) == []
    finally:
        engine.dispose()
