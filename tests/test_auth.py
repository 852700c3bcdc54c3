"""Accounts: argon2id hashes, sign-in refusals, back-off, password change, first start, expiry, SSO."""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, func, select, update

from db.engine import make_engine, read_session, write_session
from db.models import EventLog, SignInThrottle, User, utcnow
from i18n import t
from services import account_admin as admin
from services import demo_check
from services.access import Actor, load_actor
from services.accounts import AlreadySetUp, create_first_admin, create_user
from services.demo_check import demo_accounts_active
from services.errors import InvalidInput
from services.organisations import create_organisation
from services.passwords import DUMMY_HASH as _DUMMY_HASH
from services.passwords import HASHER
from services.sign_in import LockedOut, NoPassword, SignInError, authenticate, change_password
from services.sign_in_throttle import (
    BACKOFF_BASE,
    BACKOFF_MAX,
    FREE_ATTEMPTS,
    THROTTLE_KEEP,
    backoff,
    source_key,
)
from services.single_sign_on import sso_actor
from tests.support.apptest import app_test, page_texts

PASSWORD = "Correct-Horse-Battery-42"


def _db_bytes(url: str) -> bytes:
    """Every byte SQLite keeps for this database (main file and write-ahead log)."""
    path = Path(url.removeprefix("sqlite:///"))
    return b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


def _user(engine: Engine, username: str) -> User:
    with read_session(engine) as s:
        u = s.scalars(select(User).where(User.username == username)).one()
        s.expunge(u)
        return u


def _param_segment(hash_: str) -> str:
    """'$argon2id$v=19$m=65536,t=3,p=4$…' → 'm=65536,t=3,p=4'."""
    return hash_.split("$")[3]


