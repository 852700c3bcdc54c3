"""Counting failed sign-ins and the back-off that follows them.

Failures for an account are counted on its row; failures for a name without an account are counted
in ``sign_in_throttle`` under a keyed hash of the name (the key is the installation's secret, so the
table neither holds typed names nor lets anyone test a guess offline). Both are in the database every
app process shares, so the back-off holds across processes and restarts, and unknown names are locked
out like real ones: the answer never tells whether an account exists.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError

from db.engine import read_session, write_session
from db.models import EventLog, Setting, SignInThrottle, User
from services.errors import StateError

FREE_ATTEMPTS = 5  # failures before back-off starts
BACKOFF_BASE = timedelta(seconds=30)  # the first lock; doubled for every further failure
BACKOFF_MAX = timedelta(minutes=15)
THROTTLE_KEY_SETTING = "sign_in_throttle_key"
THROTTLE_KEEP = BACKOFF_MAX * 4  # an unknown name's failures are forgotten this long after the last one


def backoff(failures: int) -> timedelta | None:
    """How long an account is locked after ``failures`` consecutive failures (None: not locked)."""
    extra = failures - FREE_ATTEMPTS
    if extra < 0:
        return None
    return min(BACKOFF_BASE * (2 ** min(extra, 16)), BACKOFF_MAX)


def seconds_left(until: datetime, now: datetime) -> int:
    return int((until - now).total_seconds()) + 1


@lru_cache(maxsize=8)
def _throttle_key(engine: Engine) -> bytes:
    """The installation's secret for hashing unknown names, made once (by whichever process is first)."""
    for _ in range(2):
        with read_session(engine) as s:
            stored = s.get(Setting, THROTTLE_KEY_SETTING)
            if stored is not None:
                return bytes.fromhex(stored.value)
        try:
            with write_session(engine) as s:
                s.add(Setting(key=THROTTLE_KEY_SETTING, value=secrets.token_hex(32)))
        except IntegrityError:  # another process made it at the same moment: read theirs
            continue
    raise StateError("the sign-in throttle key could not be created")


def _name_key(engine: Engine, name: str) -> str:
    return hmac.new(_throttle_key(engine), (name or "").strip().lower().encode(), hashlib.sha256).hexdigest()


def unknown_locked_until(engine: Engine, name: str) -> datetime | None:
    """When the back-off of a name without an account ends (None: not locked)."""
    with read_session(engine) as s:
        row = s.get(SignInThrottle, _name_key(engine, name))
        return row.locked_until if row is not None else None


def unknown_failed(engine: Engine, name: str, now: datetime) -> datetime | None:
    """Count a failure for a name without an account, in the database every process shares."""
    key = _name_key(engine, name)
    for attempt in range(2):
        try:
            with write_session(engine) as s:
                s.execute(delete(SignInThrottle).where(SignInThrottle.last_failed_at < now - THROTTLE_KEEP))
                row = s.get(SignInThrottle, key, with_for_update=True)
                if row is None:
                    row = SignInThrottle(name_key=key, failures=0)
                    s.add(row)
                row.failures += 1
                row.last_failed_at = now
                wait = backoff(row.failures)
                row.locked_until = now + wait if wait else None
                return row.locked_until
        except IntegrityError:  # the same unknown name failed in two processes at once: count on theirs
            if attempt:
                raise
    raise AssertionError("unreachable")


def account_failed(engine: Engine, user_id: int, now: datetime, action: str) -> datetime | None:
    """Count a failed password check for an account; returns the new lock time, if any."""
    with write_session(engine) as s:
        user = s.get(User, user_id, with_for_update=True)
        if user is None:
            return None
        user.failed_logins = (user.failed_logins or 0) + 1
        wait = backoff(user.failed_logins)
        detail = {"failures": user.failed_logins}
        if wait:
            user.locked_until = now + wait
            detail["locked_seconds"] = int(wait.total_seconds())
        s.add(EventLog(user_id=user.id, action=action, object_type="user", object_id=user.id, detail=detail))
        return user.locked_until if wait else None
