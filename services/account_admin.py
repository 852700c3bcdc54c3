"""Administration of accounts by platform administrators: list, create, deactivate, reset, promote.

Every function requires a platform administrator. The last active platform administrator cannot be
deactivated or demoted, and nobody deactivates their own account; these checks count and then write
in one transaction under the accounts lock (:func:`db.engine.serialise`), so two administrators
demoting each other at once run one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import ACCOUNTS_LOCK, ORG_ADMINS_LOCK, read_session, serialise, write_session
from db.models import Association, AssociationAdmin, Membership, Organisation, User
from enums import OrgRole
from services.access import Actor
from services.accounts import new_user, set_password, taken_meanwhile, user_named
from services.audit import log_admin_event
from services.errors import NotFound, StateError
from services.members import LastAdministrator, admins_left
from services.sessions import revoke_sessions


class LastPlatformAdministrator(StateError):
    key = "admin.last_platform_admin"


class NotYourself(StateError):
    key = "admin.not_yourself"


@dataclass(frozen=True)
class AccountView:
    id: int
    username: str
    display_name: str
    email: str | None
    is_platform_admin: bool
    is_active: bool
    has_password: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    organisations: tuple[tuple[str, str], ...]  # (organisation name, role)
    associations: tuple[str, ...]


def list_users(engine: Engine, actor: Actor, search: str = "") -> list[AccountView]:
    """Every account with its roles, optionally filtered by a part of the name or e-mail."""
    actor.require_platform_admin()
    needle = f"%{search.strip().lower()}%"
    with read_session(engine) as s:
        stmt = select(User).order_by(func.lower(User.username))
        if search.strip():
            stmt = stmt.where(func.lower(User.username).like(needle) | func.lower(User.display_name).like(needle)
                              | func.lower(func.coalesce(User.email, "")).like(needle))
        users = list(s.scalars(stmt))
        ids = [u.id for u in users] or [-1]
        orgs: dict[int, list[tuple[str, str]]] = {}
        for uid, name, role in s.execute(select(Membership.user_id, Organisation.name, Membership.role)
                                         .join(Organisation, Organisation.id == Membership.organisation_id)
                                         .where(Membership.user_id.in_(ids)).order_by(Organisation.name)):
            orgs.setdefault(uid, []).append((name, role))
        assocs: dict[int, list[str]] = {}
        for uid, name in s.execute(select(AssociationAdmin.user_id, Association.name)
                                   .join(Association, Association.id == AssociationAdmin.association_id)
                                   .where(AssociationAdmin.user_id.in_(ids)).order_by(Association.name)):
            assocs.setdefault(uid, []).append(name)
        return [AccountView(u.id, u.username, u.display_name, u.email, bool(u.is_platform_admin), bool(u.is_active),
                            u.password_hash is not None, u.locked_until, u.last_login_at, u.created_at,
                            tuple(orgs.get(u.id, ())), tuple(assocs.get(u.id, ())))
                for u in users]


def create_account(engine: Engine, actor: Actor, username: str, password: str | None, *, display_name: str = "",
                   email: str | None = None, platform_admin: bool = False) -> int:
    """Create an account (password None: single sign-on only); returns its id."""
    actor.require_platform_admin()
    try:
        with write_session(engine) as s:
            user = new_user(s, username, password, display_name=display_name, email=email,
                            platform_admin=platform_admin)
            log_admin_event(s, actor, "user_created", "user", user.id, platform_admin=platform_admin)
            return user.id
    except IntegrityError as exc:
        raise taken_meanwhile(username) from exc


def _account(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(object="user", id=user_id)
    return user


def user_id_for(engine: Engine, actor: Actor, username: str) -> int:
    """The id of an account by name, for administrators acting by name (command line)."""
    actor.require_platform_admin()
    with read_session(engine) as s:
        return user_named(s, username).id


def _other_active_admins(s: Session, user_id: int) -> int:
    return s.scalar(select(func.count()).select_from(User).where(
        User.is_platform_admin.is_(True), User.is_active.is_(True), User.id != user_id)) or 0


def _keep_an_active_admin_in_each_organisation(s: Session, user: User) -> None:
    """Refuse to deactivate the last active administrator of any organisation (the organisation
    would be left with nobody who can manage it); its lock, in id order, as role changes take it."""
    org_ids = sorted(s.scalars(select(Membership.organisation_id).where(
        Membership.user_id == user.id, Membership.role == OrgRole.ORG_ADMIN)))
    for org_id in org_ids:
        serialise(s, ORG_ADMINS_LOCK, org_id)
        if not admins_left(s, org_id, user.id):
            org = s.get(Organisation, org_id)
            raise LastAdministrator(f"{user.username} is the last active administrator of "
                                    f"'{org.name if org else org_id}'; make another member administrator first",
                                    object="organisation", id=org_id)


def set_active(engine: Engine, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (sign-in refused, open sessions end at their next click) or reactivate an account."""
    actor.require_platform_admin()
    with write_session(engine) as s:
        serialise(s, ACCOUNTS_LOCK)
        user = _account(s, user_id)
        if not active and user.id == actor.user_id:
            raise NotYourself("you cannot deactivate your own account", object="user", id=user_id)
        if not active and user.is_platform_admin and not _other_active_admins(s, user.id):
            raise LastPlatformAdministrator("the last active platform administrator must stay", object="user",
                                            id=user_id)
        if not active:
            _keep_an_active_admin_in_each_organisation(s, user)
        if bool(user.is_active) != active:
            user.is_active = active
            if not active:
                revoke_sessions(s, user.id)
            log_admin_event(s, actor, "user_activated" if active else "user_deactivated", "user", user.id,
                            user=user.username)


def reset_password(engine: Engine, actor: Actor, user_id: int, password: str) -> None:
    """Set a new password for an account (and lift any lock-out); the user should change it next."""
    actor.require_platform_admin()
    with write_session(engine) as s:
        user = _account(s, user_id)
        set_password(s, user, password)
        log_admin_event(s, actor, "password_reset", "user", user.id, user=user.username)


def set_platform_admin(engine: Engine, actor: Actor, user_id: int, flag: bool) -> None:
    """Grant or revoke platform administration; the last active platform administrator stays."""
    actor.require_platform_admin()
    with write_session(engine) as s:
        serialise(s, ACCOUNTS_LOCK)
        user = _account(s, user_id)
        if not flag and user.is_platform_admin and not _other_active_admins(s, user.id):
            raise LastPlatformAdministrator("the last active platform administrator must stay", object="user",
                                            id=user_id)
        if bool(user.is_platform_admin) != flag:
            user.is_platform_admin = flag
            log_admin_event(s, actor, "platform_admin_granted" if flag else "platform_admin_revoked", "user",
                            user.id, user=user.username)