@pytest.fixture
def argon2_verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The hash of every argon2 verification made from now on, by whatever code makes it."""
    calls: list[str] = []
    real = PasswordHasher.verify

    def counting(self: PasswordHasher, hash_: str | bytes, password: str | bytes) -> bool:
        calls.append(str(hash_))
        return real(self, hash_, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting)
    return calls


# --- storage and logging ---------------------------------------------------------------------------

def test_passwords_are_never_stored_or_logged_in_clear(engine: Engine, db_url: str, system: Actor,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # every logger, SQL statements and their parameters included
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)
    try:
        second, third, typed_as_name = "Second-Secret-Pass-77", "Third-Secret-Pass-88", "Oops-Password-In-Name-1"
        uid = create_user(engine, "lead", PASSWORD).id
        authenticate(engine, "lead", PASSWORD)
        with pytest.raises(SignInError):
            authenticate(engine, "lead", second)
        with pytest.raises(SignInError):  # a password typed into the user-name field
            authenticate(engine, typed_as_name, PASSWORD)
        change_password(engine, load_actor(engine, uid), PASSWORD, second)
        admin.reset_password(engine, system, uid, third)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    stored = _db_bytes(db_url)
    logged = caplog.text
    assert "INSERT INTO user_account" in logged  # the SQL log was really on
    for secret in (PASSWORD, second, third, typed_as_name):
        assert secret.encode() not in stored, f"{secret} is in the database file"
        assert secret not in logged, f"{secret} was logged"
    with read_session(engine) as s:
        details = repr([(e.action, e.detail) for e in s.scalars(select(EventLog))])
    assert typed_as_name not in details and "sign_in_failed" in details


def test_hashes_are_argon2id(engine: Engine) -> None:
    create_user(engine, "lead", PASSWORD)
    stored = _user(engine, "lead").password_hash
    assert stored is not None and stored.startswith("$argon2id$v=19$")
    assert HASHER.verify(stored, PASSWORD)
    # Two accounts with the same password get different hashes (a random salt each).
    create_user(engine, "twin", PASSWORD)
    assert _user(engine, "twin").password_hash != stored


# --- refusals --------------------------------------------------------------------------------------

def test_wrong_password_and_unknown_user_are_refused_alike(engine: Engine) -> None:
    create_user(engine, "lead", PASSWORD)
    with pytest.raises(SignInError) as wrong:
        authenticate(engine, "lead", "not-the-password")
    with pytest.raises(SignInError) as unknown:
        authenticate(engine, "no-such-user", "not-the-password")
    assert type(wrong.value) is type(unknown.value) and wrong.value.key == unknown.value.key == "auth.failed"
    # Unknown names are checked against a real argon2id hash made with the same parameters, so the
    # refusal costs one argon2 verification either way.
    real = _user(engine, "lead").password_hash or ""
    assert _DUMMY_HASH.startswith("$argon2id$v=19$")
    assert _param_segment(_DUMMY_HASH) == _param_segment(real)


def test_every_sign_in_costs_exactly_one_argon2_verification(engine: Engine, system: Actor,
                                                              argon2_verifications: list[str]) -> None:
    """Refusals take as long as a wrong password, so the time taken does not tell which refusal it was."""
    create_user(engine, "lead", PASSWORD)
    admin.set_active(engine, system, create_user(engine, "gone", PASSWORD).id, False)
    create_user(engine, "sso-person", None, email="sso@example.com")
    create_user(engine, "locked", PASSWORD)
    with write_session(engine) as s:
        s.execute(update(User).where(User.username == "locked").values(locked_until=utcnow() + timedelta(hours=1)))
    locked_ghost = f"ghost-{secrets.token_hex(6)}"  # unknown names lock out too (in the database)
    for i in range(FREE_ATTEMPTS):  # from several places: no source reaches its own limit here
        with pytest.raises((SignInError, LockedOut)):
            authenticate(engine, locked_ghost, "guess", source=f"192.0.2.{i}")
    cases: dict[str, tuple[str, str, type[Exception] | None]] = {
        "unknown user": (f"ghost-{secrets.token_hex(6)}", PASSWORD, SignInError),
        "wrong password": ("lead", "wrong-password", SignInError),
        "locked account": ("locked", PASSWORD, LockedOut),
        "locked unknown name": (locked_ghost, PASSWORD, LockedOut),
        "inactive account": ("gone", PASSWORD, SignInError),
        "single-sign-on-only account": ("sso-person", PASSWORD, SignInError),
        "success": ("lead", PASSWORD, None),
    }
    for case, (name, password, refusal) in cases.items():
        argon2_verifications.clear()
        if refusal is None:
            authenticate(engine, name, password)
        else:
            with pytest.raises(refusal):
                authenticate(engine, name, password)
        assert len(argon2_verifications) == 1, case
    for i in range(10):  # a source past its limit costs the same too
        with pytest.raises((SignInError, LockedOut)):
            authenticate(engine, f"sprayed-{i}", "wrong-password", source="198.51.100.7")
    argon2_verifications.clear()
    with pytest.raises(LockedOut):
        authenticate(engine, "lead", PASSWORD, source="198.51.100.7")
    assert len(argon2_verifications) == 1, "locked source"
    argon2_verifications.clear()
    with pytest.raises(SignInError):  # a wrong current password on the account page
        change_password(engine, authenticate(engine, "lead", PASSWORD), "wrong-password", "A-New-Password-1")
    assert len(argon2_verifications) == 2  # the sign-in, then the refused change


def test_deactivated_and_sso_only_accounts_are_refused_like_unknown_ones(engine: Engine, system: Actor) -> None:
    uid = create_user(engine, "gone", PASSWORD).id
    admin.set_active(engine, system, uid, False)
    create_user(engine, "sso-person", None, email="sso@example.com")
    for name, pw in (("gone", PASSWORD), ("sso-person", "")):
        with pytest.raises(SignInError):
            authenticate(engine, name, pw)


def test_user_names_are_matched_case_insensitively_and_cannot_be_duplicated(engine: Engine) -> None:
    create_user(engine, "Lead", PASSWORD)
    assert authenticate(engine, "  lead ", PASSWORD).username == "Lead"
    with pytest.raises(InvalidInput, match="taken"):
        create_user(engine, "LEAD", PASSWORD)


@pytest.mark.parametrize("bad", ["short-1", "lead", "aaaaaaaaaaaa"])
def test_weak_passwords_are_refused_with_the_rule(engine: Engine, bad: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        create_user(engine, "lead", bad)
    assert all(p.startswith("password:") for p in exc.value.problems)


# --- back-off --------------------------------------------------------------------------------------

def test_backoff_engages_after_five_failures_and_refuses_the_right_password(engine: Engine) -> None:
    create_user(engine, "lead", PASSWORD)
    for _ in range(FREE_ATTEMPTS - 1):
        with pytest.raises(SignInError):
            authenticate(engine, "lead", "wrong-password")
    with pytest.raises(LockedOut) as locked:  # the fifth failure starts the lock and says so
        authenticate(engine, "lead", "wrong-password")
    assert 0 < locked.value.seconds <= BACKOFF_BASE.total_seconds() + 1
    with pytest.raises(LockedOut):
        authenticate(engine, "lead", PASSWORD)  # correct, but locked
    u = _user(engine, "lead")
    assert u.failed_logins == FREE_ATTEMPTS and u.locked_until is not None
    # The lock ends (time passes): the next failure locks for twice as long.
    _unlock_clock(engine, "lead")
    with pytest.raises(LockedOut) as longer:
        authenticate(engine, "lead", "wrong-password")
    assert BACKOFF_BASE.total_seconds() < longer.value.seconds <= 2 * BACKOFF_BASE.total_seconds() + 1
    # After the lock, the right password works and clears the count.
    _unlock_clock(engine, "lead")
    authenticate(engine, "lead", PASSWORD)
    u = _user(engine, "lead")
    assert u.failed_logins == 0 and u.locked_until is None and u.last_login_at is not None
    with read_session(engine) as s:
        actions = [e.action for e in s.scalars(select(EventLog).where(EventLog.user_id == u.id))]
    assert actions.count("sign_in_failed") == FREE_ATTEMPTS + 1 and "sign_in" in actions


def _unlock_clock(engine: Engine, username: str) -> None:
    """Move the account's lock into the past, as if the back-off time had passed."""
    with write_session(engine) as s:
        s.execute(update(User).where(User.username == username).values(locked_until=utcnow() - timedelta(seconds=1)))


