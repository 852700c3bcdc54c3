"""Local accounts: argon2id password hashes, sign-in with exponential back-off, single sign-on mapping.

Passwords are never stored or logged in clear: only argon2id hashes reach the database, and no
event records a password or a typed user name. Every sign-in attempt does one argon2
verification whatever happens (unknown name, deactivated account, locked account, wrong
password), and unknown names are locked out like real ones, so neither the time taken nor the
answer tells an attacker whether an account exists.

Verification runs outside any database transaction: an argon2 check takes tens of milliseconds
and must not hold SQLite's write lock while answers are being saved.

Checks that guard an installation-wide rule ("no account yet", "another administrator is left")
run under :func:`db.engine.serialise`, so that on PostgreSQL two transactions cannot both pass the check.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from threading import Lock
from weakref import WeakKeyDictionary

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, delete, event, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import ACCOUNTS_LOCK, read_session, serialise, write_session
from db.models import EventLog, Setting, SignInSession, SignInThrottle, User, utcnow
from services.access import Actor, load_actor
from services.errors import Forbidden, InvalidInput, NotFound, Problem, ServiceError, StateError

HASHER = PasswordHasher()  # argon2id (type ID) with the library's current recommended parameters
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(24))
FREE_ATTEMPTS = 5  # failures before back-off starts
BACKOFF_BASE = timedelta(seconds=30)  # the first lock; doubled for every further failure
BACKOFF_MAX = timedelta(minutes=15)
MIN_PASSWORD = 10
MAX_PASSWORD = 1000
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,120}$")
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
SESSION_IDLE = timedelta(minutes=float(os.environ.get("AIGOV_SESSION_IDLE_MINUTES", "30")))
SESSION_LIFETIME = timedelta(hours=12)  # a remembered sign-in ends after this even when in constant use
SESSION_TOUCH = timedelta(minutes=1)  # last_seen_at is written at most this often, not on every rerun
DEMO_CHECK_TTL = 60.0  # seconds a demo_accounts_active answer is reused
# pg_advisory_xact_lock keys (db/migrate.py takes 0x6169676F76, "aigov", for migrations).


class SignInError(ServiceError):
    key = "auth.failed"


class AlreadySetUp(StateError):
    """The first administrator exists already (someone else finished the first start)."""

    key = "account.already_set_up"


class NoPassword(StateError):
    """A single-sign-on account has no password to change."""

    key = "account.sso_only"


class ChangedMeanwhile(StateError):
    """Someone else made the same change at the same moment; trying again finds theirs."""

    key = "errors.generic"


class LockedOut(ServiceError):
    key = "auth.locked"

    def __init__(self, seconds: int):
        self.seconds = seconds
        super().__init__(f"locked for {seconds}s", seconds=seconds)


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    email: str | None
    is_platform_admin: bool
    is_active: bool = True
    has_password: bool = True
    last_login_at: datetime | None = None


def _user_view(u: User) -> UserView:
    return UserView(u.id, u.username, u.display_name, u.email, bool(u.is_platform_admin), bool(u.is_active),
                    u.password_hash is not None, u.last_login_at)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def backoff(failures: int) -> timedelta | None:
    """How long an account is locked after ``failures`` consecutive failures (None: not locked)."""
    extra = failures - FREE_ATTEMPTS
    if extra < 0:
        return None
    return min(BACKOFF_BASE * (2 ** min(extra, 16)), BACKOFF_MAX)


def password_problems(password: str, username: str = "") -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(Problem("password_short", min=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        problems.append(Problem("password_long", max=MAX_PASSWORD))
    if username and password.strip().lower() == username.strip().lower():
        problems.append(Problem("password_is_username"))
    if password and len(set(password)) < 3:
        problems.append(Problem("password_too_simple"))
    return problems


def find_user(s: Session, username: str) -> User | None:
    """The account named ``username`` (case-insensitive, surrounding spaces ignored), inside a session."""
    return s.scalars(select(User).where(func.lower(User.username) == (username or "").strip().lower())).first()


def has_users(engine: Engine) -> bool:
    with read_session(engine) as s:
        return bool(s.scalar(select(func.count()).select_from(User)))


def _account_problems(s: Session, username: str, password: str | None, email: str | None) -> list[str]:
    problems: list[str] = [] if USERNAME_RE.match(username) else [Problem("username_format")]
    if password is not None:
        problems += password_problems(password, username)
    if email is not None and not EMAIL_RE.match(email):
        problems.append(Problem("email_format", email=email))
    if problems:
        return problems
    if find_user(s, username) is not None:
        problems.append(Problem("username_taken", username=username))
    if email is not None and s.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        problems.append(Problem("email_taken", email=email))
    return problems


def new_user(s: Session, username: str, password: str | None, *, display_name: str = "",
             email: str | None = None, platform_admin: bool = False) -> User:
    """Add an account inside the caller's transaction (InvalidInput lists every problem)."""
    username = (username or "").strip()
    email = (email or "").strip().lower() or None
    problems = _account_problems(s, username, password, email)
    if problems:
        raise InvalidInput(problems=problems)
    user = User(username=username, display_name=(display_name or "").strip()[:200] or username, email=email,
                password_hash=hash_password(password) if password is not None else None,
                is_platform_admin=platform_admin)
    s.add(user)
    s.flush()
    if password is not None:
        _forget_demo_check_at_commit(s)
    return user


