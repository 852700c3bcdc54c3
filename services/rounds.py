"""Benchmarking rounds (测评轮次): opening, closing, reopening and listing them (association administrators)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import Engine, and_, case, func, select
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Assessment, Association, AssociationMember, BenchmarkRound, utcnow
from enums import AssessmentStatus, RoundStatus
from questionnaires import DEFAULT_ID, get_questionnaire
from services.access import Actor
from services.assessments import AssessmentView
from services.associations import admin_association, member_count
from services.errors import InvalidInput, NotFound, Problem, StateError
from services.events import log_event
from services.text import clean_name


@dataclass(frozen=True)
class RoundView:
    id: int
    association_id: int
    association_name: str
    name: str
    questionnaire_id: str
    questionnaire_version: str
    deadline: datetime | None
    status: RoundStatus
    created_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status == RoundStatus.OPEN


@dataclass(frozen=True)
class RoundSummary:
    """A round with its participation counts (for the round selector and ``aigov round list``)."""

    round: RoundView
    invited: int
    started: int
    submitted: int


def round_view(r: BenchmarkRound, association_name: str) -> RoundView:
    return RoundView(r.id, r.association_id, association_name, r.name, r.questionnaire_id, r.questionnaire_version,
                     r.deadline, RoundStatus(r.status), r.created_at)


def admin_round(s: Session, actor: Actor, round_id: int) -> tuple[BenchmarkRound, Association]:
    r = s.get(BenchmarkRound, round_id)
    if r is None or not actor.can_admin_association(r.association_id):
        raise NotFound(object="round", id=round_id)
    a = s.get(Association, r.association_id)
    assert a is not None
    return r, a


def _deadline(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time(23, 59, 59))


def open_round(engine: Engine, actor: Actor, association_id: int, name: str, *,
               deadline: date | datetime | None, questionnaire_id: str = DEFAULT_ID) -> RoundView:
    """Open a round (测评轮次) on the questionnaire's current version; members may then submit into it."""
    problems = []
    try:
        name = clean_name(name)
    except InvalidInput as exc:
        problems += exc.problems
    when = _deadline(deadline)
    if when is not None and when < utcnow():
        problems.append(Problem("deadline_past"))
    try:
        q = get_questionnaire(questionnaire_id)
    except Exception:
        problems.append(Problem("questionnaire_unknown", {"id": questionnaire_id, "default": DEFAULT_ID}))
    with write_session(engine) as s:
        a = admin_association(s, actor, association_id)
        if problems:
            raise InvalidInput(problems=problems)
        r = BenchmarkRound(association_id=a.id, name=name, questionnaire_id=q.id, questionnaire_version=q.version,
                           deadline=when, status=RoundStatus.OPEN)
        s.add(r)
        s.flush()
        log_event(s, actor, "round_opened", "round", r.id)
        return round_view(r, a.name)


def _set_status(engine: Engine, actor: Actor, round_id: int, status: RoundStatus) -> RoundView:
    with write_session(engine) as s:
        r, a = admin_round(s, actor, round_id)
        if r.status == status:
            raise StateError(reason="round_already_closed" if status == RoundStatus.CLOSED else "round_already_open",
                             object="round", id=round_id)
        r.status = status
        log_event(s, actor, f"round_{'closed' if status == RoundStatus.CLOSED else 'reopened'}", "round", r.id)
        s.flush()
        if status == RoundStatus.CLOSED:
            # Imported here: releases builds on this module's round helpers.
            from services.releases import publish_final

            publish_final(s, actor, r, a)
        return round_view(r, a.name)


def close_round(engine: Engine, actor: Actor, round_id: int) -> RoundView:
    """Close a round: no new assessments or submissions; its final release is published in the same
    transaction and is what the round shows from then on (services/releases.py)."""
    return _set_status(engine, actor, round_id, RoundStatus.CLOSED)


def reopen_round(engine: Engine, actor: Actor, round_id: int) -> RoundView:
    return _set_status(engine, actor, round_id, RoundStatus.OPEN)


def get_round(engine: Engine, actor: Actor, round_id: int) -> RoundView:
    """A round for its association's administrators; NotFound for everyone else."""
    with read_session(engine) as s:
        r, a = admin_round(s, actor, round_id)
        return round_view(r, a.name)


def list_rounds(engine: Engine, actor: Actor, association_id: int) -> list[RoundSummary]:
    """The association's rounds, newest first, with participation counts."""
    with read_session(engine) as s:
        a = admin_association(s, actor, association_id)
        rounds = list(s.scalars(select(BenchmarkRound).where(BenchmarkRound.association_id == a.id)
                                .order_by(BenchmarkRound.created_at.desc(), BenchmarkRound.id.desc())))
        invited = member_count(s, a.id)
        per_org = (select(Assessment.round_id, Assessment.organisation_id,
                          func.max(case((Assessment.status == AssessmentStatus.SUBMITTED, 1), else_=0)).label("done"))
                   .join(AssociationMember, and_(AssociationMember.organisation_id == Assessment.organisation_id,
                                                 AssociationMember.association_id == a.id))
                   .where(Assessment.round_id.in_([r.id for r in rounds] or [-1]))
                   .group_by(Assessment.round_id, Assessment.organisation_id)).subquery()
        counts = {rid: (started, done) for rid, started, done in s.execute(
            select(per_org.c.round_id, func.count().filter(per_org.c.done == 0), func.count().filter(per_org.c.done == 1))
            .group_by(per_org.c.round_id))}
        return [RoundSummary(round_view(r, a.name), invited, *counts.get(r.id, (0, 0))) for r in rounds]


def comparable_rounds(s: Session, r: BenchmarkRound) -> list[BenchmarkRound]:
    """The association's rounds on the same questionnaire and version up to ``r``, oldest first (for trends).

    A round stays on the version it was opened with; scores of different versions are not comparable
    (questions split, reworded or added), so a round on 1.1.0 has no trend from a round on 1.0.0.
    """
    return list(s.scalars(select(BenchmarkRound).where(
        BenchmarkRound.association_id == r.association_id, BenchmarkRound.questionnaire_id == r.questionnaire_id,
        BenchmarkRound.questionnaire_version == r.questionnaire_version,
        BenchmarkRound.created_at <= r.created_at).order_by(BenchmarkRound.created_at, BenchmarkRound.id)))


def round_of(engine: Engine, view: AssessmentView) -> RoundView | None:
    """The round ``view`` was started in, or None; ``view`` comes from an access-checked call."""
    if view.round_id is None:
        return None
    with read_session(engine) as s:
        r = s.get(BenchmarkRound, view.round_id)
        a = s.get(Association, r.association_id) if r is not None else None
        return round_view(r, a.name) if r is not None and a is not None else None

