"""Helpers for the AppTest tests of the assessment pages (profile, assessments, questionnaire, results).

Users, organisations and assessments are made through the services, as the app makes them;
expected numbers come from the scoring engine called directly on the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from i18n import t
from questionnaires import Questionnaire, get_questionnaire
from scoring import AnswerInput, AssessmentResult, score_assessment
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import AnswerView, create_assessment, load_answers
from services.members import add_member
from services.organisations import create_organisation
from tests.support.apptest import app_test, page_texts

PASSWORD = "long-enough-password-1"
PAGES = ("profile", "assessments", "questionnaire", "results")


@dataclass(frozen=True)
class Member:
    user_id: int
    username: str
    org_id: int

    def actor(self, engine: Engine) -> Actor:
        return load_actor(engine, self.user_id)


def q() -> Questionnaire:
    return get_questionnaire()


def org_admin(engine: Engine, username: str = "alice", org_name: str = "Acme AI Ltd",
              profile: dict[str, Any] | None = None) -> Member:
    user = create_user(engine, username, PASSWORD)
    org = create_organisation(engine, load_actor(engine, user.id), org_name, profile or q().default_profile())
    return Member(user.id, username, org.id)


def respondent(engine: Engine, admin: Member, username: str = "rita") -> Member:
    user = create_user(engine, username, PASSWORD)
    add_member(engine, Actor.system(), admin.org_id, username, "respondent")
    return Member(user.id, username, admin.org_id)


def new_assessment(engine: Engine, member: Member, **kwargs: Any) -> int:
    return create_assessment(engine, member.actor(engine), member.org_id, **kwargs).id


def open_page(member: Member, page: str, *, lang: str = "zh", assessment: int | None = None,
              query: dict[str, str] | None = None) -> AppTest:
    """A signed-in AppTest showing ``app_pages/<page>.py`` (entry point run first, as the router needs)."""
    params = dict(query or {})
    if assessment is not None:
        params["assessment"] = str(assessment)
    at = app_test(member.user_id, lang=lang, org_id=member.org_id, query=params)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def answer_keys(at: AppTest) -> list[str]:
    """Question ids of the answer radios shown, in page order."""
    return [r.key[len("ans_"):] for r in at.radio if r.key and r.key.startswith("ans_")]


def stored(engine: Engine, assessment_id: int) -> dict[str, AnswerView]:
    return load_answers(engine, Actor.system(), assessment_id)


def expected(engine: Engine, assessment_id: int, profile: dict[str, Any], *, form: str = "full",
             preset: str | None = None) -> AssessmentResult:
    """The scoring engine's result for the stored answers, computed without the services."""
    questionnaire = q()
    answers = {qid: AnswerInput(level=a.level, na=a.na) for qid, a in stored(engine, assessment_id).items()}
    return score_assessment(questionnaire, profile, answers,
                            target_preset=preset or questionnaire.default_preset(profile), form=form)  # type: ignore[arg-type]


def texts(at: AppTest) -> str:
    return page_texts(at)


def gap_frame(at: AppTest, lang: str = "zh") -> pd.DataFrame:
    """The gap list table of the results page."""
    marker = t("results.col_recommendation", lang)
    return next(df.value for df in at.dataframe if marker in df.value.columns)


def msg(key: str, lang: str = "zh", **values: Any) -> str:
    return t(key, lang, **values)