def test_backoff_doubles_up_to_fifteen_minutes() -> None:
    assert [backoff(n) for n in range(FREE_ATTEMPTS)] == [None] * FREE_ATTEMPTS
    waits = [backoff(FREE_ATTEMPTS + k) for k in range(8)]
    assert waits[:5] == [BACKOFF_BASE * 2 ** k for k in range(5)]
    assert waits[-1] == BACKOFF_MAX == timedelta(minutes=15)
    assert backoff(10_000) == BACKOFF_MAX


def test_unknown_names_lock_out_like_real_accounts(engine: Engine) -> None:
    """Otherwise "locked" would tell an attacker which names exist."""
    for _ in range(FREE_ATTEMPTS - 1):
        with pytest.raises(SignInError):
            authenticate(engine, "ghost-account", "guess")
    with pytest.raises(LockedOut):
        authenticate(engine, "ghost-account", "guess")


def test_unknown_names_lock_out_across_app_processes_and_restarts(any_db_url: str) -> None:
    """Two engines on one database stand for two app processes (or one before and after a restart)."""
    one, two = make_engine(any_db_url), make_engine(any_db_url)
    try:
        for attempt in range(FREE_ATTEMPTS - 1):
            with pytest.raises(SignInError):
                authenticate(one if attempt % 2 else two, "Ghost-Account", "guess")
        with pytest.raises(LockedOut):  # the fifth failure, counted over both processes, locks the name
            authenticate(one, "ghost-account ", "guess")
        with pytest.raises(LockedOut):
            authenticate(two, "GHOST-ACCOUNT", "guess")
        with read_session(one) as s:  # the name's row (the other counts this machine as a source)
            rows = s.scalars(select(SignInThrottle).where(SignInThrottle.name_key != source_key(one, None))).all()
            stored = " ".join(f"{r.name_key} {r.failures}" for r in s.scalars(select(SignInThrottle)))
        assert len(rows) == 1 and rows[0].failures == FREE_ATTEMPTS
        assert "ghost" not in stored.lower() and len(rows[0].name_key) == 64  # a keyed hash, never the name
    finally:
        one.dispose()
        two.dispose()


