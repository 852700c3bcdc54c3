"""Remembered sign-ins: a random token in the browser's cookie, its SHA-256 in the database.

Neither a database copy nor a backup lets anyone resume a session. Tokens have 256 bits of
randomness, so a fast unsalted hash is enough (nothing to brute-force, unlike a password). A session
ends when revoked (sign-out, password change, deactivation), after :data:`SESSION_IDLE` without use,
or :data:`SESSION_LIFETIME` after it began.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import CursorResult, Engine, delete, or_, select, update
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import SignInSession, utcnow
from services.access import Actor, load_actor
from services.errors import NotFound

SESSION_IDLE = timedelta(minutes=float(os.environ.get("AIGOV_SESSION_IDLE_MINUTES", "30")))
SESSION_LIFETIME = timedelta(hours=12)  # a remembered sign-in ends after this even when in constant use
SESSION_TOUCH = timedelta(minutes=1)  # last_seen_at is written at most this often, not on every rerun


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _usable_token(token: object) -> bool:
    return isinstance(token, str) and 20 <= len(token) <= 200


def start_session(engine: Engine, user_id: int) -> str:
    """A new remembered sign-in for ``user_id``; returns the token for the browser (never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with write_session(engine) as s:
        # Housekeeping: this user's ended sessions are of no further use.
        s.execute(delete(SignInSession).where(
            SignInSession.user_id == user_id,
            or_(SignInSession.revoked_at.is_not(None), SignInSession.expires_at <= now,
                SignInSession.last_seen_at <= now - SESSION_IDLE)))
        s.add(SignInSession(token_hash=_token_hash(token), user_id=user_id, created_at=now, last_seen_at=now,
                            expires_at=now + SESSION_LIFETIME))
    return token


def _live_session_user(engine: Engine, token: object) -> int | None:
    """The user of a live (not revoked, idle or past its lifetime) session; slides its idle time."""
    if not _usable_token(token):
        return None
    assert isinstance(token, str)
    now = utcnow()
    digest = _token_hash(token)
    with read_session(engine) as s:
        row = s.scalars(select(SignInSession).where(SignInSession.token_hash == digest)).first()
        snap = None if row is None else (row.id, row.user_id, row.last_seen_at, row.expires_at, row.revoked_at)
    if snap is None:
        return None
    sid, uid, last_seen, expires, revoked = snap
    if revoked is not None or expires <= now or last_seen + SESSION_IDLE <= now:
        return None
    if now - last_seen >= SESSION_TOUCH:
        with write_session(engine) as s:
            s.execute(update(SignInSession).where(SignInSession.id == sid, SignInSession.revoked_at.is_(None))
                      .values(last_seen_at=now))
    return uid


def resume_session(engine: Engine, token: object) -> Actor | None:
    """The actor of a remembered sign-in, or None when the token is unknown, ended or its account inactive."""
    uid = _live_session_user(engine, token)
    if uid is None:
        return None
    try:
        return load_actor(engine, uid)
    except NotFound:  # deactivated or deleted meanwhile
        return None


def session_alive(engine: Engine, token: object) -> bool:
    """Whether a remembered sign-in still holds (and keep it alive); an open tab checks this each minute."""
    return _live_session_user(engine, token) is not None


def end_session(engine: Engine, token: object) -> None:
    """Revoke one remembered sign-in (sign-out); unknown tokens are ignored."""
    if not _usable_token(token):
        return
    assert isinstance(token, str)
    with write_session(engine) as s:
        s.execute(update(SignInSession).where(SignInSession.token_hash == _token_hash(token),
                                              SignInSession.revoked_at.is_(None)).values(revoked_at=utcnow()))


def revoke_sessions(s: Session, user_id: int, *, keep: str | None = None) -> int:
    """Revoke every remembered sign-in of ``user_id`` but ``keep``, inside the caller's transaction."""
    stmt = update(SignInSession).where(SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None))
    if keep:
        stmt = stmt.where(SignInSession.token_hash != _token_hash(keep))
    result: CursorResult[Any] = s.execute(stmt.values(revoked_at=utcnow()))  # type: ignore[assignment]  # an UPDATE's result
    return result.rowcount or 0
