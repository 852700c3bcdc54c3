"""Account records: creating accounts, finding them by name, the first administrator, password resets.

No authorisation here: the callers (sign-up on a new installation, :mod:`services.account_admin`,
:mod:`services.members`) check who may create or change an account.

Checks that guard an installation-wide rule ("no account yet") run under
:func:`db.engine.serialise`, so that on PostgreSQL two transactions cannot both pass the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import ACCOUNTS_LOCK, read_session, serialise, write_session
from db.models import EventLog, User, utcnow
from services import demo_check
from services.access import Actor, load_actor
from services.errors import InvalidInput, NotFound, Problem, StateError
from services.passwords import hash_password, password_problems
from services.sessions import revoke_sessions
from services.text import clean_text

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@-]{3,120}$")
EMAIL_RE = re.compile(r"^[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")


class AlreadySetUp(StateError):
    """The first administrator exists already (someone else finished the first start)."""

    key = "account.already_set_up"


class ChangedMeanwhile(StateError):
    """Someone else made the same change at the same moment; trying again finds theirs."""

    key = "errors.generic"


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


def find_user(s: Session, username: str) -> User | None:
    """The account named ``username`` (case-insensitive, surrounding spaces ignored), inside a session."""
    return s.scalars(select(User).where(func.lower(User.username) == (username or "").strip().lower())).first()


def has_users(engine: Engine) -> bool:
    with read_session(engine) as s:
        return bool(s.scalar(select(func.count()).select_from(User)))


def get_user(engine: Engine, user_id: int) -> UserView:
    with read_session(engine) as s:
        u = s.get(User, user_id)
        if u is None:
            raise NotFound(object="user", id=user_id)
        return _user_view(u)


def _account_problems(s: Session, username: str, password: str | None, email: str | None) -> list[Problem]:
    problems: list[Problem] = [] if USERNAME_RE.match(username) else [Problem("username_format")]
    if password is not None:
        problems += password_problems(password, username)
    if email is not None and not EMAIL_RE.match(email):
        problems.append(Problem("email_format", {"email": email}))
    if problems:
        return problems
    if find_user(s, username) is not None:
        problems.append(Problem("username_taken", {"username": username}))
    if email is not None and s.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        problems.append(Problem("email_taken", {"email": email}))
    return problems


def new_user(s: Session, username: str, password: str | None, *, display_name: str = "",
             email: str | None = None, platform_admin: bool = False) -> User:
    """Add an account inside the caller's transaction (InvalidInput lists every problem)."""
    username = (username or "").strip()
    email = (email or "").strip().lower() or None
    problems = _account_problems(s, username, password, email)
    if problems:
        raise InvalidInput(problems=problems)
    display_name = clean_text(display_name, problem="display_name_control", max_length=200)
    user = User(username=username, display_name=display_name or username, email=email,
                password_hash=hash_password(password) if password is not None else None,
                is_platform_admin=platform_admin)
    s.add(user)
    s.flush()
    if password is not None:
        demo_check.forget_at_commit(s)
    return user


def taken_meanwhile(username: str) -> InvalidInput:
    """A name or address taken by a concurrent creation between the check and the insert."""
    return InvalidInput(problems=[Problem("account_taken_meanwhile", {"username": (username or "").strip()})])


def create_user(engine: Engine, username: str, password: str | None, *, display_name: str = "",
                email: str | None = None, platform_admin: bool = False) -> UserView:
    """Create an account (password None: single-sign-on only). No authorisation: callers check it."""
    try:
        with write_session(engine) as s:
            return _user_view(new_user(s, username, password, display_name=display_name, email=email,
                                       platform_admin=platform_admin))
    except IntegrityError as exc:  # a concurrent sign-up took the name between the check and the insert
        raise InvalidInput(problems=[Problem("username_taken", {"username": username.strip()})]) from exc


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
    demo_check.forget_at_commit(s)


def user_named(s: Session, username: str) -> User:
    """The account named ``username``, or InvalidInput (for administrators acting on a name they typed)."""
    user = find_user(s, username)
    if user is None:
        raise InvalidInput(problems=[Problem("no_account", {"username": username.strip()})])
    return user
