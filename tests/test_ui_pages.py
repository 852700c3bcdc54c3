"""Every assessment page renders in Chinese and English, in every state a user can reach, with no
exception and no untranslated message key on screen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import Engine

from enums import AnswerSource
from services.accounts import create_user
from services.assessments import AnswerInputData, save_answers_bulk, submit
from tests.ui_flow import (
    PAGES,
    PASSWORD,
    Member,
    msg,
    new_assessment,
    open_page,
    org_admin,
    q,
    respondent,
    texts,
)

RAW_KEY = re.compile(r"\b(?:profile|assessments|questionnaire|results|common|errors|nav)\.[a-z_]+\b")


def _state(engine: Engine, state: str) -> tuple[Member, int | None]:
    if state == "no_org":
        user = create_user(engine, "newcomer", PASSWORD)
        return Member(user.id, "newcomer", None), None  # type: ignore[arg-type]
    alice = org_admin(engine)
    if state == "empty_org":
        return alice, None
    aid = new_assessment(engine, alice, title="进行中")
    save_answers_bulk(engine, alice.actor(engine), aid, [
        AnswerInputData(x.id, i % 6) if i % 9 else AnswerInputData(x.id, na=True, justification="不涉及")
        for i, x in enumerate(q().questions()[:30])], source=AnswerSource.CLI)
    if state == "draft":
        return alice, aid
    submit(engine, alice.actor(engine), aid)
    if state == "submitted":
        later = new_assessment(engine, alice, title="第二轮", form="core", carry_forward_from=aid)
        return alice, later
    return respondent(engine, alice), aid  # "respondent" on a submitted assessment


@pytest.mark.parametrize("state", ["no_org", "empty_org", "draft", "submitted", "respondent"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_in_every_state(app_db: str, engine: Engine, state: str, lang: str) -> None:
    member, aid = _state(engine, state)
    # Without an organisation only the profile page (where one is created) is routed.
    for page in ("profile",) if state == "no_org" else PAGES:
        at = open_page(member, page, lang=lang, assessment=aid)
        assert not at.exception, (page, [e.value for e in at.exception])
        assert at.title[0].value == msg(f"{page}.title", lang)
        shown = texts(at)
        assert not RAW_KEY.findall(shown), (page, RAW_KEY.findall(shown))
        assert not at.error, (page, [e.value for e in at.error])
