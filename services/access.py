"""Who is acting, and what they may touch. Checked on the server for every object, never from the URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Engine, func, literal, select, union_all
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import AssociationAdmin, Membership, User
from enums import OrgRole
from services.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    is_platform_admin: bool = False
    org_roles: Mapping[int, str] = field(default_factory=dict)  # organisation id → org_admin | respondent
    association_admin: frozenset[int] = frozenset()

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, username="system", is_platform_admin=True)

    @property
    def org_ids(self) -> list[int]:
        return sorted(self.org_roles)

    def can_read_org(self, org_id: int) -> bool:
        return self.is_platform_admin or org_id in self.org_roles

    def can_admin_org(self, org_id: int) -> bool:
        return self.is_platform_admin or self.org_roles.get(org_id) == OrgRole.ORG_ADMIN

    def can_admin_association(self, association_id: int) -> bool:
        return self.is_platform_admin or association_id in self.association_admin

    def require_org(self, org_id: int, *, admin: bool = False) -> None:
        """Raise NotFound unless the actor may read (or administer) the organisation."""
        ok = self.can_admin_org(org_id) if admin else self.can_read_org(org_id)
        if not ok:
            raise NotFound(object="organisation", id=org_id)

    def require_org_admin(self, org_id: int) -> None:
        """NotFound outside the organisation; Forbidden for its respondents (they know it exists)."""
        self.require_org(org_id)
        if not self.can_admin_org(org_id):
            raise Forbidden(object="organisation", id=org_id)

    def require_platform_admin(self) -> None:
        if not self.is_platform_admin:
            raise Forbidden()

    def require_association(self, association_id: int) -> None:
        if not self.can_admin_association(association_id):
            raise NotFound(object="association", id=association_id)


_ASSOCIATION = "association_admin"


def load_actor(engine: Engine, user_id: int) -> Actor:
    """The actor for a signed-in user, with roles read fresh from the database (two statements)."""
    with read_session(engine) as s:
        return actor_in(s, user_id)


def actor_in(s: Session, user_id: int) -> Actor:
    """:func:`load_actor` inside the caller's session (NotFound for an unknown or deactivated user)."""
    user = s.get(User, user_id)
    if user is None or not user.is_active:
        raise NotFound(object="user", id=user_id)
    # Organisation roles and administered associations in one statement: (id, role) rows, the
    # associations marked with a role no membership can have (its CHECK allows two roles).
    rows = s.execute(union_all(
        select(Membership.organisation_id, Membership.role).where(Membership.user_id == user_id),
        select(AssociationAdmin.association_id, literal(_ASSOCIATION)).where(AssociationAdmin.user_id == user_id),
    )).all()
    roles = {oid: role for oid, role in rows if role != _ASSOCIATION}
    assoc = frozenset(aid for aid, role in rows if role == _ASSOCIATION)
    return Actor(user_id=user.id, username=user.username, is_platform_admin=user.is_platform_admin,
                 org_roles=roles, association_admin=assoc)


def actor_for_cli(engine: Engine, username: str | None) -> Actor:
    """Who a command-line invocation acts as.

    The operator running ``aigov`` owns the database and acts as :meth:`Actor.system` by
    default; ``--as-user NAME`` makes a command act as that account instead, with exactly its
    roles, so scripts run on behalf of a user get that user's view and nothing more. An unknown
    or deactivated name raises NotFound.
    """
    if username is None:
        return Actor.system()
    with read_session(engine) as s:
        uid = s.scalar(select(User.id).where(func.lower(User.username) == username.strip().lower()))
    if uid is None:
        raise NotFound(object="user", id=username)
    return load_actor(engine, uid)
