"""Organisations and their profiles (the profile decides which questions apply)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Assessment, Membership, Organisation, User
from enums import OrgRole
from questionnaires import DEFAULT_ID, get_questionnaire
from services.access import Actor, actor_in
from services.errors import InvalidInput, NotFound, Problem
from services.text import clean_name


class Unchanged(Enum):
    """The default of an optional update argument that may also be set to None ("no preset")."""

    KEEP = "keep"


@dataclass(frozen=True)
class OrganisationView:
    id: int
    name: str
    profile: dict[str, Any]
    target_preset: str | None
    updated_at: datetime


def _view(org: Organisation) -> OrganisationView:
    return OrganisationView(org.id, org.name, dict(org.profile or {}), org.target_preset, org.updated_at)


def validate_profile(profile: dict[str, Any], questionnaire_id: str = DEFAULT_ID) -> dict[str, Any]:
    """The profile restricted to declared fields, or InvalidInput naming each bad field."""
    q = get_questionnaire(questionnaire_id)
    problems = q.profile_problems(profile)
    if problems:
        raise InvalidInput(problems=problems)
    return {f.id: profile[f.id] for f in q.profile.fields}


def _check_preset(preset: str | None, questionnaire_id: str = DEFAULT_ID) -> str | None:
    if preset is None:
        return None
    ids = [p.id for p in get_questionnaire(questionnaire_id).targets.presets]
    if preset not in ids:
        raise InvalidInput(problems=[Problem("target_preset", {"choices": ", ".join(ids)})])
    return preset


def create_organisation(engine: Engine, actor: Actor, name: str, profile: dict[str, Any],
                        target_preset: str | None = None) -> OrganisationView:
    """Create an organisation; a signed-in creator becomes its administrator."""
    clean = validate_profile(profile)
    with write_session(engine) as s:
        org = Organisation(name=clean_name(name, problem="org_name"), profile=clean, target_preset=_check_preset(target_preset))
        s.add(org)
        s.flush()
        if actor.user_id is not None:
            s.add(Membership(user_id=actor.user_id, organisation_id=org.id, role=OrgRole.ORG_ADMIN))
        return _view(org)


def organisation_row(s: Session, org_id: int) -> Organisation:
    """The organisation's row in the caller's session; NotFound when there is none (the caller checked access)."""
    org = s.get(Organisation, org_id)
    if org is None:
        raise NotFound(object="organisation", id=org_id)
    return org


def get_organisation(engine: Engine, actor: Actor, org_id: int) -> OrganisationView:
    actor.require_org(org_id)
    with read_session(engine) as s:
        org = organisation_row(s, org_id)
        return _view(org)


def list_organisations(engine: Engine, actor: Actor) -> list[OrganisationView]:
    """Organisations the actor belongs to (all of them for a platform administrator)."""
    with read_session(engine) as s:
        return _organisations_of(s, actor)


def _organisations_of(s: Session, actor: Actor) -> list[OrganisationView]:
    stmt = select(Organisation).order_by(Organisation.name, Organisation.id)
    if not actor.is_platform_admin:
        stmt = stmt.where(Organisation.id.in_(actor.org_ids or [-1]))
    return [_view(o) for o in s.scalars(stmt)]


def signed_in(engine: Engine, user_id: int) -> tuple[Actor, list[OrganisationView]]:
    """What every page run of a signed-in user starts with, from one read: the actor with roles read fresh
    (:func:`services.access.load_actor`) and the organisations they belong to (:func:`list_organisations`)."""
    with read_session(engine) as s:
        actor = actor_in(s, user_id)
        return actor, _organisations_of(s, actor)


def update_organisation(engine: Engine, actor: Actor, org_id: int, *, name: str | None = None,
                        profile: dict[str, Any] | None = None,
                        target_preset: str | Unchanged | None = Unchanged.KEEP) -> OrganisationView:
    """Change name, profile or target preset. Answers are untouched: applicability is re-evaluated on read."""
    actor.require_org(org_id)
    if not actor.can_admin_org(org_id):
        from services.errors import Forbidden

        raise Forbidden(object="organisation", id=org_id)
    with write_session(engine) as s:
        org = organisation_row(s, org_id)
        if name is not None:
            org.name = clean_name(name, problem="org_name")
        if profile is not None:
            org.profile = validate_profile(profile)
        if target_preset is not Unchanged.KEEP:
            org.target_preset = _check_preset(target_preset)
        s.flush()
        return _view(org)


@dataclass(frozen=True)
class OrganisationSummary:
    id: int
    name: str
    members: int
    admins: tuple[str, ...]
    assessments: int
    created_at: datetime


def list_all_organisations(engine: Engine, actor: Actor) -> list[OrganisationSummary]:
    """Every organisation with its member and assessment counts (platform administrators)."""
    actor.require_platform_admin()
    with read_session(engine) as s:
        orgs = list(s.scalars(select(Organisation).order_by(Organisation.name, Organisation.id)))
        members = dict(s.execute(select(Membership.organisation_id, func.count())
                                 .group_by(Membership.organisation_id)).all())
        counts = dict(s.execute(select(Assessment.organisation_id, func.count())
                                .group_by(Assessment.organisation_id)).all())
        admins: dict[int, list[str]] = {}
        for oid, name in s.execute(select(Membership.organisation_id, User.username)
                                   .join(User, User.id == Membership.user_id)
                                   .where(Membership.role == OrgRole.ORG_ADMIN).order_by(User.username)):
            admins.setdefault(oid, []).append(name)
        return [OrganisationSummary(o.id, o.name, members.get(o.id, 0), tuple(admins.get(o.id, ())),
                                    counts.get(o.id, 0), o.created_at) for o in orgs]
