"""Every page of the Chinese UI, in a real browser, has no English and fetches nothing from the internet.

Signed in as each demo role (organisation administrator, association administrator, platform
administrator), every page of the sidebar is opened in zh and its visible text (placeholders, an
opened multiselect menu and the hint a text field shows while typing included) is scanned for
Latin-script words that are not a proper name, an acronym or an id (tests/support/latin.py). Names
and notes people typed are theirs and not judged. Every request the browser makes in the meantime
(the tab icon included) goes to the app's own address, so the app works on an intranet.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import Engine

from db.engine import make_engine
from demo.seed import DEMO_ORG_NAME
from i18n import t
from services.access import Actor
from services.assessments import create_assessment, list_assessments
from services.organisations import list_organisations
from tests.support.latin import foreign_words, framework_titles, typed_texts
from tests.support.server import AppServer

# The language switch names each language in itself ("语言 / Language", "中文", "English"): on purpose.
SWITCH = ["Language", "English"]
USERS = (("org1", "demo-org-2024"), ("assoc", "demo-assoc-2024"), ("admin", "demo-admin-2024"))
NOTE = "[class*=st-key-note_] textarea:not([disabled])"
# Visible text, without the ligature names of Material icons (drawn as pictures, e.g. "home").
TEXT_JS = """() => {
  let text = document.body.innerText;
  for (const e of document.querySelectorAll('body *')) {
    if (e.children.length === 0 && getComputedStyle(e).fontFamily.includes('Material')) text = text.replace(e.innerText, ' ');
  }
  const out = [text];
  for (const e of document.querySelectorAll('input[placeholder], textarea[placeholder]')) out.push(e.placeholder);
  return out.join('\\n');
}"""


def zh(key: str, **values: object) -> str:
    return t(key, "zh", **values)


def _settle(page: Page) -> None:
    page.wait_for_timeout(400)
    expect(page.locator("[data-testid=stStatusWidget]")).to_have_count(0)
    expect(page.locator("[data-stale=true]")).to_have_count(0)
    page.wait_for_timeout(400)


@pytest.fixture
def demo_server(demo_db_url: str, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    engine = make_engine(demo_db_url)
    org = next(o for o in list_organisations(engine, Actor.system()) if o.name == DEMO_ORG_NAME)
    latest = list_assessments(engine, Actor.system(), org.id)[0]  # a draft to type in, with gaps to list
    create_assessment(engine, Actor.system(), org.id, title="2026 年度自评估", carry_forward_from=latest.id)
    with AppServer(demo_db_url, tmp_path) as server:
        yield server.url, engine
    engine.dispose()


def _interact(page: Page, path: str) -> str:
    """Open what only shows on use: a multiselect's menu, a text field's typing hint."""
    extra = ""
    if path == "results" and page.locator(".st-key-gap_band").count():
        page.locator(".st-key-gap_band [data-testid=stMultiSelectTagsContainer]").click()
        for _ in range(2):  # with two bands unselected, the menu offers "select all" too
            page.keyboard.press("Backspace")
            _settle(page)
        page.locator(".st-key-gap_band [data-testid=stMultiSelectTagsContainer]").click()
        expect(page.get_by_role("option").first).to_be_visible()
        extra = page.evaluate(TEXT_JS)
        page.keyboard.press("Escape")
    if path == "questionnaire" and page.locator(NOTE).count():
        field = page.locator(NOTE).first
        field.click()
        field.press_sequentially("证")
        expect(page.locator("[data-testid=InputInstructions]").first).to_be_visible()
        extra = page.locator("[data-testid=InputInstructions]").first.inner_text()
    return extra


def _in_context(text: str, word: str) -> str:
    """The word with what surrounds it, so a failure says where it is."""
    at = max(text.find(word), 0)
    return f"{word}: …{' '.join(text[max(at - 30, 0):at + len(word) + 30].split())}…"


@pytest.mark.e2e
def test_every_page_in_chinese_shows_no_english_and_loads_nothing_from_the_internet(
        demo_server: tuple[str, Engine], browser: Browser, tmp_path: Path) -> None:
    base, engine = demo_server
    names = typed_texts(engine) + framework_titles() + SWITCH
    requests: list[str] = []
    english: dict[str, list[str]] = {}
    seen: set[str] = set()
    opened: set[str] = set()  # pages where a menu or a typing hint was opened and scanned
    for username, password in USERS:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 768})
        context.on("request", lambda r: requests.append(r.url))
        page = context.new_page()
        page.goto(base)
        expect(page.get_by_label(zh("auth.username"))).to_be_visible(timeout=30_000)
        english["signin"] = foreign_words(page.evaluate(TEXT_JS), names)
        page.get_by_label(zh("auth.username")).fill(username)
        page.get_by_label(zh("auth.password")).fill(password)
        page.get_by_role("button", name=zh("auth.submit")).click()
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_be_visible(timeout=30_000)
        paths = [urlparse(a.get_attribute("href") or "").path.strip("/") for a in nav.locator("a").all()]
        for path in paths:
            page.goto(f"{base}/{path}")
            expect(page.get_by_test_id("stSidebarNav")).to_be_visible(timeout=30_000)
            _settle(page)
            if page.locator(".js-plotly-plot").count():
                expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible()
            page.screenshot(path=str(tmp_path / f"zh-{username}-{path or 'home'}.png"), full_page=True)
            extra = _interact(page, path)
            if extra:
                opened.add(path)
            text = page.evaluate(TEXT_JS) + "\n" + extra
            _settle(page)
            english[f"{username}:{path or 'home'}"] = sorted({_in_context(text, w) for w in foreign_words(text, names)})
            seen.add(path or "home")
        if username == "org1":  # the default page at its own address, as links and bookmarks use it
            page.goto(f"{base}/home")
            expect(page.get_by_role("heading", name=zh("app.title"))).to_be_visible(timeout=30_000)
            _settle(page)
            expect(page.get_by_role("dialog")).to_have_count(0)  # no "page not found"
        context.close()
    assert {"home", "questionnaire", "results", "excel", "association", "admin", "members"} <= seen
    assert opened == {"results", "questionnaire"}, "the multiselect menu and a typing hint were scanned"
    found = {page: words for page, words in english.items() if words}
    (tmp_path / "english.json").write_text(json.dumps(found, ensure_ascii=False, indent=1))
    assert found == {}
    outside = sorted({u for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")
                      and urlparse(u).hostname not in ("127.0.0.1", "localhost")})
    assert outside == []
    assert any(urlparse(u).path.endswith(".png") and "/media/" in u for u in requests), "the tab icon is served locally"
