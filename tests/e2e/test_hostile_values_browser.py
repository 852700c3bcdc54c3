"""Hostile values in a real browser: no link or image from them in the DOM, no request leaves the server.

The AppTest scan (tests/test_markdown_injection.py) checks the Markdown the app sends; this checks what
Chromium makes of it after Streamlit's own renderer, on the pages a member, an association secretary and
the platform administrator open, with every name, title, note and display name set to a value holding a
link, a remote image, raw HTML and an autolink.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

from playwright.sync_api import Page, Request, expect
from sqlalchemy import Engine

from i18n import t
from tests.support.server import AppServer
from tests.test_markdown_injection import EVIL, PASSWORD, hostile_world

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Text of the hostile value that only shows when the value is rendered as text, not interpreted.
LITERAL = "[phish](https://evil.example/p)"


def _sign_in(page: Page, username: str) -> None:
    page.get_by_label(t("auth.username", "en"), exact=True).fill(username)
    page.get_by_label(t("auth.password", "en"), exact=True).fill(PASSWORD)
    page.get_by_role("button", name=t("auth.submit", "en")).click()
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible()


def _visit(page: Page, url: str, heading: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name=heading).first).to_be_visible()
    page.wait_for_timeout(1500)  # charts and late elements of the run


def _live_links(page: Page) -> list[str]:
    return page.eval_on_selector_all(
        "a[href*='evil'], img[src*='evil'], [srcset*='evil'], image[href*='evil'], a[href^='www'], "
        "[style*='evil']", "els => els.map(e => e.outerHTML.slice(0, 200))")


def test_no_link_image_or_request_from_hostile_values(db_url: str, engine: Engine, tmp_path: Path,
                                                      page: Page) -> None:
    w = hostile_world(engine)
    outside: list[str] = []

    def record(request: Request) -> None:
        host = urlparse(request.url).hostname
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in LOCAL_HOSTS:
            outside.append(request.url)

    page.context.on("request", record)
    visits = {
        "lead": [("home", "app.title"), ("profile", "profile.title"), ("assessments", "assessments.title"),
                 (f"questionnaire?assessment={w.round_assessment}", "questionnaire.title"),
                 (f"results?assessment={w.titled_assessment}", "results.title"), ("peers", "nav.peers"),
                 (f"members?assessment={w.titled_assessment}", "nav.members"), ("account", "nav.account")],
        "secretary": [("association", "benchmark.assoc.title")],
        "root": [("admin", "nav.admin")],
    }
    found: dict[str, list[str]] = {}
    literal_seen = 0
    with AppServer(db_url, tmp_path) as server:
        for user, pages in visits.items():
            context = page.context.browser.new_context(locale="en-GB", viewport={"width": 1400, "height": 1000})
            context.on("request", record)
            tab = context.new_page()
            tab.goto(f"{server.url}/?lang=en")
            _sign_in(tab, user)
            for path, heading_key in pages:
                sep = "&" if "?" in path else "?"
                _visit(tab, f"{server.url}/{path}{sep}lang=en", t(heading_key, "en"))
                if links := _live_links(tab):
                    found[path] = links
                literal_seen += tab.get_by_text(LITERAL, exact=False).count()
            tab.screenshot(path=str(tmp_path / f"hostile-{user}.png"), full_page=True)
            context.close()
    assert found == {}
    assert [u for u in outside if "evil" in u] == []
    assert outside == [], f"requests left the server: {sorted(set(outside))}"
    assert literal_seen > 0, f"the hostile value {EVIL!r} was not shown as text anywhere"
