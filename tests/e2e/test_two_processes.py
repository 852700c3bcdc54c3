"""Two app processes on different ports sharing one database (as behind a load balancer, deploy/).

Two people, each on a different `streamlit run` process, answer the same assessment: an answer
given in one process is visible in the other after a reload, and a stale edit made in one process
over an answer changed in the other is shown as a conflict with the other person's value — never
a silent overwrite. Runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from db.engine import make_engine, write_session
from db.models import Membership
from i18n import t
from questionnaires import get_questionnaire
from services.access import Actor
from services.accounts import create_user
from services.assessments import load_answers
from tests.e2e.test_crash_safety import (
    choose,
    expect_chosen,
    expect_saved,
    new_tab,
    open_questionnaire,
    seed_draft,
    visible_questions,
)
from tests.support.server import AppServer

LEVEL_NAMES = {s.level: s.name["zh"] for s in get_questionnaire().meta.scale}


def _add_respondent(engine: Engine, username: str, password: str) -> None:
    user = create_user(engine, username, password)
    with write_session(engine) as s:
        org_id = s.query(Membership.organisation_id).scalar()
        s.add(Membership(user_id=user.id, organisation_id=org_id, role="respondent"))


def _reload(page: Page, username: str, password: str) -> None:
    """A browser reload starts a new app session: sign in again if asked, back on the same question view."""
    page.reload()
    login = page.get_by_label(t("auth.username"))
    questions = page.locator("[class*='st-key-qbox_']").first
    expect(login.or_(questions)).to_be_visible(timeout=60_000)
    if login.is_visible():
        login.fill(username)
        page.get_by_label(t("auth.password")).fill(password)
        page.get_by_role("button", name=t("auth.submit")).click()
    expect(questions).to_be_visible(timeout=60_000)


def test_an_answer_given_in_one_process_is_seen_in_the_other(any_db_url: str, tmp_path: Path, page: Page) -> None:
    engine = make_engine(any_db_url)
    try:
        aid = seed_draft(engine, "lead", "two-process-password")
        _add_respondent(engine, "colleague", "colleague-password-1")
        with AppServer(any_db_url, tmp_path) as one, AppServer(any_db_url, tmp_path) as two:
            assert one.port != two.port
            lead, colleague = page, new_tab(page)
            open_questionnaire(lead, one.url, aid, "lead", "two-process-password")
            open_questionnaire(colleague, two.url, aid, "colleague", "colleague-password-1")
            first, second = visible_questions(lead)[:2]

            choose(lead, first, 3)  # given on process one …
            expect_saved(lead, first)
            _reload(colleague, "colleague", "colleague-password-1")
            expect_chosen(colleague, first, 3)  # … seen on process two after a reload

            choose(colleague, second, 2)  # process two answers a question the lead's screen shows empty
            expect_saved(colleague, second)
            choose(lead, second, 4)  # stale edit on process one: a conflict showing the colleague's value
            box = lead.locator(f".st-key-qbox_{second}")
            warning = box.get_by_test_id("stAlert").filter(has_text="colleague")
            expect(warning).to_be_visible(timeout=60_000)
            expect(warning).to_contain_text(f"2 {LEVEL_NAMES[2]}")  # the other person's value
            box.get_by_role("button", name=t("questionnaire.overwrite")).click()  # the lead keeps their own 4
            expect_saved(lead, second)
            expect(box.get_by_role("button", name=t("questionnaire.overwrite"))).to_have_count(0)

            _reload(colleague, "colleague", "colleague-password-1")
            expect_chosen(colleague, second, 4)
            colleague.context.close()

        answers = load_answers(engine, Actor.system(), aid)
        assert (answers[first].level, answers[second].level, answers[second].revision) == (3, 4, 2)
    finally:
        engine.dispose()
