"""The app shell (AppTest): first start, sign-in, every page in both languages, language switch."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import PAGES, _visible
from db.engine import make_engine
from i18n import t
from services.access import load_actor
from services.accounts import create_user
from tests.support.apptest import app_test, page_texts
from tests.support.databases import user_id

ROOT = Path(__file__).resolve().parents[1]
BUILT_PAGES = [p for p in PAGES if (ROOT / "app_pages" / p.file).exists()]


def test_new_installation_asks_for_the_first_administrator(app_db: str, engine) -> None:
    at = app_test().run()
    assert not at.exception
    assert t("auth.first_run_heading") in page_texts(at)
    at.text_input(key="first_username").input("chief")
    at.text_input(key="first_display").input("首席合规官")
    at.text_input(key="first_pw1").input("a-long-password-1")
    at.text_input(key="first_pw2").input("a-long-password-1")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user_id"] is not None
    assert t("common.signed_in_as", user="chief") in page_texts(at)


def test_sign_in_with_wrong_then_right_password(app_db: str, engine) -> None:
    create_user(engine, "lead", "correct-horse-1")
    at = app_test().run()
    assert t("auth.heading") in page_texts(at)
    at.text_input(key="signin_username").input("lead")
    at.text_input(key="signin_password").input("wrong-password")
    at.button[0].click().run()
    assert t("auth.failed") in page_texts(at)
    at.text_input(key="signin_password").input("correct-horse-1")
    at.button[0].click().run()
    assert not at.exception
    assert "user_id" in at.session_state and at.session_state["user_id"] is not None


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("username", ["admin", "org1", "assoc"])
def test_every_page_renders_in_both_languages(demo_app_db: str, lang: str, username: str) -> None:
    uid = user_id(demo_app_db, username)
    at = app_test(uid, lang=lang).run()
    assert not at.exception, at.exception
    engine = make_engine(demo_app_db)
    who = load_actor(engine, uid)
    engine.dispose()
    visible = [p for p in BUILT_PAGES if _visible(p, who, at.session_state["org_id"])]
    assert len(visible) >= 5
    for spec in visible:
        at.switch_page(f"app_pages/{spec.file}").run()
        assert not at.exception, f"{spec.file} ({lang}, {username}): {at.exception}"
        assert at.title, f"{spec.file} has no title"
        texts = page_texts(at)
        # No raw message ids leak into the page (a missing catalog entry shows its dotted key).
        for key in ("nav.", "common.", "errors.", "results.", "profile.", "questionnaire."):
            assert f" {key}" not in f" {texts}".replace("\n", " "), f"{spec.file}: untranslated '{key}…'"


def test_language_switch_keeps_state(demo_app_db: str) -> None:
    uid = user_id(demo_app_db, "org1")
    at = app_test(uid, lang="zh").run()
    org_before = at.session_state["org_id"]
    assert at.title[0].value == t("app.title", "zh")
    at.sidebar.radio(key="lang_switch").set_value("en").run()
    assert not at.exception
    assert at.session_state["lang"] == "en"
    assert at.session_state["org_id"] == org_before
    assert at.session_state["user_id"] == uid
    assert at.title[0].value == t("app.title", "en")
    assert t("nav.home", "en") not in ("概览",)


def test_idle_session_expires(demo_app_db: str) -> None:
    uid = user_id(demo_app_db, "org1")
    at = app_test(uid)
    at.session_state["last_seen"] = 0.0
    at.run()
    assert t("auth.expired") in page_texts(at)
    assert "user_id" not in at.session_state


def test_no_page_relies_on_streamlit_magic() -> None:
    """.streamlit/config.toml turns "magic" off (scripts compile faster); that shows nothing differently
    only while no script has a bare expression magic would have written to the page."""
    import ast
    import tomllib

    from streamlit.runtime.scriptrunner.magic import add_magic

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False
    scripts = [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]
    shown = {}
    for path in scripts:
        tree = add_magic(path.read_text(encoding="utf-8"), str(path))
        writes = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
                  and isinstance(node.func, ast.Attribute) and node.func.attr == "transparent_write"]
        if writes:
            shown[path.name] = writes
    assert len(scripts) > 10
    assert shown == {}, f"bare expressions magic would show (write them with st.write): {shown}"
