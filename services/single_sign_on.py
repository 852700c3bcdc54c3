"""Single sign-on (OIDC through ``st.login``): an identity mapped by e-mail to the same accounts and roles."""

from __future__ import annotations

import re

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import write_session
from db.models import EventLog, User, utcnow
from services.access import Actor, load_actor
from services.accounts import EMAIL_RE, USERNAME_RE, ChangedMeanwhile, find_user
from services.sign_in import SignInError
from services.text import without_control


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
            user = User(username=_free_username(s, email), display_name=(without_control(name).strip() or email)[:200], email=email,
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
    platform-administrator account (those need a verified address, or their password). An identity with
    no account gets one with no roles; it sees nothing until an administrator adds it to an organisation
    or association. Deactivated accounts are refused.
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
