"""Associations: creating them, their suppression threshold, invitation codes, joining and leaving.

Who may do what (docs/benchmarking.md): a platform administrator creates associations; an
association administrator sets the threshold (never below 3) and rotates the invitation code; an
organisation's administrators join with the code and may leave. Objects the actor may not see
raise :class:`NotFound`, never revealing whether they exist.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from benchmarking.statistics import ANONYMOUS_FLOOR
from db.engine import read_session, write_session
from db.models import Association, AssociationAdmin, AssociationMember, EventLog, User
from privacy.parameters import (
    DEFAULT_RELEASE_EPSILON,
    MAX_RELEASE_EPSILON,
    MIN_RELEASE_EPSILON,
    check_epsilon,
)
from services.access import Actor
from services.errors import Forbidden, InvalidInput, NotFound, Problem
from services.events import log_event
from services.text import clean_name, clean_text

MIN_GROUP_FLOOR = ANONYMOUS_FLOOR  # the suppression threshold can never be set below this


DEFAULT_MIN_GROUP = 5


MAX_MIN_GROUP = 100


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read out and typed


@dataclass(frozen=True)
class AssociationView:
    id: int
    name: str
    description: str
    min_group_size: int
    member_count: int
    invite_code: str | None  # only for the association's administrators
    release_epsilon: float = DEFAULT_RELEASE_EPSILON  # ε of each release of its rounds' statistics


def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _canonical_code(code: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (code or "").upper())


def member_count(s: Session, association_id: int) -> int:
    return s.scalar(select(func.count()).select_from(AssociationMember)
                    .where(AssociationMember.association_id == association_id)) or 0


def association_view(s: Session, a: Association, *, admin: bool) -> AssociationView:
    return AssociationView(a.id, a.name, a.description or "", a.min_group_size, member_count(s, a.id),
                           a.invite_code if admin else None, float(a.release_epsilon))


def admin_association(s: Session, actor: Actor, association_id: int) -> Association:
    a = s.get(Association, association_id)
    if a is None or not actor.can_admin_association(association_id):
        raise NotFound(object="association", id=association_id)
    return a


def check_min_group(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_GROUP_FLOOR <= value <= MAX_MIN_GROUP:
        raise InvalidInput(problems=[Problem("min_group_size", {"value": repr(value), "floor": MIN_GROUP_FLOOR, "max": MAX_MIN_GROUP})])
    return value


def user_by_name(s: Session, username: str) -> User:
    user = s.scalars(select(User).where(func.lower(User.username) == (username or "").strip().lower())).first()
    if user is None:
        raise InvalidInput(problems=[Problem("admin_no_account", {"username": username})])
    return user


def create_association(engine: Engine, actor: Actor, name: str, *, description: str = "",
                       min_group_size: int = DEFAULT_MIN_GROUP, admin_username: str | None = None) -> AssociationView:
    """A new association with a fresh invitation code (platform administrators only)."""
    if not actor.is_platform_admin:
        raise Forbidden(object="association")
    name = clean_name(name)
    check_min_group(min_group_size)
    with write_session(engine) as s:
        admin = user_by_name(s, admin_username) if admin_username else None
        a = Association(name=name, description=clean_text(description, problem="description_control",
                                                          max_length=2000), invite_code=_new_code(),
                        min_group_size=min_group_size)
        s.add(a)
        s.flush()
        if admin is not None:
            s.add(AssociationAdmin(user_id=admin.id, association_id=a.id))
        log_event(s, actor, "association_created", "association", a.id)
        return association_view(s, a, admin=True)


def list_administered(engine: Engine, actor: Actor) -> list[AssociationView]:
    """Associations the actor administers (every association for a platform administrator)."""
    with read_session(engine) as s:
        stmt = select(Association).order_by(Association.name, Association.id)
        if not actor.is_platform_admin:
            stmt = stmt.where(Association.id.in_(sorted(actor.association_admin) or [-1]))
        return [association_view(s, a, admin=True) for a in s.scalars(stmt)]


def get_association(engine: Engine, actor: Actor, association_id: int) -> AssociationView:
    with read_session(engine) as s:
        return association_view(s, admin_association(s, actor, association_id), admin=True)


def set_min_group_size(engine: Engine, actor: Actor, association_id: int, value: int) -> AssociationView:
    """Change the suppression threshold; it can never go below 3."""
    check_min_group(value)
    with write_session(engine) as s:
        a = admin_association(s, actor, association_id)
        old = a.min_group_size
        a.min_group_size = value
        log_event(s, actor, "association_threshold", "association", a.id, old=old, new=value)
        s.flush()
        return association_view(s, a, admin=True)


def set_release_epsilon(engine: Engine, actor: Actor, association_id: int, value: float) -> AssociationView:
    """The privacy budget ε of each future release of the association's rounds, within the documented bounds.

    A smaller ε protects members more and makes released figures noisier (docs/benchmarking.md,
    "Privacy budget"); releases already published keep their ε.
    """
    if isinstance(value, bool) or not isinstance(value, int | float) or not check_epsilon(float(value)):
        raise InvalidInput(problems=[Problem("release_epsilon", {"value": repr(value), "min": MIN_RELEASE_EPSILON, "max": MAX_RELEASE_EPSILON})])
    with write_session(engine) as s:
        a = admin_association(s, actor, association_id)
        old = a.release_epsilon
        a.release_epsilon = float(value)
        log_event(s, actor, "association_release_epsilon", "association", a.id, old=old, new=float(value))
        s.flush()
        return association_view(s, a, admin=True)


def rotate_invite_code(engine: Engine, actor: Actor, association_id: int) -> AssociationView:
    """A new invitation code; the old one stops working (members already in stay)."""
    with write_session(engine) as s:
        a = admin_association(s, actor, association_id)
        a.invite_code = _new_code()
        log_event(s, actor, "association_code_rotated", "association", a.id)
        s.flush()
        return association_view(s, a, admin=True)


def join_association(engine: Engine, actor: Actor, org_id: int, code: str) -> AssociationView:
    """The organisation joins the association whose invitation code this is (organisation admins)."""
    actor.require_org(org_id)
    if not actor.can_admin_org(org_id):
        raise Forbidden(object="organisation", id=org_id)
    wanted = _canonical_code(code)
    with write_session(engine) as s:
        match = None
        if wanted:
            for a in s.scalars(select(Association)):
                if secrets.compare_digest(_canonical_code(a.invite_code), wanted):
                    match = a
        if match is None:
            # Recorded (committed) before the refusal, so repeated code guessing is visible to administrators.
            s.add(EventLog(user_id=actor.user_id, action="association_join_failed", object_type="organisation",
                           object_id=org_id))
        else:
            if s.get(AssociationMember, (match.id, org_id)) is None:
                s.add(AssociationMember(association_id=match.id, organisation_id=org_id))
                log_event(s, actor, "association_joined", "association", match.id, organisation_id=org_id)
            s.flush()
            view = association_view(s, match, admin=False)
    if match is None:
        raise InvalidInput(problems=[Problem("invite_code")])
    return view


def leave_association(engine: Engine, actor: Actor, org_id: int, association_id: int) -> None:
    """The organisation leaves; its assessments stay its own and drop out of future dashboards."""
    actor.require_org(org_id)
    if not actor.can_admin_org(org_id):
        raise Forbidden(object="organisation", id=org_id)
    with write_session(engine) as s:
        m = s.get(AssociationMember, (association_id, org_id))
        if m is None:
            raise NotFound(object="association", id=association_id)
        s.delete(m)
        log_event(s, actor, "association_left", "association", association_id, organisation_id=org_id)


def member_associations(engine: Engine, actor: Actor, org_id: int) -> list[AssociationView]:
    """The associations an organisation belongs to (no invitation codes: members do not need them)."""
    actor.require_org(org_id)
    with read_session(engine) as s:
        rows = s.scalars(select(Association).join(AssociationMember, AssociationMember.association_id == Association.id)
                         .where(AssociationMember.organisation_id == org_id).order_by(Association.name))
        return [association_view(s, a, admin=actor.can_admin_association(a.id)) for a in rows]