def test_forgotten_unknown_name_failures_are_pruned(engine: Engine) -> None:
    with pytest.raises(SignInError):
        authenticate(engine, "typo-name", "guess")
    with write_session(engine) as s:
        s.execute(update(SignInThrottle).values(last_failed_at=utcnow() - THROTTLE_KEEP - timedelta(minutes=1)))
    with pytest.raises(SignInError):
        authenticate(engine, "another-typo", "guess")
    with read_session(engine) as s:  # one row for the new name and one for this machine as a source
        assert sorted(r.failures for r in s.scalars(select(SignInThrottle))) == [1, 1]


# --- changing passwords ----------------------------------------------------------------------------

def test_change_password(engine: Engine) -> None:
    uid = create_user(engine, "lead", PASSWORD).id
    me = load_actor(engine, uid)
    with pytest.raises(SignInError):
        change_password(engine, me, "not-my-password", "A-New-Password-1")
    with pytest.raises(InvalidInput):
        change_password(engine, me, PASSWORD, "short")
    with pytest.raises(InvalidInput):
        change_password(engine, me, PASSWORD, PASSWORD)
    change_password(engine, me, PASSWORD, "A-New-Password-1")
    with pytest.raises(SignInError):
        authenticate(engine, "lead", PASSWORD)
    assert authenticate(engine, "lead", "A-New-Password-1").user_id == uid


def test_wrong_current_password_counts_towards_the_lock(engine: Engine) -> None:
    """A stolen session cannot be used to guess the password without limit."""
    uid = create_user(engine, "lead", PASSWORD).id
    me = load_actor(engine, uid)
    for _ in range(FREE_ATTEMPTS - 1):
        with pytest.raises(SignInError):
            change_password(engine, me, "guess", "A-New-Password-1")
    with pytest.raises(LockedOut):
        change_password(engine, me, "guess", "A-New-Password-1")
    with pytest.raises(LockedOut):
        authenticate(engine, "lead", PASSWORD)


def test_sso_only_account_has_no_password_to_change(engine: Engine) -> None:
    uid = create_user(engine, "sso-person", None, email="sso@example.com").id
    with pytest.raises(NoPassword):
        change_password(engine, load_actor(engine, uid), "", "A-New-Password-1")


def test_administrator_reset_lifts_the_lock(engine: Engine, system: Actor) -> None:
    uid = create_user(engine, "lead", PASSWORD).id
    for _ in range(FREE_ATTEMPTS):
        with pytest.raises((SignInError, LockedOut)):
            authenticate(engine, "lead", "wrong-password")
    admin.reset_password(engine, system, uid, "Reset-By-Admin-9")
    assert authenticate(engine, "lead", "Reset-By-Admin-9").user_id == uid


def test_account_page_changes_the_password(app_db: str, engine: Engine) -> None:
    uid = create_user(engine, "lead", PASSWORD).id
    at = app_test(uid).run()
    at.switch_page("app_pages/account.py").run()
    at.text_input(key="pw_old").input(PASSWORD)
    at.text_input(key="pw_new1").input("A-New-Password-1")
    at.text_input(key="pw_new2").input("A-New-Password-1")
    at.button[0].click().run()
    assert not at.exception
    assert t("auth.password_changed") in page_texts(at)
    assert authenticate(engine, "lead", "A-New-Password-1").user_id == uid


# --- first start and session expiry (AppTest) -------------------------------------------------------

