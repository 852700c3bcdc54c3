"""Crash safety: the real `streamlit run app.py` process is killed with SIGKILL while a user answers.

A person answers questions in a real browser; each answer is confirmed on screen ("已保存 …") as
soon as it is saved. The app process is then killed mid-answer (no shutdown hooks run, as in a
crash or an OOM kill) and started again on the same database: every confirmed answer is there,
in the database and in the browser, and the database is intact. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, text

from db.engine import make_engine
from i18n import t
from questionnaires import get_questionnaire
from services.access import load_actor
from services.accounts import create_user
from services.assessments import create_assessment, load_answers
from services.organisations import create_organisation
from tests.support.server import AppServer

PROFILE = {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "ict", "size": "small"}
SAVED = t("questionnaire.saved", at="", by="").split("·")[0].strip()  # "已保存"


def seed_draft(engine: Engine, username: str = "lead", password: str = "crash-test-password") -> int:
    """An organisation administered by ``username`` with one draft assessment; returns its id."""
    user = create_user(engine, username, password)
    actor = load_actor(engine, user.id)
    org = create_organisation(engine, actor, "崩溃测试有限公司", PROFILE)
    return create_assessment(engine, load_actor(engine, user.id), org.id, title="崩溃恢复").id


def open_questionnaire(page: Page, base_url: str, assessment_id: int, username: str, password: str) -> None:
    page.goto(f"{base_url}/questionnaire?assessment={assessment_id}")
    page.get_by_label(t("auth.username")).fill(username)
    page.get_by_label(t("auth.password")).fill(password)
    page.get_by_role("button", name=t("auth.submit")).click()
    expect(page.get_by_role("heading", name=t("questionnaire.title"))).to_be_visible(timeout=60_000)
    expect(page.locator("[class*='st-key-qbox_']").first).to_be_visible(timeout=60_000)


def new_tab(page: Page) -> Page:
    """A page in a new browser context (a separate person), Chinese like the fixture's."""
    assert page.context.browser is not None
    return page.context.browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()


def visible_questions(page: Page, profile: dict | None = None) -> list[str]:
    """The question ids of the sub-dimension on screen, once all of them have been drawn.

    Streamlit streams a view's elements one by one, so the first question box can be visible while
    the rest are still arriving: wait for as many boxes as the sub-dimension (named in the URL) has
    questions applicable to ``profile``.
    """
    page.wait_for_url(re.compile(r"[?&]sub="), timeout=60_000)
    sub = parse_qs(urlparse(page.url).query)["sub"][0]
    questionnaire = get_questionnaire()
    expected = [q.id for d in questionnaire.dimensions for s in d.subdimensions if s.id == sub
                for q in s.questions if questionnaire.applies(q, profile or PROFILE)]
    boxes = page.locator("[class*='st-key-qbox_']")
    expect(boxes).to_have_count(len(expected), timeout=60_000)
    classes = boxes.evaluate_all("els => els.map(e => e.className)")
    return [next(c for c in cls.split() if c.startswith("st-key-qbox_"))[len("st-key-qbox_"):] for cls in classes]


def choose(page: Page, qid: str, level: int) -> None:
    """Click level ``level`` (0..5) of question ``qid``."""
    page.locator(f".st-key-ans_{qid} [role='radiogroup'] label").nth(level).click()


def expect_saved(page: Page, qid: str) -> None:
    expect(page.locator(f".st-key-qbox_{qid}")).to_contain_text(SAVED, timeout=60_000)


def expect_chosen(page: Page, qid: str, level: int) -> None:
    expect(page.locator(f".st-key-ans_{qid} input[type='radio']").nth(level)).to_be_checked(timeout=60_000)


def test_answers_saved_before_a_kill_9_are_there_after_restart(any_db_url: str, tmp_path: Path, page: Page) -> None:
    engine = make_engine(any_db_url)
    try:
        _kill_and_restart(any_db_url, engine, tmp_path, page)
    finally:
        engine.dispose()


def _kill_and_restart(db_url: str, engine: Engine, tmp_path: Path, page: Page) -> None:
    aid = seed_draft(engine)
    server = AppServer(db_url, tmp_path).start()
    try:
        open_questionnaire(page, server.url, aid, "lead", "crash-test-password")
        qids = visible_questions(page)
        assert len(qids) >= 3
        confirmed: dict[str, int] = {}
        for i, qid in enumerate(qids[:-1]):
            level = (i + 2) % 6
            choose(page, qid, level)
            expect_saved(page, qid)  # the user saw "saved"
            confirmed[qid] = level
        choose(page, qids[-1], 5)  # the user is mid-answer when the process dies
        server.kill()
    finally:
        server.stop()

    # The database is intact and holds every confirmed answer (the last one: all or nothing).
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    lead = load_actor(engine, 1)
    stored = load_answers(engine, lead, aid)
    assert {q: stored[q].level for q in confirmed} == confirmed
    assert qids[-1] not in stored or stored[qids[-1]].level == 5

    # The restarted app shows them: nothing the user was told was saved is missing.
    with AppServer(db_url, tmp_path) as restarted:
        fresh = new_tab(page)
        open_questionnaire(fresh, restarted.url, aid, "lead", "crash-test-password")
        for qid, level in confirmed.items():
            expect_chosen(fresh, qid, level)
            expect_saved(fresh, qid)
        fresh.context.close()
