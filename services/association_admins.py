"""Who administers each association (platform administrators grant and revoke it).

Associations themselves are created and listed by :mod:`services.associations`.
"""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Association, AssociationAdmin, User
from services.access import Actor
from services.accounts import user_named
from services.audit import log_admin_event
from services.errors import InvalidInput, NotFound, Problem


def association_admins(engine: Engine, actor: Actor) -> dict[int, tuple[str, ...]]:
    """User names of each association's administrators (platform administrators)."""
    actor.require_platform_admin()
    with read_session(engine) as s:
        out: dict[int, list[str]] = {}
        for aid, name in s.execute(select(AssociationAdmin.association_id, User.username)
                                   .join(User, User.id == AssociationAdmin.user_id).order_by(User.username)):
            out.setdefault(aid, []).append(name)
        return {k: tuple(v) for k, v in out.items()}


def _association(s: Session, association_id: int) -> Association:
    a = s.get(Association, association_id)
    if a is None:
        raise NotFound(object="association", id=association_id)
    return a


def add_association_admin(engine: Engine, actor: Actor, association_id: int, username: str) -> None:
    """Make an account an administrator of the association (platform administrators)."""
    actor.require_association(association_id)
    actor.require_platform_admin()
    with write_session(engine) as s:
        _association(s, association_id)
        user = user_named(s, username)
        if s.get(AssociationAdmin, (user.id, association_id)) is None:
            s.add(AssociationAdmin(user_id=user.id, association_id=association_id))
            log_admin_event(s, actor, "association_admin_added", "association", association_id, user=user.username)


def remove_association_admin(engine: Engine, actor: Actor, association_id: int, username: str) -> None:
    """Take an account's administration of the association away (platform administrators)."""
    actor.require_association(association_id)
    actor.require_platform_admin()
    with write_session(engine) as s:
        _association(s, association_id)
        user = user_named(s, username)
        row = s.get(AssociationAdmin, (user.id, association_id))
        if row is None:
            raise InvalidInput(problems=[Problem("not_association_admin", {"username": user.username})])
        s.delete(row)
        log_admin_event(s, actor, "association_admin_removed", "association", association_id, user=user.username)