def create_user(engine: Engine, username: str, password: str | None, *, display_name: str = "",
                email: str | None = None, platform_admin: bool = False) -> UserView:
    """Create an account (password None: single-sign-on only). No authorisation: callers check it."""
    try:
        with write_session(engine) as s:
            return _user_view(new_user(s, username, password, display_name=display_name, email=email,
                                       platform_admin=platform_admin))
    except IntegrityError as exc:  # a concurrent sign-up took the name between the check and the insert
        raise InvalidInput(problems=[Problem("username_taken", username=username.strip())]) from exc


def create_first_admin(engine: Engine, username: str, password: str, *, display_name: str = "") -> Actor:
    """On a new installation, create the first platform administrator and sign them in.

    The check for "no account yet" is made in the same transaction as the insert, under the
    accounts lock, so two people opening a new installation at once cannot both become administrators.
    """
    with write_session(engine) as s:
        serialise(s, ACCOUNTS_LOCK)
        if s.scalar(select(func.count()).select_from(User)):
            raise AlreadySetUp("the installation already has accounts")
        user = new_user(s, username, password, display_name=display_name, platform_admin=True)
        user.last_login_at = utcnow()
        s.add(EventLog(user_id=user.id, action="first_admin_created", object_type="user", object_id=user.id))
        uid = user.id
    return load_actor(engine, uid)


# --- sign-in ---------------------------------------------------------------------------------------

THROTTLE_KEY_SETTING = "sign_in_throttle_key"
THROTTLE_KEEP = BACKOFF_MAX * 4  # an unknown name's failures are forgotten this long after the last one


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


def _unknown_locked_until(engine: Engine, name: str) -> datetime | None:
    with read_session(engine) as s:
        row = s.get(SignInThrottle, _name_key(engine, name))
        return row.locked_until if row is not None else None


def _unknown_failed(engine: Engine, name: str, now: datetime) -> datetime | None:
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


