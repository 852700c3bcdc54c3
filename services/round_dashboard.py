"""The association's dashboard of a round and the stamps that key cached statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import (
    Assessment,
    AssessmentStatus,
    Association,
    AssociationMember,
    BenchmarkRound,
    Organisation,
)
from questionnaires import get_questionnaire
from services.access import Actor
from services.assessments import AssessmentView
from services.associations import member_count
from services.benchmark_stats import DashboardStats, dashboard_stats
from services.round_data import load_answers, load_submissions
from services.rounds import RoundView, admin_round, comparable_rounds, round_view


@dataclass(frozen=True)
class RoundStamp:
    """What a round's statistics and workbook depend on, read in one cheap query; a cache key only.

    Pages key cached statistics and prepared workbooks by it, so a new submission, a reopened
    assessment, a member joining or leaving, a profile edit or a new threshold means a recompute.
    Never shown: the time of the latest change may be an anonymous member's. Holds no id but the
    round's, no name but the round's and the association's.
    """

    round_id: int
    round: tuple[str, str, datetime | None]  # name, status, deadline (as the workbook prints them)
    association_name: str
    min_group_size: int
    members: tuple[int, datetime | None]  # how many member organisations, and when the latest joined
    assessments: int  # in the association's rounds (drafts count in participation)
    submitted: int
    last_submitted_at: datetime | None
    last_change: datetime | None  # latest update of such an assessment or of its organisation


@dataclass(frozen=True)
class RoundDashboard:
    """The association's view of one round: the round, its association, and the statistics.

    ``stamp`` is read in the same transaction as the statistics' data: a page keys what it
    prepares from them (the workbook) by it.
    """

    round: RoundView
    association_name: str
    stats: DashboardStats
    stamp: RoundStamp


def round_dashboard(engine: Engine, actor: Actor, round_id: int) -> RoundDashboard:
    """The association dashboard of a round (its administrators only; NotFound for anyone else)."""
    with read_session(engine) as s:
        r, a = admin_round(s, actor, round_id)
        stamp = round_stamp(s, r, a)  # before the data: a change in between then only makes it older
        rounds = comparable_rounds(s, r)
        ids = [x.id for x in rounds]
        subs = load_submissions(s, a.id, ids, with_names=True)
        answers = load_answers(s, ids)
        invited = member_count(s, a.id)
        view, min_group = round_view(r, a.name), a.min_group_size
        trend = [(x.id, x.name, x.created_at) for x in rounds]
    q = get_questionnaire(view.questionnaire_id, view.questionnaire_version)
    stats = dashboard_stats(q, subs, answers, round_id=round_id, min_group=min_group, invited=invited, rounds=trend)
    return RoundDashboard(view, view.association_name, stats, stamp)


def round_stamp(s: Session, r: BenchmarkRound, a: Association) -> RoundStamp:
    members = s.execute(select(func.count(), func.max(AssociationMember.joined_at))
                        .where(AssociationMember.association_id == a.id)).one()
    row = s.execute(
        select(func.count(), func.count().filter(Assessment.status == AssessmentStatus.SUBMITTED), func.max(Assessment.submitted_at),
               func.max(Assessment.updated_at), func.max(Organisation.updated_at))
        .select_from(Assessment)
        .join(BenchmarkRound, BenchmarkRound.id == Assessment.round_id)
        .join(Organisation, Organisation.id == Assessment.organisation_id)
        .join(AssociationMember, and_(AssociationMember.organisation_id == Assessment.organisation_id,
                                      AssociationMember.association_id == a.id))
        .where(BenchmarkRound.association_id == a.id)).one()
    changes = [t for t in (row[3], row[4]) if t is not None]
    return RoundStamp(r.id, (r.name, r.status, r.deadline), a.name, a.min_group_size, (members[0], members[1]),
                      row[0], row[1], row[2], max(changes) if changes else None)


def peer_stamp(engine: Engine, view: AssessmentView) -> RoundStamp | None:
    """The stamp of the round ``view`` compares in, to key the results page's cached peer summary.

    ``view`` must come from an access-checked call for the signed-in actor (the page's current
    assessment); the stamp holds nothing of other members but counts and times. None when the
    assessment is in no round or its organisation left the association (then it has no peers).
    """
    if view.round_id is None:
        return None
    with read_session(engine) as s:
        r = s.get(BenchmarkRound, view.round_id)
        if r is None or s.get(AssociationMember, (r.association_id, view.organisation_id)) is None:
            return None
        a = s.get(Association, r.association_id)
        assert a is not None
        return round_stamp(s, r, a)

