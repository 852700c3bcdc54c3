"""Lock-out is not a denial of service: throttled per source and per account, the real user still gets in.

Threat (docs/security.md, "Guessing and lock-out"): five wrong passwords locked an account for everyone,
so one guess per lock period kept any account — the platform administrator's too — locked for as long
as an attacker liked. Now a source that fails too often backs off by itself, and an account's lock does
not apply to the sources its owner signed in from before.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from db.engine import read_session, write_session
from db.models import SignInThrottle, User, utcnow
from services import sign_in
from services.accounts import create_user
from services.passwords import COMMON_PASSWORDS, MIN_PASSWORD, common_passwords, password_problems
from services.sign_in import LockedOut, SignInError, authenticate
from services.sign_in_throttle import BACKOFF_MAX, FREE_ATTEMPTS, SOURCE_FREE_ATTEMPTS, source_address
from tests.support.cli import run_cli

PASSWORD = "Harbour-Lantern-Quiet-77"
OFFICE, ATTACKER = "203.0.113.5", "198.51.100.66"


@pytest.fixture
def db_url(any_db_url: str) -> str:
    return any_db_url


def _guess(engine: Engine, name: str, source: str, times: int = 1) -> list[type[Exception]]:
    refusals: list[type[Exception]] = []
    for i in range(times):
        with pytest.raises((SignInError, LockedOut)) as refused:
            authenticate(engine, name, f"guess-{i}-{source}", source=source)
        refusals.append(type(refused.value))
    return refusals


def _locked_until(engine: Engine, name: str) -> datetime | None:
    with read_session(engine) as s:
        return s.query(User).filter(User.username == name).one().locked_until


def test_the_real_user_gets_in_while_an_attacker_guesses(engine: Engine) -> None:
    create_user(engine, "cfo", PASSWORD)
    authenticate(engine, "cfo", PASSWORD, source=OFFICE)  # the owner's usual connection
    refusals = _guess(engine, "cfo", ATTACKER, times=30)
    assert refusals[:FREE_ATTEMPTS - 1] == [SignInError] * (FREE_ATTEMPTS - 1) and refusals[-1] is LockedOut
    assert _locked_until(engine, "cfo") > utcnow()  # the account is locked for other sources ...
    assert authenticate(engine, "cfo", PASSWORD, source=OFFICE).username == "cfo"  # ... not for its owner
    with pytest.raises(LockedOut):  # the attacker's source is refused even the right password
        authenticate(engine, "cfo", PASSWORD, source=ATTACKER)
    assert _locked_until(engine, "cfo") > utcnow()  # the owner's success did not lift it for the attacker


def test_without_known_sources_the_owner_was_locked_out(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth: the same attack against the former rule (a lock applies to every source)."""
    monkeypatch.setattr(sign_in, "is_known_source", lambda *_args: False)
    create_user(engine, "cfo", PASSWORD)
    authenticate(engine, "cfo", PASSWORD, source=OFFICE)
    _guess(engine, "cfo", ATTACKER, times=FREE_ATTEMPTS)
    with pytest.raises(LockedOut):
        authenticate(engine, "cfo", PASSWORD, source=OFFICE)


def test_the_platform_administrator_cannot_be_locked_out_indefinitely(engine: Engine, db_url: str,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """An attacker spreading one guess per address over many addresses, for as long as they like."""
    create_user(engine, "root", PASSWORD, platform_admin=True)
    authenticate(engine, "root", PASSWORD, source=OFFICE)
    for round_ in range(3):  # three lock periods of guessing, each ending just before the next guess
        for i in range(8):
            _guess(engine, "root", f"100.64.{round_}.{i}")
        until = _locked_until(engine, "root")
        assert until is not None and until <= utcnow() + BACKOFF_MAX  # a lock never outlasts 15 minutes
        assert authenticate(engine, "root", PASSWORD, source=OFFICE).is_platform_admin  # every time
        with write_session(engine) as s:  # the lock period passes
            s.execute(update(User).where(User.username == "root").values(locked_until=utcnow() - timedelta(seconds=1)))
    # From a new place while the lock runs, the operator lifts it with a password reset on the server.
    _guess(engine, "root", "100.64.9.9", times=FREE_ATTEMPTS)
    with pytest.raises(LockedOut):
        authenticate(engine, "root", PASSWORD, source="192.0.2.200")
    monkeypatch.setenv("DATABASE_URL", db_url)
    code, _out, err = run_cli(["users", "passwd", "root", "--password-stdin"], stdin="Fresh-Meadow-River-2027\n")
    assert code == 0, err
    assert authenticate(engine, "root", "Fresh-Meadow-River-2027", source="192.0.2.200").is_platform_admin


def test_a_source_that_fails_too_often_backs_off_whatever_names_it_tries(engine: Engine) -> None:
    create_user(engine, "lead", PASSWORD)
    refusals = [r for i in range(SOURCE_FREE_ATTEMPTS + 1) for r in _guess(engine, f"name-{i}", ATTACKER)]
    assert refusals[-1] is LockedOut  # spraying one guess at many names counts against the source
    with pytest.raises(LockedOut):
        authenticate(engine, "lead", PASSWORD, source=ATTACKER)
    assert authenticate(engine, "lead", PASSWORD, source=OFFICE).username == "lead"  # elsewhere: unaffected
    with read_session(engine) as s:  # no address is stored, only keyed hashes
        keys = " ".join(r.name_key for r in s.query(SignInThrottle))
    assert ATTACKER not in keys and "name-" not in keys


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "expected"), [
    ("203.0.113.5", None, frozenset(), "203.0.113.5"),
    (None, None, frozenset(), "local"),
    ("203.0.113.5", "10.9.9.9", frozenset(), "203.0.113.5"),  # a header from an untrusted peer is ignored
    (None, "6.6.6.6, 203.0.113.7", frozenset({"local"}), "203.0.113.7"),  # the proxy's own entry, not the client's
    ("10.0.0.2", "203.0.113.8", frozenset({"10.0.0.2"}), "203.0.113.8"),
    ("10.0.0.2", "not-an-address", frozenset({"10.0.0.2"}), "10.0.0.2"),
])
def test_the_source_address(peer: str | None, forwarded: str | None, trusted: frozenset[str], expected: str) -> None:
    assert source_address(peer, forwarded, trusted) == expected


# --- the password policy -------------------------------------------------------------------------------

@pytest.mark.parametrize("weak", ["1234567890", "123456789012", "Password1234!", "qwertyuiop12", "iloveyou2024",
                                  "Summer2024!!", "aaaaaaaaaaaa"])
def test_weak_passwords_are_refused(weak: str) -> None:
    assert password_problems(weak, "someone")


@pytest.mark.parametrize("fine", ["correct horse battery", "Harbour-Lantern-Quiet-77", "我的密码是一句很长的话啊"])
def test_a_long_phrase_of_ones_own_is_accepted(fine: str) -> None:
    assert password_problems(fine, "someone") == []


def test_the_common_password_list_ships_with_its_source() -> None:
    assert MIN_PASSWORD >= 12 and len(common_passwords()) > 19_000 and "1234567890" in common_passwords()
    readme = (Path(COMMON_PASSWORDS).parent / "README.md").read_text(encoding="utf-8")
    assert "Django 5.2.20" in readme and "Royce Williams" in readme and "BSD" in readme
