"""Local accounts: argon2id password hashes, sign-in with exponential back-off, roles.

Passwords are never stored or logged in clear. Unknown user names are verified against a dummy
hash so that a wrong name and a wrong password take the same time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Engine, func, select

from db.engine import read_session, write_session
from db.models import AssociationAdmin, EventLog, Membership, Organisation, User, utcnow
from services.access import Actor, load_actor
from services.errors import Forbidden, InvalidInput, NotFound, ServiceError

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
_DUMMY_HASH = HASHER.hash("not-a-real-password")
FREE_ATTEMPTS = 5  # failures before back-off starts
BACKOFF_BASE = timedelta(seconds=30)  # doubled for every further failure
BACKOFF_MAX = timedelta(minutes=15)
MIN_PASSWORD = 10
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,120}$")


class SignInError(ServiceError):
    key = "auth.failed"


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


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def password_problems(password: str, username: str = "") -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD:
        problems.append(f"password: use at least {MIN_PASSWORD} characters")
    if username and password.lower() == username.lower():
        problems.append("password: must differ from the user name")
    return problems


def has_users(engine: Engine) -> bool:
    with read_session(engine) as s:
        return bool(s.scalar(select(func.count()).select_from(User)))


def create_user(engine: Engine, username: str, password: str | None, *, display_name: str = "",
                email: str | None = None, platform_admin: bool = False) -> UserView:
    """Create an account (password None: single-sign-on only)."""
    username = (username or "").strip()
    problems = [] if USERNAME_RE.match(username) else [
        "username: 3 to 120 letters, digits or . _ @ -"]
    if password is not None:
        problems += password_problems(password, username)
    if problems:
        raise InvalidInput(problems=problems)
    with write_session(engine) as s:
        if s.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
            raise InvalidInput(problems=[f"username: '{username}' is taken; choose another"])
        user = User(username=username, display_name=display_name or username, email=email,
                    password_hash=hash_password(password) if password is not None else None,
                    is_platform_admin=platform_admin)
        s.add(user)
        s.flush()
        return UserView(user.id, user.username, user.display_name, user.email, user.is_platform_admin)


def authenticate(engine: Engine, username: str, password: str) -> Actor:
    """The actor for correct credentials; SignInError or LockedOut otherwise (same message either way)."""
    now = utcnow()
    with write_session(engine) as s:
        user = s.scalars(select(User).where(func.lower(User.username) == (username or "").strip().lower())).first()
        if user is None or not user.is_active or user.password_hash is None:
            _verify(_DUMMY_HASH, password)
            s.add(EventLog(action="sign_in_failed", detail={"reason": "unknown"}))
            raise SignInError()
        if user.locked_until and user.locked_until > now:
            raise LockedOut(int((user.locked_until - now).total_seconds()) + 1)
        if not _verify(user.password_hash, password):
            user.failed_logins += 1
            extra = user.failed_logins - FREE_ATTEMPTS
            if extra >= 0:
                user.locked_until = now + min(BACKOFF_BASE * (2 ** extra), BACKOFF_MAX)
            s.add(EventLog(user_id=user.id, action="sign_in_failed", detail={"failures": user.failed_logins}))
            raise SignInError()
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        s.add(EventLog(user_id=user.id, action="sign_in"))
        user_id = user.id
    return load_actor(engine, user_id)


def _verify(hash_: str, password: str) -> bool:
    try:
        return HASHER.verify(hash_, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def change_password(engine: Engine, actor: Actor, old: str, new: str) -> None:
    if actor.user_id is None:
        raise Forbidden()
    with write_session(engine) as s:
        user = s.get(User, actor.user_id)
        if user is None or user.password_hash is None or not _verify(user.password_hash, old):
            raise SignInError()
        problems = password_problems(new, user.username)
        if problems:
            raise InvalidInput(problems=problems)
        user.password_hash = hash_password(new)
        s.add(EventLog(user_id=user.id, action="password_changed"))


def sso_actor(engine: Engine, email: str, name: str = "") -> Actor:
    """The actor for an OIDC identity (st.login), matched by e-mail to the same roles table.

    An identity with no account gets one with no roles: it sees nothing until an administrator
    adds it to an organisation or association.
    """
    email = (email or "").strip().lower()
    if not email:
        raise SignInError()
    with write_session(engine) as s:
        user = s.scalars(select(User).where(func.lower(User.email) == email)).first()
        if user is None:
            user = User(username=email[:120], display_name=name or email, email=email, password_hash=None)
            s.add(user)
            s.flush()
        user.last_login_at = utcnow()
        s.add(EventLog(user_id=user.id, action="sign_in_sso"))
        uid = user.id
    return load_actor(engine, uid)


def add_member(engine: Engine, actor: Actor, org_id: int, username: str, role: str) -> None:
    """Give a user a role in an organisation (organisation administrators)."""
    if role not in ("org_admin", "respondent"):
        raise InvalidInput(problems=["role: choose org_admin or respondent"])
    actor.require_org(org_id)
    if not actor.can_admin_org(org_id):
        raise Forbidden()
    with write_session(engine) as s:
        if s.get(Organisation, org_id) is None:
            raise NotFound(object="organisation", id=org_id)
        user = s.scalars(select(User).where(func.lower(User.username) == username.strip().lower())).first()
        if user is None:
            raise InvalidInput(problems=[f"username: no account '{username}'; create it first"])
        m = s.get(Membership, (user.id, org_id))
        if m is None:
            s.add(Membership(user_id=user.id, organisation_id=org_id, role=role))
        else:
            m.role = role


def add_association_admin(engine: Engine, actor: Actor, association_id: int, username: str) -> None:
    actor.require_association(association_id)
    with write_session(engine) as s:
        user = s.scalars(select(User).where(func.lower(User.username) == username.strip().lower())).first()
        if user is None:
            raise InvalidInput(problems=[f"username: no account '{username}'; create it first"])
        if s.get(AssociationAdmin, (user.id, association_id)) is None:
            s.add(AssociationAdmin(user_id=user.id, association_id=association_id))


def get_user(engine: Engine, user_id: int) -> UserView:
    with read_session(engine) as s:
        u = s.get(User, user_id)
        if u is None:
            raise NotFound(object="user", id=user_id)
        return UserView(u.id, u.username, u.display_name, u.email, u.is_platform_admin)
