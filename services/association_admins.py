"""Who administers each association (platform administrators grant and revoke it).

Associations themselves are created and listed by :mod:`services.associations`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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


@contextmanager
def _admin_change(engine: Engine, actor: Actor, association_id: int,
                  username: str) -> Iterator[tuple[Session, User, AssociationAdmin | None]]:
    """The transaction of a change to who administers the association (platform administrators only): the
    account named ``username`` and its administrator row (None if it has none)."""
    actor.require_association(association_id)
    actor.require_platform_admin()
    with write_session(engine) as s:
        if s.get(Association, association_id) is None:
            raise NotFound(object="association", id=association_id)
        user = user_named(s, username)
        yield s, user, s.get(AssociationAdmin, (user.id, association_id))


def add_association_admin(engine: Engine, actor: Actor, association_id: int, username: str) -> None:
    """Make an account an administrator of the association (platform administrators)."""
    with _admin_change(engine, actor, association_id, username) as (s, user, row):
        if row is None:
            s.add(AssociationAdmin(user_id=user.id, association_id=association_id))
            log_admin_event(s, actor, "association_admin_added", "association", association_id, user=user.username)


def remove_association_admin(engine: Engine, actor: Actor, association_id: int, username: str) -> None:
    """Take an account's administration of the association away (platform administrators)."""
    with _admin_change(engine, actor, association_id, username) as (s, user, row):
        if row is None:
            raise InvalidInput(problems=[Problem("not_association_admin", {"username": user.username})])
        s.delete(row)
        log_admin_event(s, actor, "association_admin_removed", "association", association_id, user=user.username)
