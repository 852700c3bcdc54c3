"""Member organisations an association registers itself (by hand or from Excel files).

The association gets no access to what it registers; the event ``association_member_added`` with
``registered_by`` is the record that it registered the organisation (see :func:`registered_members`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session

from db.engine import write_session
from db.models import AssociationMember, EventLog, Membership, Organisation, User
from enums import OrgRole
from services.access import Actor
from services.associations import admin_association, user_by_name
from services.events import log_event
from services.organisations import validate_profile
from services.text import clean_name


def create_member_organisation(engine: Engine, actor: Actor, association_id: int, name: str,
                               profile: dict[str, Any], *, admin_username: str | None = None) -> int:
    """The association administrator registers a member organisation on its behalf.

    The association gets no access to the organisation's data: ``admin_username`` (an existing
    account, e.g. the member's compliance lead) becomes the organisation's administrator.
    Returns the new organisation's id.
    """
    name = clean_name(name)
    clean = validate_profile(profile)
    with write_session(engine) as s:
        admin_association(s, actor, association_id)
        admin = user_by_name(s, admin_username) if admin_username else None
        return register_member(s, actor, association_id, name, clean, admin=admin).id


def register_member(s: Session, actor: Actor, association_id: int, name: str, profile: dict[str, Any], *,
                    admin: User | None = None) -> Organisation:
    """Create a member organisation inside the caller's transaction (the caller checked the rights and
    validated name and profile). The event ``association_member_added`` on the organisation with
    ``registered_by`` is the record that this association registered it (see :func:`registered_members`)."""
    org = Organisation(name=name, profile=profile)
    s.add(org)
    s.flush()
    s.add(AssociationMember(association_id=association_id, organisation_id=org.id))
    if admin is not None:
        s.add(Membership(user_id=admin.id, organisation_id=org.id, role=OrgRole.ORG_ADMIN))
    log_event(s, actor, "association_member_added", "organisation", org.id, registered_by=association_id)
    return org


def registered_members(s: Session, association_id: int) -> list[tuple[Organisation, bool]]:
    """Current members that this association registered itself, each with whether it has an account yet.

    An organisation that joined with the invitation code is not among them: the association learns
    nothing about it from this list.
    """
    ids = {oid for oid, detail in s.execute(
        select(EventLog.object_id, EventLog.detail)
        .join(AssociationMember, and_(AssociationMember.organisation_id == EventLog.object_id,
                                      AssociationMember.association_id == association_id))
        .where(EventLog.action == "association_member_added", EventLog.object_type == "organisation"))
        if (detail or {}).get("registered_by") == association_id}
    with_accounts = set(s.scalars(select(Membership.organisation_id).where(Membership.organisation_id.in_(ids or [-1]))))
    orgs = s.scalars(select(Organisation).where(Organisation.id.in_(ids or [-1])).order_by(Organisation.id))
    return [(org, org.id in with_accounts) for org in orgs]