def test_first_start_creates_the_administrator_and_signs_in(app_db: str, engine: Engine) -> None:
    at = app_test().run()
    assert not at.exception
    assert t("auth.first_run_heading") in page_texts(at)
    assert t("auth.heading") not in [s.value for s in at.subheader]
    at.text_input(key="first_username").input("chief")
    at.text_input(key="first_display").input("首席合规官")
    at.text_input(key="first_pw1").input(PASSWORD)
    at.text_input(key="first_pw2").input(PASSWORD)
    at.button[0].click().run()
    assert not at.exception
    chief = _user(engine, "chief")
    assert at.session_state["user_id"] == chief.id
    assert chief.is_platform_admin and (chief.password_hash or "").startswith("$argon2id$")
    assert t("common.signed_in_as", user="chief") in page_texts(at)
    # A new visitor now sees the sign-in form, not the first-start form.
    fresh = app_test().run()
    assert t("auth.heading") in page_texts(fresh)
    assert t("auth.first_run_heading") not in page_texts(fresh)


def test_first_start_refuses_mismatched_passwords(app_db: str, engine: Engine) -> None:
    at = app_test().run()
    at.text_input(key="first_username").input("chief")
    at.text_input(key="first_pw1").input(PASSWORD)
    at.text_input(key="first_pw2").input(PASSWORD + "x")
    at.button[0].click().run()
    assert t("auth.passwords_differ") in page_texts(at)
    assert "user_id" not in at.session_state


def test_first_administrator_can_only_be_created_once(engine: Engine) -> None:
    create_first_admin(engine, "chief", PASSWORD)
    with pytest.raises(AlreadySetUp):
        create_first_admin(engine, "second-chief", PASSWORD)


def test_idle_session_expires_to_the_sign_in_page(app_db: str, engine: Engine) -> None:
    uid = create_user(engine, "lead", PASSWORD).id
    at = app_test(uid)
    at.session_state["last_seen"] = time.time() - 24 * 3600
    at.run()
    assert not at.exception
    assert t("auth.expired") in page_texts(at)
    assert t("auth.heading") in page_texts(at)
    assert "user_id" not in at.session_state


def test_sign_out_leaves_nothing_of_the_user_in_the_session(app_db: str, engine: Engine) -> None:
    """The next person at the same browser tab finds none of the previous user's answers or choices."""
    from services.assessments import create_assessment

    uid = create_user(engine, "lead", PASSWORD).id
    org = create_organisation(engine, load_actor(engine, uid), "示例科技", _profile()).id
    aid = create_assessment(engine, load_actor(engine, uid), org).id
    at = app_test(uid, lang="en", org_id=org, query={"assessment": str(aid)}).run()
    at.switch_page("app_pages/questionnaire.py").run()
    qid = next(r.key for r in at.radio if (r.key or "").startswith("ans_"))
    assert qid is not None
    at.radio(key=qid).set_value(3).run()
    shell = ("lang", "lang_switch", "user_id", "last_seen", "org_id")
    kept_by_pages = [k for k in at.session_state if k not in shell and not k.startswith(("ans_", "na_", "note_"))]
    assert "q_seen" in kept_by_pages  # the questionnaire keeps what the user saw, answers included
    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception
    # The run cache (what the current run has read) is renewed by every run: after sign-out it may
    # exist again, but only with what the sign-in page read, never the previous user.
    cache = at.session_state["run_cache"][1] if "run_cache" in at.session_state else {}
    assert all(getattr(value, "user_id", None) != uid for value in cache.values()), cache
    left = [k for k in at.session_state if k not in ("lang", "run_cache")]
    assert not [k for k in left if k in kept_by_pages or k in ("user_id", "org_id", qid)], left
    assert at.session_state["lang"] == "en"
    assert t("auth.heading", "en") in page_texts(at)


def test_deactivated_user_is_signed_out_at_the_next_click(app_db: str, engine: Engine, system: Actor) -> None:
    uid = create_user(engine, "lead", PASSWORD).id
    at = app_test(uid).run()
    assert t("common.signed_in_as", user="lead") in page_texts(at)
    admin.set_active(engine, system, uid, False)
    at.run()
    assert "user_id" not in at.session_state
    assert t("auth.heading") in page_texts(at)


