"""A signed-in user stays signed in across a reload and in a new tab, until they sign out."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import Engine

from i18n import t
from services.accounts import create_user

PASSWORD = "browser-session-pw-1"


def _sign_in(page: Page) -> None:
    page.get_by_label(t("auth.username")).fill("lead")
    page.get_by_label(t("auth.password")).fill(PASSWORD)
    page.get_by_role("button", name=t("auth.submit")).click()


def _signed_in(page: Page) -> None:
    expect(page.get_by_text(t("common.signed_in_as", user="lead"))).to_be_visible(timeout=30_000)


def test_reload_and_new_tab_keep_the_sign_in_until_sign_out(live_server: str, engine: Engine, page: Page) -> None:
    create_user(engine, "lead", PASSWORD)
    page.goto(f"{live_server}/about")
    expect(page.get_by_label(t("auth.username"))).to_be_visible(timeout=30_000)
    _sign_in(page)
    expect(page.get_by_role("heading", name=t("about.heading"))).to_be_visible(timeout=30_000)
    _signed_in(page)
    cookie = next(c for c in page.context.cookies() if c["name"] == "aigov_session")
    assert len(cookie["value"]) >= 40 and cookie["value"] not in page.url
    assert cookie["sameSite"] == "Strict"

    page.reload()  # a new Streamlit session: st.session_state is gone, the cookie is not
    expect(page.get_by_role("heading", name=t("about.heading"))).to_be_visible(timeout=30_000)
    _signed_in(page)
    expect(page.get_by_label(t("auth.password"))).to_have_count(0)

    second = page.context.new_page()  # a deep link opened in another tab of the same browser
    second.goto(f"{live_server}/about")
    expect(second.get_by_role("heading", name=t("about.heading"))).to_be_visible(timeout=30_000)
    _signed_in(second)
    second.close()

    page.get_by_role("button", name=t("common.sign_out")).click()
    expect(page.get_by_label(t("auth.username"))).to_be_visible(timeout=30_000)
    expect(page.get_by_label(t("auth.username"))).to_be_visible()
    page.wait_for_function("() => !document.cookie.includes('aigov_session=')", timeout=30_000)
    page.reload()
    expect(page.get_by_label(t("auth.username"))).to_be_visible(timeout=30_000)
    expect(page.get_by_text(t("auth.expired"))).to_have_count(0)
    expect(page.get_by_text(t("common.signed_in_as", user="lead"))).to_have_count(0)
