"""A member organisation in a round: its rounds, starting its assessment there, the sharing choice, submitting.

Sharing is anonymous by default; being identified is the organisation's decision, so only its
administrators may choose it, and only until the assessment is submitted.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, and_, select
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Assessment, Association, AssociationMember, BenchmarkRound, Organisation
from enums import AssessmentStatus, RoundStatus, Sharing
from services import answers as answer_service
from services import assessments as assessment_service
from services.access import Actor
from services.assessments import AssessmentView
from services.errors import Forbidden, InvalidInput, NotFound, Problem, StateError
from services.events import log_event
from services.rounds import RoundView, round_view

SHARING: tuple[Sharing, ...] = tuple(Sharing)


@dataclass(frozen=True)
class MemberRound:
    """A round as one member organisation sees it, with its own assessment there (if any)."""

    round: RoundView
    assessment_id: int | None
    status: AssessmentStatus | None  # None: not started
    sharing: Sharing | None


def member_round(s: Session, actor: Actor, org_id: int, round_id: int) -> tuple[BenchmarkRound, Association]:
    actor.require_org(org_id)
    r = s.get(BenchmarkRound, round_id)
    if r is None or s.get(AssociationMember, (r.association_id, org_id)) is None:
        raise NotFound(object="round", id=round_id)
    a = s.get(Association, r.association_id)
    assert a is not None
    return r, a


def member_rounds(engine: Engine, actor: Actor, org_id: int) -> list[MemberRound]:
    """Every round of the organisation's associations, newest first, with its assessment there."""
    actor.require_org(org_id)
    with read_session(engine) as s:
        rows = s.execute(
            select(BenchmarkRound, Association.name)
            .join(Association, Association.id == BenchmarkRound.association_id)
            .join(AssociationMember, and_(AssociationMember.association_id == Association.id,
                                          AssociationMember.organisation_id == org_id))
            .order_by(BenchmarkRound.created_at.desc(), BenchmarkRound.id.desc())).all()
        mine: dict[int, Assessment] = {}
        for a in s.scalars(select(Assessment).where(Assessment.organisation_id == org_id,
                                                    Assessment.round_id.is_not(None))
                           .order_by(Assessment.created_at, Assessment.id)):
            best = mine.get(a.round_id)  # type: ignore[arg-type]
            if best is None or a.status == AssessmentStatus.SUBMITTED or best.status != AssessmentStatus.SUBMITTED:
                mine[a.round_id] = a  # type: ignore[index]
        out = []
        for r, assoc_name in rows:
            own = mine.get(r.id)
            out.append(MemberRound(round_view(r, assoc_name), own.id if own else None,
                                   AssessmentStatus(own.status) if own else None,
                                   assessment_service.sharing_of(own) if own else None))
        return out


def _sharing(sharing: str) -> Sharing:
    """The sharing choice ``sharing`` names (a page's choice, as text); InvalidInput ``sharing`` unless it names one."""
    if sharing not in SHARING:
        raise InvalidInput(problems=[Problem("sharing")])
    return Sharing(sharing)


def _check_sharing(actor: Actor, org_id: int, sharing: str) -> Sharing:
    choice = _sharing(sharing)
    if choice == Sharing.IDENTIFIED and not actor.can_admin_org(org_id):
        raise Forbidden(object="organisation", id=org_id)
    return choice


def start_round_assessment(engine: Engine, actor: Actor, org_id: int, round_id: int, *,
                           sharing: str = Sharing.ANONYMOUS, carry_forward_from: int | None = None) -> AssessmentView:
    """Start the organisation's assessment in a round (one per round); sharing defaults to anonymous.

    Being identified is the organisation's decision, so only its administrators may choose it. ``sharing`` is
    text (the page's choice), checked here.
    """
    choice = _check_sharing(actor, org_id, sharing)
    with read_session(engine) as s:
        r, _ = member_round(s, actor, org_id, round_id)
        if r.status != RoundStatus.OPEN:
            raise StateError(reason="round_closed", object="round", id=round_id)
        existing = s.scalar(select(Assessment.id).where(Assessment.organisation_id == org_id,
                                                        Assessment.round_id == round_id).limit(1))
        if existing is not None:
            raise StateError(reason="already_in_round", object="assessment", id=existing)
        title = r.name[:200]
    return assessment_service.create_assessment(engine, actor, org_id, round_id=round_id, sharing=choice,
                                                carry_forward_from=carry_forward_from, title=title)


def set_sharing(engine: Engine, actor: Actor, assessment_id: int, sharing: str) -> AssessmentView:
    """Change anonymous ↔ identified before submission (organisation administrators only); ``sharing`` is text
    (the page's choice), checked here."""
    with write_session(engine) as s:
        a = answer_service.load(s, actor, assessment_id, for_update=True)
        choice = _sharing(sharing)
        if not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        if a.round_id is None:
            raise StateError(reason="not_in_round", object="assessment", id=assessment_id)
        if a.status != AssessmentStatus.DRAFT:
            raise StateError(reason="submitted_cannot_change", object="assessment", id=assessment_id)
        if a.sharing != choice:
            a.sharing = choice
            log_event(s, actor, "sharing_changed", "assessment", a.id, sharing=choice)
        s.flush()
        org = s.get(Organisation, a.organisation_id)
        return assessment_service.assessment_view(a, org.name if org else "")


def submit_to_round(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentView:
    """Submit an assessment that is in a round, while the round is open and its organisation a member."""
    with read_session(engine) as s:
        a = answer_service.load(s, actor, assessment_id)
        if a.round_id is None:
            raise StateError(reason="not_in_round", object="assessment", id=assessment_id)
        r = s.get(BenchmarkRound, a.round_id)
        if r is None or r.status != RoundStatus.OPEN:
            raise StateError(reason="round_closed", object="round", id=a.round_id)
        if s.get(AssociationMember, (r.association_id, a.organisation_id)) is None:
            # It left the association: its submission would not count, and accepting it would say it did.
            raise StateError(reason="not_round_member", object="round", id=a.round_id)
    return assessment_service.submit(engine, actor, assessment_id)