def test_demo_hint_only_where_demo_passwords_work(app_db: str, engine: Engine, system: Actor) -> None:
    create_user(engine, "admin", "demo-admin-2024")
    assert demo_accounts_active(engine)
    assert t("auth.demo_hint") in page_texts(app_test().run())
    admin.reset_password(engine, system, _user(engine, "admin").id, "Operator-Chose-This-1")
    assert not demo_accounts_active(engine)
    assert t("auth.demo_hint") not in page_texts(app_test().run())


def test_demo_check_is_reused_for_a_minute_but_not_past_a_password_change(
        engine: Engine, system: Actor, argon2_verifications: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Anonymous visitors reloading the sign-in page must not each cost argon2 verifications."""
    uid = create_user(engine, "admin", "Operator-Chose-This-1").id
    assert [demo_accounts_active(engine) for _ in range(5)] == [False] * 5
    assert len(argon2_verifications) == 1
    admin.reset_password(engine, system, uid, "demo-admin-2024")  # committed: the answer is forgotten
    assert demo_accounts_active(engine)
    change_password(engine, load_actor(engine, uid), "demo-admin-2024", "Operator-Chose-This-2")
    assert not demo_accounts_active(engine)
    argon2_verifications.clear()
    demo_accounts_active(engine)
    assert argon2_verifications == []
    monkeypatch.setattr(demo_check, "DEMO_CHECK_TTL", 0.0)  # as if the minute had passed
    demo_accounts_active(engine)
    assert len(argon2_verifications) == 1


# --- single sign-on ----------------------------------------------------------------------------------

AUTH_SECRETS = {"auth": {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-secret",
                         "client_id": "aigov", "client_secret": "x",
                         "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration"}}


def test_sso_identity_maps_by_email_to_the_same_roles(engine: Engine, system: Actor) -> None:
    uid = create_user(engine, "wang", PASSWORD, email="Wang.Li@Example.com").id
    org = create_organisation(engine, load_actor(engine, uid), "示例科技", _profile()).id
    who = sso_actor(engine, "wang.li@example.com", "王丽", email_verified=True)
    assert who.user_id == uid and who.org_roles == {org: "org_admin"}
    # Local sign-in keeps working for the same account.
    assert authenticate(engine, "wang", PASSWORD).user_id == uid


def test_sso_identity_without_account_gets_one_with_no_roles(engine: Engine) -> None:
    create_user(engine, "new@example.com", PASSWORD)  # the e-mail is taken as a user name already
    who = sso_actor(engine, "new@example.com", "New Person", email_verified=True)
    assert who.user_id is not None and not who.org_roles and not who.is_platform_admin
    u = _user(engine, who.username)
    assert u.email == "new@example.com" and u.password_hash is None and who.username != "new@example.com"
    assert sso_actor(engine, "NEW@example.com", email_verified=True).user_id == who.user_id  # the same account


def test_sso_refuses_unverified_email_and_deactivated_accounts(engine: Engine, system: Actor) -> None:
    uid = create_user(engine, "wang", PASSWORD, email="wang@example.com").id
    with pytest.raises(SignInError):
        sso_actor(engine, "wang@example.com", email_verified=False)
    with pytest.raises(SignInError):
        sso_actor(engine, "")
    admin.set_active(engine, system, uid, False)
    with pytest.raises(SignInError):
        sso_actor(engine, "wang@example.com", email_verified=True)


def test_sso_requires_a_verified_email_unless_the_operator_trusts_the_provider(engine: Engine) -> None:
    """A missing ``email_verified`` claim is not a verified address (account takeover by registering it)."""
    uid = create_user(engine, "wang", PASSWORD, email="wang@example.com").id
    for claim in (None, False):
        with pytest.raises(SignInError):
            sso_actor(engine, "wang@example.com", email_verified=claim)
    with pytest.raises(SignInError):
        sso_actor(engine, "newcomer@example.com")
    with read_session(engine) as s:  # no account was made for it either
        assert s.scalar(select(func.count()).select_from(User).where(User.email == "newcomer@example.com")) == 0
    for claim in (None, False):  # [auth] trust_unverified_email = true
        assert sso_actor(engine, "wang@example.com", email_verified=claim, trust_unverified_email=True).user_id == uid


def test_sso_reaches_a_platform_administrator_only_with_a_verified_address(engine: Engine) -> None:
    chief = create_user(engine, "chief", PASSWORD, email="chief@example.com", platform_admin=True).id
    for claim in (None, False):  # the operator trusts unverified addresses, but not for the platform's keys
        with pytest.raises(SignInError):
            sso_actor(engine, "Chief@Example.com", email_verified=claim, trust_unverified_email=True)
    with read_session(engine) as s:
        reasons = [e.detail for e in s.scalars(select(EventLog).where(EventLog.user_id == chief,
                                                                      EventLog.action == "sign_in_failed"))]
    assert reasons == [{"reason": "platform_admin", "sso": True}] * 2
    assert sso_actor(engine, "Chief@Example.com", email_verified=True).user_id == chief
    assert authenticate(engine, "chief", PASSWORD).user_id == chief  # the password still works


def test_signin_page_signs_in_a_logged_in_sso_user(app_db: str, engine: Engine) -> None:
    uid = create_user(engine, "wang", PASSWORD, email="wang@example.com").id
    at = app_test()
    at.secrets.update(AUTH_SECRETS)
    at.user = {"is_logged_in": True, "email": "wang@example.com", "name": "王丽", "email_verified": True}
    at.run()
    assert not at.exception, at.exception
    assert at.session_state["user_id"] == uid
    assert t("common.signed_in_as", user="wang") in page_texts(at)
    # Signing out also ends the single sign-on, so the next visitor is not let in as wang.
    at.sidebar.button(key="sign_out").click().run()
    assert not at.exception
    assert "user_id" not in at.session_state
    assert at.user.get("is_logged_in") is False
    assert t("auth.heading") in page_texts(at)


def test_signin_page_offers_sso_only_when_configured(app_db: str, engine: Engine) -> None:
    create_user(engine, "wang", PASSWORD)
    plain = app_test().run()
    assert t("auth.sso") not in page_texts(plain)
    at = app_test()
    at.secrets.update(AUTH_SECRETS)
    at.user = {"is_logged_in": False}
    at.run()
    assert t("auth.sso") in page_texts(at)
    assert t("auth.heading") in page_texts(at)  # local accounts keep working beside SSO


def test_signin_page_needs_the_email_verified_claim_or_the_operators_opt_out(app_db: str, engine: Engine) -> None:
    uid = create_user(engine, "wang", PASSWORD, email="wang@example.com").id
    identity = {"is_logged_in": True, "email": "wang@example.com", "name": "王丽"}  # no email_verified claim
    at = app_test()
    at.secrets.update(AUTH_SECRETS)
    at.user = identity
    at.run()
    assert not at.exception, at.exception
    assert "user_id" not in at.session_state
    assert t("account.sso_refused") in page_texts(at)
    trusting = app_test()
    trusting.secrets.update({"auth": {**AUTH_SECRETS["auth"], "trust_unverified_email": True}})
    trusting.user = identity
    trusting.run()
    assert not trusting.exception, trusting.exception
    assert trusting.session_state["user_id"] == uid


def test_signin_page_explains_a_refused_sso_identity(app_db: str, engine: Engine) -> None:
    create_user(engine, "wang", PASSWORD, email="wang@example.com")
    at = app_test()
    at.secrets.update(AUTH_SECRETS)
    at.user = {"is_logged_in": True, "email": "wang@example.com", "email_verified": False}
    at.run()
    assert not at.exception
    assert "user_id" not in at.session_state
    assert t("account.sso_refused") in page_texts(at)


def _profile() -> dict[str, object]:
    from questionnaires import get_questionnaire

    return get_questionnaire().default_profile()
