"""The respondent's hour on a 1366×768 laptop, in a real browser: pages, scrolling, "next unanswered", notes.

What a user would notice: each page of the short form opens at its title with its first question on
screen (not at the old scroll position), the short form is a handful of pages, "next unanswered"
brings the open question into view, and a note typed without leaving the field survives a reload.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, Page, ViewportSize, expect
from sqlalchemy import Engine

from app_pages.paging import question_pages
from i18n import t
from questionnaires import get_questionnaire
from services.access import load_actor
from services.accounts import create_user
from services.assessments import create_assessment, load_answers
from services.organisations import create_organisation
from services.results import assessment_result

PASSWORD = "paging-test-password-1"
LAPTOP: ViewportSize = {"width": 1366, "height": 768}


def zh(key: str, **values: object) -> str:
    return t(key, "zh", **values)


def _settle(page: Page) -> None:
    page.wait_for_timeout(300)
    expect(page.locator("[data-testid=stStatusWidget]")).to_have_count(0)
    expect(page.locator("[data-stale=true]")).to_have_count(0)


def _in_view(page: Page, locator: Locator) -> bool:
    """The element's top is on screen, below Streamlit's top bar."""
    box = locator.bounding_box()
    assert box is not None
    return 40 <= box["y"] <= LAPTOP["height"] - 40


def _question_in_view(page: Page, qid: str) -> bool:
    """The question's text and its first answer options are on screen (not just its frame)."""
    option = page.locator(f".st-key-ans_{qid} [role=radiogroup] label").nth(1)
    box = option.bounding_box()
    assert box is not None
    return _in_view(page, page.locator(f".st-key-qbox_{qid}")) and box["y"] + box["height"] <= LAPTOP["height"]


def _setup(engine: Engine) -> tuple[int, list[list[str]], list[str]]:
    user = create_user(engine, "lead", PASSWORD, display_name="王丽")
    who = load_actor(engine, user.id)
    q = get_questionnaire()
    org = create_organisation(engine, who, "分页测试有限公司", q.default_profile())
    aid = create_assessment(engine, load_actor(engine, user.id), org.id, form="core").id
    applicable = assessment_result(engine, load_actor(engine, user.id), aid).applicable
    pages = question_pages(q, set(applicable))
    return aid, [list(p.question_ids) for p in pages], [f"{p.dimension.id} {p.dimension.name['zh']}" for p in pages]


def _open(page: Page, url: str) -> None:
    page.set_viewport_size(LAPTOP)
    page.goto(url)
    page.get_by_label(zh("auth.username")).fill("lead")
    page.get_by_label(zh("auth.password")).fill(PASSWORD)
    page.get_by_role("button", name=zh("auth.submit")).click()
    _settle(page)


def test_short_form_pages_open_at_their_title_with_the_first_question_on_a_laptop_screen(
        live_server: str, page: Page, engine: Engine, tmp_path: Path) -> None:
    aid, pages, titles = _setup(engine)
    assert 3 <= len(pages) <= 6 and all(len(p) >= 3 for p in pages)  # not 15 pages of 1–2 questions
    _open(page, f"{live_server}/questionnaire?assessment={aid}")
    expect(page.get_by_role("heading", name=titles[0])).to_be_visible()
    first = page.locator(f".st-key-qbox_{pages[0][0]}")
    expect(first).to_be_visible()
    _settle(page)
    page.screenshot(path=str(tmp_path / "page-1.png"))
    assert _question_in_view(page, pages[0][0]), "the first question must start in the first screen"

    skipped = pages[0][1]
    for n, qids in enumerate(pages):
        for qid in qids:
            if qid == skipped:
                continue
            page.locator(f".st-key-ans_{qid} [role=radiogroup] label").nth(2).click()
            _settle(page)
        if n == len(pages) - 1:
            break
        nxt = page.get_by_role("button", name=zh("questionnaire.next"))
        nxt.scroll_into_view_if_needed()
        nxt.click()
        _settle(page)
        heading = page.get_by_role("heading", name=titles[n + 1])
        expect(heading).to_be_visible()
        box = page.locator(f".st-key-qbox_{pages[n + 1][0]}")
        expect(box).to_be_visible()
        page.wait_for_timeout(300)
        assert _in_view(page, heading), f"page {n + 2} did not open at its title"
        assert _question_in_view(page, pages[n + 1][0]), f"the first question of page {n + 2} is not on screen"
        page.screenshot(path=str(tmp_path / f"page-{n + 2}.png"))

    # "Next unanswered" from the last page goes back to the one skipped question and shows it.
    page.get_by_role("button", name=zh("questionnaire.next_unanswered")).click()
    _settle(page)
    open_box = page.locator(f".st-key-qbox_{skipped}")
    expect(open_box).to_be_visible()
    page.wait_for_timeout(300)
    assert _question_in_view(page, skipped)
    stored = load_answers(engine, load_actor(engine, 1), aid)
    assert skipped not in stored and len(stored) == sum(len(p) for p in pages) - 1


def test_a_note_typed_without_leaving_the_field_survives_a_reload(live_server: str, page: Page,
                                                                   engine: Engine) -> None:
    aid, pages, _ = _setup(engine)
    _open(page, f"{live_server}/questionnaire?assessment={aid}")
    qid = pages[0][0]
    note = page.locator(f".st-key-note_{qid} textarea")
    note.click()
    text = "制度文件：《人工智能治理办法》v2，负责人：王丽"
    note.press_sequentially(text, delay=20)  # the field keeps the focus: no blur, no Ctrl+Enter
    box = page.locator(f".st-key-qbox_{qid}")
    expect(box).to_contain_text(zh("questionnaire.saved", at="", by="").split("·")[0].strip())
    assert note.evaluate("el => document.activeElement === el")
    stored = load_answers(engine, load_actor(engine, 1), aid)
    assert stored[qid].note == text and stored[qid].level is None

    page.reload()
    _settle(page)
    expect(page.locator(f".st-key-note_{qid} textarea")).to_have_value(text)

    # Typed and the tab reloaded at once, before the pause: committed as the page goes away.
    second = pages[0][1]
    field = page.locator(f".st-key-note_{second} textarea")
    field.click()
    field.press_sequentially("刚输入就刷新", delay=10)
    page.reload()
    _settle(page)
    expect(page.locator(f".st-key-note_{second} textarea")).to_have_value("刚输入就刷新")
