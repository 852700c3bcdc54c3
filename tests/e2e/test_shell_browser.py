"""Real browser against a real `streamlit run app.py`: sign-in, navigation, a deep link, Chinese text."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from i18n import t
from services.accounts import create_user
from services.organisations import create_organisation
from tests.support.screens import publish
from tests.support.server import AppServer


def _sign_in(page: Page, username: str, password: str) -> None:
    page.get_by_label(t("auth.username")).fill(username)
    page.get_by_label(t("auth.password")).fill(password)
    page.get_by_role("button", name=t("auth.submit")).click()


def test_home_navigation_and_deep_link_in_chinese(db_url: str, engine: Engine, tmp_path: Path, page: Page) -> None:
    user = create_user(engine, "lead", "browser-test-pw-1")
    from services.access import load_actor

    create_organisation(engine, load_actor(engine, user.id), "浏览器测试有限公司",
                        {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "ict",
                         "size": "small"})
    with AppServer(db_url, tmp_path) as server:
        page.goto(server.url)
        expect(page.get_by_role("heading", name=t("app.title"))).to_be_visible(timeout=30_000)
        _sign_in(page, "lead", "browser-test-pw-1")
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_be_visible(timeout=30_000)
        for key in ("nav.home", "nav.profile", "nav.assessments", "nav.about"):
            expect(nav.get_by_text(t(key), exact=True)).to_be_visible()
        expect(page.get_by_role("heading", name=t("app.title"))).to_be_visible()
        page.screenshot(path=str(tmp_path / "home.png"), full_page=True)

        # A deep link opened first in another browser (no session cookie): sign in, then the requested
        # page with the app's menu (not Streamlit's legacy file menu, which would list "app" as a page).
        browser = page.context.browser
        assert browser is not None
        deep = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 1000}).new_page()
        deep.goto(f"{server.url}/about")
        _sign_in(deep, "lead", "browser-test-pw-1")
        expect(deep.get_by_role("heading", name=t("about.heading"))).to_be_visible(timeout=30_000)
        deep_nav = deep.get_by_test_id("stSidebarNav")
        expect(deep_nav.get_by_text(t("nav.about"), exact=True)).to_be_visible()
        expect(deep_nav.get_by_text(re.compile(r"^app$"))).to_have_count(0)
        deep.screenshot(path=str(tmp_path / "about.png"), full_page=True)
        assert (tmp_path / "home.png").stat().st_size > 10_000
        publish(tmp_path / "home.png")
