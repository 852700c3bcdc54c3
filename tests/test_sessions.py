"""Remembered sign-ins: a reload keeps a local account signed in until sign-out, idle time or revocation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from db.engine import read_session, write_session
from db.models import SignInSession, utcnow
from i18n import t
from services import account_admin as admin
from services.access import Actor, load_actor
from services.accounts import create_user
from services.backup import dump
from services.sessions import (
    SESSION_IDLE,
    SESSION_LIFETIME,
    SESSION_TOUCH,
    end_session,
    resume_session,
    session_alive,
    start_session,
)
from services.sign_in import change_password
from tests.support.apptest import app_test, page_texts


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """Every test of this module on both backends: SQLite and a real PostgreSQL server."""
    return any_db_url


PASSWORD = "Correct-Horse-Battery-42"


def _age(engine: Engine, token_user: int, *, last_seen: timedelta = timedelta(0),
         created: timedelta = timedelta(0)) -> None:
    """Move a user's sessions into the past (as if time had passed)."""
    now = utcnow()
    with write_session(engine) as s:
        for row in s.scalars(select(SignInSession).where(SignInSession.user_id == token_user)):
            row.last_seen_at = now - last_seen
            row.created_at = now - created
            row.expires_at = row.created_at + SESSION_LIFETIME


@pytest.fixture
def uid(engine: Engine) -> int:
    return create_user(engine, "lead", PASSWORD).id


