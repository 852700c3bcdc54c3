"""Signing in with a password, and changing one's own password.

Every attempt does one argon2 verification whatever happens (unknown name, deactivated account,
locked account, wrong password), and unknown names are throttled like real ones
(:mod:`services.sign_in_throttle`), so neither the time taken nor the answer tells an attacker whether
an account exists. No event records a password or a typed user name.

Verification runs outside any database transaction: an argon2 check takes tens of milliseconds
and must not hold SQLite's write lock while answers are being saved.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from sqlalchemy import Engine

from db.engine import read_session, write_session
from db.models import EventLog, User, utcnow
from services import demo_check
from services.access import Actor, load_actor
from services.accounts import find_user
from services.errors import Forbidden, InvalidInput, NotFound, Problem, ServiceError, StateError
from services.passwords import DUMMY_HASH, hash_password, needs_rehash, password_problems, verify_password
from services.sessions import revoke_sessions
from services.sign_in_throttle import (
    account_failed,
    is_known_source,
    locked_until,
    remember_source,
    seconds_left,
    source_failed,
    source_key,
    unknown_failed,
    unknown_locked_until,
)


class SignInError(ServiceError):
    key = "auth.failed"


class NoPassword(StateError):
    """A single-sign-on account has no password to change."""

    key = "account.sso_only"


class LockedOut(ServiceError):
    key = "auth.locked"

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(f"locked for {seconds}s", seconds=seconds)


def authenticate(engine: Engine, username: str, password: str, *, source: str | None = None) -> Actor:
    """The actor for correct credentials; SignInError or LockedOut otherwise.

    ``source`` is the client address (:func:`services.sign_in_throttle.source_address`; None: this
    machine). A source that failed too often is refused whatever it sends. A locked account refuses even
    the correct password — except from a source it signed in from before, so that someone guessing from
    elsewhere cannot lock its owner out (services/sign_in_throttle.py explains the three counters).
    """
    now = utcnow()
    password = password or ""
    src = source_key(engine, source)
    if (until := locked_until(engine, src)) and until > now:
        verify_password(DUMMY_HASH, password)  # the same work as any attempt
        raise LockedOut(seconds_left(until, now))
    with read_session(engine) as s:
        user = find_user(s, username)
        snap = None if user is None else (user.id, user.password_hash, bool(user.is_active), user.locked_until)
    if snap is None or not snap[2] or snap[1] is None:
        verify_password(DUMMY_HASH, password)
        source_until = source_failed(engine, src, now)
        until = unknown_locked_until(engine, username)
        if not (until and until > now):
            until = unknown_failed(engine, username, now)
        with write_session(engine) as s:
            reason = "unknown" if snap is None else ("inactive" if not snap[2] else "no_password")
            s.add(EventLog(user_id=snap[0] if snap else None, action="sign_in_failed", detail={"reason": reason}))
        _refuse(now, until, source_until)
    user_id, hash_, _active, account_until = snap
    assert hash_ is not None  # accounts without a password were refused above
    if account_until and account_until > now and not is_known_source(engine, user_id, src, now):
        verify_password(DUMMY_HASH, password)  # the same work as any attempt; the real hash is not consulted
        _refuse(now, account_until, source_failed(engine, src, now))
    if not verify_password(hash_, password):
        _refuse(now, account_failed(engine, user_id, now, "sign_in_failed"), source_failed(engine, src, now))
    rehash = hash_password(password) if needs_rehash(hash_) else None
    with write_session(engine) as s:
        user = s.get(User, user_id, with_for_update=True)
        if user is None or not user.is_active:
            raise SignInError()
        if rehash:
            user.password_hash = rehash
        if not (user.locked_until and user.locked_until > now):  # a lock others caused stays for them
            user.failed_logins = 0
            user.locked_until = None
        user.last_login_at = now
        remember_source(s, user.id, src, now)
        s.add(EventLog(user_id=user.id, action="sign_in"))
    return load_actor(engine, user_id)


def _refuse(now: datetime, *locks: datetime | None) -> NoReturn:
    """LockedOut for the longest lock still running among ``locks``, else SignInError."""
    running = [until for until in locks if until and until > now]
    if running:
        raise LockedOut(seconds_left(max(running), now))
    raise SignInError()


def change_password(engine: Engine, actor: Actor, old: str, new: str, *, keep_session: str | None = None) -> None:
    """Change one's own password; a wrong current password counts as a failed sign-in.

    Every remembered sign-in of the account ends (a thief who knew the old password is out),
    except ``keep_session``, the token of the browser that made the change.
    """
    if actor.user_id is None:
        raise Forbidden()
    now = utcnow()
    with read_session(engine) as s:
        user = s.get(User, actor.user_id)
        if user is None:
            raise NotFound(object="user", id=actor.user_id)
        username, hash_, locked_until = user.username, user.password_hash, user.locked_until
    if hash_ is None:
        raise NoPassword("single sign-on account without a password")
    if locked_until and locked_until > now:
        raise LockedOut(seconds_left(locked_until, now))
    if not verify_password(hash_, old or ""):
        until = account_failed(engine, actor.user_id, now, "password_change_failed")
        if until:
            raise LockedOut(seconds_left(until, now))
        raise SignInError()
    problems = password_problems(new, username)
    if new == old:
        problems.append(Problem("password_unchanged"))
    if problems:
        raise InvalidInput(problems=problems)
    new_hash = hash_password(new)
    with write_session(engine) as s:
        user = s.get(User, actor.user_id, with_for_update=True)
        if user is None:
            raise NotFound(object="user", id=actor.user_id)
        user.password_hash = new_hash
        user.failed_logins = 0
        user.locked_until = None
        revoke_sessions(s, user.id, keep=keep_session)
        s.add(EventLog(user_id=user.id, action="password_changed", object_type="user", object_id=user.id))
    demo_check.forget()
