"""Counting failed sign-ins and the back-off that follows them: per account, per name, per source.

Threat: password guessing, and — the review's finding — lock-out as denial of service: when five wrong
passwords lock an account for everyone, one guess per lock period keeps any account (the platform
administrator's too) locked for as long as the attacker likes. Three counters, so that guessing is slow
but the real user still gets in:

* **Per source** (the client address, :func:`source_address`): every failure from a source, whatever the
  name, counts; after :data:`SOURCE_FREE_ATTEMPTS` the source backs off (30 s doubling to 15 min) and
  all its attempts are refused. An attacker guessing from one place is slowed there, not anyone else.
* **Per account** (on its row): after :data:`FREE_ATTEMPTS` failures the account backs off the same way —
  but only for sources it has never signed in from. A source the account signed in from successfully
  in the last :data:`KNOWN_SOURCE_DAYS` days (``sign_in_known_source``) may still try the password
  (within its own per-source limit): the attacker cannot lock the real user out of their usual
  connection. Guessing from many sources at once stays limited by the account lock.
* **Per unknown name** (``sign_in_throttle``, keyed hash of the name): unknown names back off like real
  accounts, so the answer never tells whether an account exists.

Keys are HMAC-SHA-256 with the installation's secret (``sign_in_throttle_key`` setting; sources use a key
derived from it for sources only, so no typed name can collide with a source): no typed name or client
address is stored. Everything is in the database every app process shares, so the back-off holds across
processes and restarts. An administrator lifts an account's lock with a password reset.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import EventLog, KnownSignInSource, Setting, SignInThrottle, User
from services.errors import StateError

FREE_ATTEMPTS = 5  # failures of an account (or an unknown name) before back-off starts
SOURCE_FREE_ATTEMPTS = 10  # failures from one source before it backs off (an office shares an address)
KNOWN_SOURCE_DAYS = 90
LOCAL_SOURCE = "local"  # no client address (the command line, a browser on the server itself)
BACKOFF_BASE = timedelta(seconds=30)  # the first lock; doubled for every further failure
BACKOFF_MAX = timedelta(minutes=15)
THROTTLE_KEY_SETTING = "sign_in_throttle_key"
THROTTLE_KEEP = BACKOFF_MAX * 4  # an unknown name's failures are forgotten this long after the last one


def backoff(failures: int, free: int = FREE_ATTEMPTS) -> timedelta | None:
    """How long an account, name or source is locked after ``failures`` failures with ``free`` of them
    allowed (None: not locked)."""
    extra = failures - free
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
    raise StateError(reason="sign_in_key_unavailable")


def _name_key(engine: Engine, name: str) -> str:
    return hmac.new(_throttle_key(engine), (name or "").strip().lower().encode(), hashlib.sha256).hexdigest()


def trusted_proxies() -> frozenset[str]:
    """Addresses of reverse proxies whose ``X-Forwarded-For`` is believed (``AIGOV_TRUSTED_PROXIES``,
    comma-separated; ``local`` for a proxy on the same machine, e.g. deploy/nginx-aigov.conf)."""
    return frozenset(p.strip() for p in os.environ.get("AIGOV_TRUSTED_PROXIES", "").split(",") if p.strip())


def source_address(peer: str | None, forwarded_for: str | None = None,
                   trusted: frozenset[str] | None = None) -> str:
    """The client address a sign-in comes from, for throttling.

    ``peer`` is the connection's address (None for a connection from the server itself). Behind a proxy
    listed in :func:`trusted_proxies`, the client is the rightmost address of ``X-Forwarded-For`` (the one
    the proxy itself saw; entries further left are whatever the client sent). Otherwise the header is
    ignored: anyone can send it.
    """
    peer = peer if isinstance(peer, str) and peer else LOCAL_SOURCE
    if peer in (trusted if trusted is not None else trusted_proxies()) and isinstance(forwarded_for, str):
        candidate = forwarded_for.split(",")[-1].strip()
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            return peer
    return peer


def source_key(engine: Engine, source: str | None) -> str:
    """The keyed hash of a client address (its own derived key: no typed name can produce it)."""
    key = hmac.new(_throttle_key(engine), b"sign-in sources", hashlib.sha256).digest()
    return hmac.new(key, (source or LOCAL_SOURCE).encode(), hashlib.sha256).hexdigest()


def locked_until(engine: Engine, key: str) -> datetime | None:
    """When the back-off of a throttled name or source ends (None: not locked)."""
    with read_session(engine) as s:
        row = s.get(SignInThrottle, key)
        return row.locked_until if row is not None else None


def unknown_locked_until(engine: Engine, name: str) -> datetime | None:
    """When the back-off of a name without an account ends (None: not locked)."""
    return locked_until(engine, _name_key(engine, name))


def unknown_failed(engine: Engine, name: str, now: datetime) -> datetime | None:
    """Count a failure for a name without an account, in the database every process shares."""
    return _count_failure(engine, _name_key(engine, name), now, FREE_ATTEMPTS)


def source_failed(engine: Engine, key: str, now: datetime) -> datetime | None:
    """Count a failure from a source (:func:`source_key`); returns its new lock time, if any."""
    return _count_failure(engine, key, now, SOURCE_FREE_ATTEMPTS)


def _count_failure(engine: Engine, key: str, now: datetime, free: int) -> datetime | None:
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
                wait = backoff(row.failures, free)
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


def is_known_source(engine: Engine, user_id: int, key: str, now: datetime) -> bool:
    """Whether the account signed in successfully from this source in the last :data:`KNOWN_SOURCE_DAYS`."""
    with read_session(engine) as s:
        row = s.get(KnownSignInSource, (user_id, key))
        return row is not None and row.last_success_at > now - timedelta(days=KNOWN_SOURCE_DAYS)


def remember_source(s: Session, user_id: int, key: str, now: datetime) -> None:
    """Record a successful sign-in from a source, inside the caller's transaction; forget stale ones."""
    s.execute(delete(KnownSignInSource).where(KnownSignInSource.user_id == user_id,
                                              KnownSignInSource.last_success_at
                                              <= now - timedelta(days=KNOWN_SOURCE_DAYS)))
    row = s.get(KnownSignInSource, (user_id, key))
    if row is None:
        s.add(KnownSignInSource(user_id=user_id, source_key=key, last_success_at=now))
    else:
        row.last_success_at = now