def test_a_session_resumes_as_its_user_and_a_forged_token_does_not(engine: Engine, uid: int) -> None:
    token = start_session(engine, uid)
    who = resume_session(engine, token)
    assert who is not None and who.user_id == uid and who.username == "lead"
    assert resume_session(engine, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert resume_session(engine, "") is None
    assert resume_session(engine, None) is None
    assert resume_session(engine, "x" * 5000) is None


def test_only_a_hash_of_the_token_is_stored(db_url: str, engine: Engine, uid: int, tmp_path: Path) -> None:
    token = start_session(engine, uid)
    with read_session(engine) as s:
        stored = s.scalars(select(SignInSession.token_hash)).one()
    assert stored != token and len(stored) == 64
    dump(engine, tmp_path / "everything.json")  # every row of every table, as a backup holds them
    rows = (tmp_path / "everything.json").read_text(encoding="utf-8")
    assert stored in rows and token not in rows
    if db_url.startswith("sqlite"):  # and not in the file's bytes either (free pages, WAL)
        engine.dispose()  # flush SQLite's WAL into the database file
        raw = b"".join(p.read_bytes() for p in Path(db_url.removeprefix("sqlite:///")).parent.glob("*.db*"))
        assert stored.encode() in raw  # the bytes read are the database's
        assert token.encode() not in raw


def test_idle_sessions_expire_and_activity_slides_them(engine: Engine, uid: int) -> None:
    token = start_session(engine, uid)
    _age(engine, uid, last_seen=SESSION_IDLE - timedelta(minutes=2))
    assert resume_session(engine, token) is not None  # still in time; last seen moves to now
    _age(engine, uid, last_seen=SESSION_IDLE - timedelta(minutes=2))
    assert session_alive(engine, token)
    with read_session(engine) as s:
        seen = s.scalars(select(SignInSession.last_seen_at)).one()
    assert utcnow() - seen < SESSION_TOUCH
    _age(engine, uid, last_seen=SESSION_IDLE + timedelta(seconds=1))
    assert resume_session(engine, token) is None
    assert not session_alive(engine, token)


def test_recent_activity_is_not_written_on_every_check(engine: Engine, uid: int) -> None:
    token = start_session(engine, uid)
    _age(engine, uid, last_seen=timedelta(seconds=10))
    with read_session(engine) as s:
        before = s.scalars(select(SignInSession.last_seen_at)).one()
    assert session_alive(engine, token)
    with read_session(engine) as s:
        assert s.scalars(select(SignInSession.last_seen_at)).one() == before


def test_a_session_ends_after_its_lifetime_even_when_in_use(engine: Engine, uid: int) -> None:
    token = start_session(engine, uid)
    _age(engine, uid, created=SESSION_LIFETIME + timedelta(seconds=1))
    assert resume_session(engine, token) is None


def test_sign_out_revokes_only_that_session(engine: Engine, uid: int) -> None:
    laptop, phone = start_session(engine, uid), start_session(engine, uid)
    end_session(engine, laptop)
    assert resume_session(engine, laptop) is None
    assert resume_session(engine, phone) is not None


def test_password_change_ends_the_other_sessions(engine: Engine, uid: int) -> None:
    here, elsewhere = start_session(engine, uid), start_session(engine, uid)
    change_password(engine, load_actor(engine, uid), PASSWORD, "Another-Good-Passphrase-7", keep_session=here)
    assert resume_session(engine, elsewhere) is None
    assert resume_session(engine, here) is not None
    change_password(engine, load_actor(engine, uid), "Another-Good-Passphrase-7", "Third-Good-Passphrase-9")
    assert resume_session(engine, here) is None


def test_password_reset_and_deactivation_end_every_session(engine: Engine, uid: int, system: Actor) -> None:
    token = start_session(engine, uid)
    admin.reset_password(engine, system, uid, "Reset-By-Admin-2024")
    assert resume_session(engine, token) is None
    token = start_session(engine, uid)
    admin.set_active(engine, system, uid, False)
    assert resume_session(engine, token) is None
    admin.set_active(engine, system, uid, True)
    assert resume_session(engine, token) is None  # reactivation does not bring old sessions back


def test_ended_sessions_are_cleared_at_the_next_sign_in(engine: Engine, uid: int) -> None:
    for _ in range(3):
        end_session(engine, start_session(engine, uid))
    start_session(engine, uid)
    with read_session(engine) as s:
        assert len(s.scalars(select(SignInSession)).all()) == 1


# --- the app: a new tab (no session state) with the browser's cookie -------------------------------

def _with_cookie(monkeypatch: pytest.MonkeyPatch, token: str | None) -> None:
    """AppTest 1.67 cannot send cookies (AppTest.context has no 'cookies' key): stand in for the browser."""
    import app_pages.common as common

    monkeypatch.setattr(common, "_browser_cookie", lambda: token)


def test_a_new_tab_with_a_live_cookie_is_signed_in(app_db: str, engine: Engine, uid: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    _with_cookie(monkeypatch, start_session(engine, uid))
    at = app_test().run()
    assert not at.exception
    assert t("common.signed_in_as", user="lead") in page_texts(at)
    assert at.session_state["user_id"] == uid


def test_a_new_tab_with_an_ended_cookie_shows_the_sign_in_page(app_db: str, engine: Engine, uid: int,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    token = start_session(engine, uid)
    with write_session(engine) as s:
        s.execute(update(SignInSession).values(last_seen_at=utcnow() - SESSION_IDLE - timedelta(minutes=1)))
    _with_cookie(monkeypatch, token)
    at = app_test().run()
    assert not at.exception
    assert "user_id" not in at.session_state
    assert t("auth.expired") in page_texts(at)
    assert t("auth.heading") in page_texts(at)


def test_signing_out_revokes_the_remembered_session(app_db: str, engine: Engine, uid: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    token = start_session(engine, uid)
    _with_cookie(monkeypatch, token)
    at = app_test().run()
    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception
    assert t("auth.heading") in page_texts(at)
    assert t("auth.expired") not in page_texts(at)  # the tab's own cookie is not tried again
    assert resume_session(engine, token) is None


def test_a_session_revoked_elsewhere_ends_the_open_tab(app_db: str, engine: Engine, uid: int,
                                                       monkeypatch: pytest.MonkeyPatch, system: Actor) -> None:
    _with_cookie(monkeypatch, start_session(engine, uid))
    at = app_test().run()
    assert at.session_state["user_id"] == uid
    admin.reset_password(engine, system, uid, "Reset-By-Admin-2024")
    at.session_state["session_checked"] = 0.0  # the once-a-minute server check is due
    at.run()
    assert "user_id" not in at.session_state
    assert t("auth.heading") in page_texts(at)


def test_password_sign_in_creates_a_remembered_session(app_db: str, engine: Engine, uid: int) -> None:
    at = app_test().run()
    at.text_input(key="signin_username").input("lead")
    at.text_input(key="signin_password").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["user_id"] == uid
    token = at.session_state["session_token"]
    assert resume_session(engine, token) is not None
