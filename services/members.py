"""Organisation members and their roles (organisation administrators).

Every function takes the acting :class:`~services.access.Actor` and checks it against the
organisation, on the server: the members page and ``aigov users`` call these same functions, so a
permission is enforced once. Objects of another tenant raise NotFound (never "forbidden"), so ids
guessed in a URL or a command reveal nothing.

Organisation administrators invite existing accounts (:mod:`services.invitations`; the owner accepts)
and create accounts for new colleagues, but may not reset passwords or deactivate accounts: an account can belong to
several organisations, and such powers would let one tenant take over another's users. Those are
platform-administrator actions (:mod:`services.account_admin`).

The "last administrator" guards count the other administrators and then write, in one transaction
that first takes the organisation's administrators lock (:func:`db.engine.serialise`): two
administrators demoting each other at once run one after the other, and the second is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import ORG_ADMINS_LOCK, read_session, serialise, write_session
from db.models import Membership, User
from enums import OrgRole
from services.access import Actor
from services.accounts import ChangedMeanwhile, new_user, taken_meanwhile, user_named
from services.audit import log_admin_event
from services.errors import InvalidInput, NotFound, Problem, StateError
from services.organisations import organisation_row

ORG_ROLES: tuple[OrgRole, ...] = tuple(OrgRole)  # in the order the pages offer them


class LastAdministrator(StateError):
    """An organisation (or the platform) would be left without an administrator."""

    key = "members.last_admin"


@dataclass(frozen=True)
class MemberView:
    user_id: int
    username: str
    display_name: str
    email: str | None
    role: OrgRole
    is_active: bool
    last_login_at: datetime | None


def check_role(role: str) -> OrgRole:
    """The organisation role ``role`` names; InvalidInput unless it names one.

    The one check of a role given as text (a page's choice, ``aigov users --role``, a test's literal): the
    functions that take a role take it as ``str`` and call this before anything else, so a bad value is
    refused with ``role_unknown`` whichever way it came.
    """
    if role not in ORG_ROLES:
        raise InvalidInput(problems=[Problem("role_unknown", {"role": role, "choices": " or ".join(ORG_ROLES)})])
    return OrgRole(role)


def _member_view(m: Membership, u: User) -> MemberView:
    return MemberView(u.id, u.username, u.display_name, u.email, OrgRole(m.role), bool(u.is_active), u.last_login_at)


def list_members(engine: Engine, actor: Actor, org_id: int) -> list[MemberView]:
    """The organisation's members with their roles (organisation administrators)."""
    actor.require_org_admin(org_id)
    with read_session(engine) as s:
        organisation_row(s, org_id)
        rows = s.execute(select(Membership, User).join(User, User.id == Membership.user_id)
                         .where(Membership.organisation_id == org_id)
                         .order_by(Membership.role, func.lower(User.username)))
        return [_member_view(m, u) for m, u in rows]


def admins_left(s: Session, org_id: int, without: int) -> int:
    """Active administrators of the organisation other than ``without`` (a deactivated one cannot act)."""
    return s.scalar(select(func.count()).select_from(Membership).join(User, User.id == Membership.user_id).where(
        Membership.organisation_id == org_id, Membership.role == OrgRole.ORG_ADMIN, Membership.user_id != without,
        User.is_active.is_(True))) or 0


def add_member(engine: Engine, actor: Actor, org_id: int, username: str, role: str) -> MemberView:
    """Give an existing account a role in the organisation, or change the role it has (platform
    administrators, who administer every account; an organisation administrator invites instead:
    :func:`services.invitations.invite_member`, which the account's owner accepts).

    The same account added twice at once is added once (the second call finds the membership);
    a membership written meanwhile by a path that does not take the lock is ChangedMeanwhile.
    """
    org_role = check_role(role)
    actor.require_org_admin(org_id)
    actor.require_platform_admin()
    try:
        with write_session(engine) as s:
            serialise(s, ORG_ADMINS_LOCK, org_id)
            organisation_row(s, org_id)
            user = user_named(s, username)
            m = s.get(Membership, (user.id, org_id))
            if m is None:
                m = Membership(user_id=user.id, organisation_id=org_id, role=org_role)
                s.add(m)
                log_admin_event(s, actor, "member_added", "organisation", org_id, user=user.username, role=org_role)
            elif m.role != org_role:
                return _set_role(s, actor, org_id, m, user, org_role)
            return _member_view(m, user)
    except IntegrityError as exc:
        raise ChangedMeanwhile(f"'{username.strip()}' was added to the organisation meanwhile; check the "
                               "member list", object="organisation", id=org_id) from exc


def _set_role(s: Session, actor: Actor, org_id: int, m: Membership, user: User, role: OrgRole) -> MemberView:
    if m.role == OrgRole.ORG_ADMIN and role != OrgRole.ORG_ADMIN and not admins_left(s, org_id, user.id):
        raise LastAdministrator(f"{user.username} is the organisation's last administrator; make another "
                                "member administrator first", object="organisation", id=org_id)
    log_admin_event(s, actor, "member_role_changed", "organisation", org_id, user=user.username, old=m.role,
                    new=role)
    m.role = role
    return _member_view(m, user)


def _member(s: Session, org_id: int, user_id: int) -> tuple[Membership, User]:
    """A member of an existing organisation, or NotFound."""
    organisation_row(s, org_id)
    m = s.get(Membership, (user_id, org_id))
    user = s.get(User, user_id)
    if m is None or user is None:
        raise NotFound(object="member", id=user_id)
    return m, user


def set_member_role(engine: Engine, actor: Actor, org_id: int, user_id: int, role: str) -> MemberView:
    """Change a member's role; the last administrator of an organisation cannot be demoted."""
    org_role = check_role(role)
    actor.require_org_admin(org_id)
    with write_session(engine) as s:
        serialise(s, ORG_ADMINS_LOCK, org_id)
        m, user = _member(s, org_id, user_id)
        return _set_role(s, actor, org_id, m, user, org_role)


def remove_member(engine: Engine, actor: Actor, org_id: int, user_id: int) -> None:
    """Take a member out of the organisation; their answers keep their name in the audit trail."""
    actor.require_org_admin(org_id)
    with write_session(engine) as s:
        serialise(s, ORG_ADMINS_LOCK, org_id)
        m, user = _member(s, org_id, user_id)
        if m.role == OrgRole.ORG_ADMIN and not admins_left(s, org_id, user_id):
            raise LastAdministrator(f"{user.username} is the organisation's last administrator; make another "
                                    "member administrator first", object="organisation", id=org_id)
        s.delete(m)
        log_admin_event(s, actor, "member_removed", "organisation", org_id, user=user.username)


def create_colleague(engine: Engine, actor: Actor, org_id: int, username: str, password: str, *, role: str,
                     display_name: str = "") -> MemberView:
    """Create an account for a new colleague with an initial password, as a member of the organisation.

    No e-mail address: single sign-on maps identities to accounts by e-mail, so an organisation
    administrator who could set one on an account whose password they know could later sign in as
    whoever signs on with that address. Platform administrators set e-mail addresses.
    """
    org_role = check_role(role)
    actor.require_org_admin(org_id)
    try:
        with write_session(engine) as s:
            organisation_row(s, org_id)
            user = new_user(s, username, password, display_name=display_name)
            m = Membership(user_id=user.id, organisation_id=org_id, role=org_role)
            s.add(m)
            log_admin_event(s, actor, "user_created", "user", user.id, organisation=org_id, role=org_role)
            return _member_view(m, user)
    except IntegrityError as exc:
        raise taken_meanwhile(username) from exc