def _verify(hash_: str, password: str) -> bool:
    try:
        return HASHER.verify(hash_, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _seconds(until: datetime, now: datetime) -> int:
    return int((until - now).total_seconds()) + 1


def _record_failure(engine: Engine, user_id: int, now: datetime, action: str) -> datetime | None:
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


def authenticate(engine: Engine, username: str, password: str) -> Actor:
    """The actor for correct credentials; SignInError or LockedOut otherwise.

    A locked account refuses even the correct password until the lock ends.
    """
    now = utcnow()
    password = password or ""
    with read_session(engine) as s:
        user = find_user(s, username)
        snap = None if user is None else (user.id, user.password_hash, bool(user.is_active), user.locked_until)
    if snap is None or not snap[2] or snap[1] is None:
        _verify(_DUMMY_HASH, password)
        until = _unknown_locked_until(engine, username)
        if until and until > now:
            raise LockedOut(_seconds(until, now))
        until = _unknown_failed(engine, username, now)
        with write_session(engine) as s:
            reason = "unknown" if snap is None else ("inactive" if not snap[2] else "no_password")
            s.add(EventLog(user_id=snap[0] if snap else None, action="sign_in_failed", detail={"reason": reason}))
        if until:
            raise LockedOut(_seconds(until, now))
        raise SignInError()
    user_id, hash_, _active, locked_until = snap
    if locked_until and locked_until > now:
        _verify(_DUMMY_HASH, password)  # the same work as any attempt; the real hash is not consulted
        raise LockedOut(_seconds(locked_until, now))
    if not _verify(hash_, password):
        until = _record_failure(engine, user_id, now, "sign_in_failed")
        if until:
            raise LockedOut(_seconds(until, now))
        raise SignInError()
    rehash = hash_password(password) if HASHER.check_needs_rehash(hash_) else None
    with write_session(engine) as s:
        user = s.get(User, user_id, with_for_update=True)
        if user is None or not user.is_active:
            raise SignInError()
        if rehash:
            user.password_hash = rehash
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        s.add(EventLog(user_id=user.id, action="sign_in"))
    return load_actor(engine, user_id)


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
        raise LockedOut(_seconds(locked_until, now))
    if not _verify(hash_, old or ""):
        until = _record_failure(engine, actor.user_id, now, "password_change_failed")
        if until:
            raise LockedOut(_seconds(until, now))
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
    _DEMO_CHECK.forget()


def set_password(s: Session, user: User, password: str) -> None:
    """Replace a password inside the caller's transaction (administrator reset); clears any lock.

    Every remembered sign-in of the account ends: whoever held it must sign in with the new password.
    """
    problems = password_problems(password, user.username)
    if problems:
        raise InvalidInput(problems=problems)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    revoke_sessions(s, user.id)
    _forget_demo_check_at_commit(s)


# --- remembered sign-ins ----------------------------------------------------------------------------
# The browser keeps a random token in a cookie; the database keeps only its SHA-256, so neither a
# database copy nor a backup lets anyone resume a session. Tokens have 256 bits of randomness, so a
# fast unsalted hash is enough (nothing to brute-force, unlike a password).

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
    return s.execute(stmt.values(revoked_at=utcnow())).rowcount or 0


# --- single sign-on --------------------------------------------------------------------------------

def _free_username(s: Session, email: str) -> str:
    base = email if USERNAME_RE.match(email) else re.sub(r"[^A-Za-z0-9_.@-]", "", email.split("@")[0])
    base = (base or "user")[:110].ljust(3, "_")
    name, n = base, 1
    while find_user(s, name) is not None:
        n += 1
        name = f"{base}-{n}"
    return name


def _sso_user(engine: Engine, email: str, name: str, *, verified: bool) -> int | None:
    """The account id for a signed-on address, created (with no roles) on first use; None if refused."""
    with write_session(engine) as s:
        user = s.scalars(select(User).where(func.lower(User.email) == email)).first()
        if user is not None and (not user.is_active or (user.is_platform_admin and not verified)):
            reason = "inactive" if not user.is_active else "platform_admin"
            s.add(EventLog(user_id=user.id, action="sign_in_failed", detail={"reason": reason, "sso": True}))
            return None
        if user is None:
            user = User(username=_free_username(s, email), display_name=(name or email)[:200], email=email,
                        password_hash=None)
            s.add(user)
            s.flush()
            s.add(EventLog(user_id=user.id, action="user_created_sso", object_type="user", object_id=user.id))
        user.last_login_at = utcnow()
        s.add(EventLog(user_id=user.id, action="sign_in_sso"))
        return user.id


def sso_actor(engine: Engine, email: str, name: str = "", *, email_verified: bool | None = None,
              trust_unverified_email: bool = False) -> Actor:
    """The actor for an OIDC identity (st.login), matched by e-mail to the same roles table.

    Only an address the provider vouches for (``email_verified`` True) is mapped: otherwise anyone
    who registers a colleague's address with the provider would get the colleague's account. A
    provider that never sends the claim needs the operator's explicit ``trust_unverified_email``
    (``[auth] trust_unverified_email = true``); an address taken on that trust never reaches a
    platform-administrator account (those need a verified address, or their password). An identity with no account gets one with no roles;
    it sees nothing until an administrator adds it to an organisation or association. Deactivated
    accounts are refused.
    """
    email = (email or "").strip().lower()
    if not EMAIL_RE.match(email) or not (email_verified is True or trust_unverified_email):
        raise SignInError()
    try:
        uid = _sso_user(engine, email, name, verified=email_verified is True)
    except IntegrityError:  # the same identity signed on at the same moment: its account exists now
        try:
            uid = _sso_user(engine, email, name, verified=email_verified is True)
        except IntegrityError as exc:
            raise ChangedMeanwhile("the account was being created by another sign-on; try again") from exc
    if uid is None:
        raise SignInError()
    return load_actor(engine, uid)


# --- reads -----------------------------------------------------------------------------------------

def get_user(engine: Engine, user_id: int) -> UserView:
    with read_session(engine) as s:
        u = s.get(User, user_id)
        if u is None:
            raise NotFound(object="user", id=user_id)
        return _user_view(u)


class _DemoCheck:
    """The answer of :func:`demo_accounts_active` per engine, reused for :data:`DEMO_CHECK_TTL` seconds.

    Anyone may load the sign-in page, and each check costs up to four argon2 verifications: unbounded,
    reloading it would be a cheap way to use up the server's CPU. A password set in this process
    forgets the answers when it is committed; one set by another process shows within the TTL.
    """

    def __init__(self) -> None:
        self._answers: WeakKeyDictionary[Engine, tuple[float, bool]] = WeakKeyDictionary()
        self._lock = Lock()

    def get(self, engine: Engine, compute: Callable[[Engine], bool]) -> bool:
        with self._lock:  # one check at a time: visitors arriving meanwhile reuse it rather than repeat it
            hit = self._answers.get(engine)
            if hit is None or time.monotonic() - hit[0] >= DEMO_CHECK_TTL:
                hit = (time.monotonic(), compute(engine))
                self._answers[engine] = hit
            return hit[1]

    def forget(self) -> None:
        with self._lock:
            self._answers.clear()


_DEMO_CHECK = _DemoCheck()


def _forget_demo_check(_s: Session) -> None:
    _DEMO_CHECK.forget()


def _forget_demo_check_at_commit(s: Session) -> None:
    """Forget the demo answers once this transaction's new password is visible to other sessions."""
    if not event.contains(s, "after_commit", _forget_demo_check):
        event.listen(s, "after_commit", _forget_demo_check)


def _demo_passwords_work(engine: Engine) -> bool:
    from demo.seed import DEMO_ACCOUNTS  # demo imports this module; import late

    names = {u.lower(): p for u, p, _d, _r in DEMO_ACCOUNTS}
    with read_session(engine) as s:
        rows = s.execute(select(User.username, User.password_hash)
                         .where(func.lower(User.username).in_(names), User.is_active.is_(True))).all()
    return any(h is not None and _verify(h, names[u.lower()]) for u, h in rows)


def demo_accounts_active(engine: Engine) -> bool:
    """Whether a documented demo account still accepts its published password.

    The sign-in page shows the demo accounts only then, so a production installation never
    advertises credentials, and an operator who kept the demo sees that its passwords work.
    The answer is reused for a minute (:class:`_DemoCheck`).
    """
    return _DEMO_CHECK.get(engine, _demo_passwords_work)
