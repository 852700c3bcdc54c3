"""The association's dashboard of a round — its current release — and the stamps that key cached views.

Nothing here computes a statistic: the dashboard reformats the round's stored release
(:mod:`services.releases`) and the latest releases of the association's earlier rounds (trend).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from benchmarking.statistics import DashboardStats, dashboard_view, trend_point
from db.engine import read_session
from db.models import (
    Assessment,
    Association,
    AssociationMember,
    BenchmarkRound,
    Organisation,
)
from privacy.release import ReleasedStatistics
from questionnaires import get_questionnaire
from services import releases
from services.access import Actor
from services.assessments import AssessmentView
from services.rounds import RoundView, admin_round, comparable_rounds, round_view


@dataclass(frozen=True)
class RoundStamp:
    """What a view of a round's statistics depends on, read in one cheap query; a cache key only.

    The statistics change only with a new release; the workbook also prints the round's name,
    status and deadline and the association's name. For a member's views, ``own`` adds when its
    own assessment and organisation last changed (its own scores and comparison group).
    """

    round_id: int
    round: tuple[str, str, datetime | None]  # name, status, deadline (as the workbook prints them)
    association_name: str
    release: int | None  # seq of the round's current release
    own: tuple[datetime | None, datetime | None] = (None, None)


@dataclass(frozen=True)
class RoundDashboard:
    """The association's view of one round: the round, its association, and its current release.

    ``stats`` is None while nothing has been released (an open round with too few independent
    submissions, and no interim release published yet).
    """

    round: RoundView
    association_name: str
    stats: DashboardStats | None
    release: releases.ReleaseEntry | None
    stamp: RoundStamp


def round_dashboard(engine: Engine, actor: Actor, round_id: int) -> RoundDashboard:
    """The association dashboard of a round (its administrators only; NotFound for anyone else)."""
    with read_session(engine) as s:
        r, a = admin_round(s, actor, round_id)
        view = round_view(r, a.name)
        earlier = [(x.id, x.name, x.created_at) for x in comparable_rounds(s, r)]
    published = releases.get_published_release(engine, actor, round_id)  # the one read of the release
    stored = published.release if published else None
    q = get_questionnaire(view.questionnaire_id, view.questionnaire_version)
    units = ("overall", *(d.id for d in q.dimensions))
    stats = None
    if stored is not None:
        trend = [trend_point(rid, name, created, stored.statistics if rid == round_id else
                             _stats_of(releases.current_release(engine, rid)), units)
                 for rid, name, created in earlier]
        stats = dashboard_view(q, stored.statistics, stored.participation, stored.identified, trend,
                               stored.typical_error)
    stamp = RoundStamp(view.id, (view.name, view.status, view.deadline), view.association_name,
                       stored.entry.seq if stored else None)
    return RoundDashboard(view, view.association_name, stats, stored.entry if stored else None, stamp)


def _stats_of(stored: releases.StoredRelease | None) -> ReleasedStatistics | None:
    return None if stored is None else stored.statistics


def peer_stamp(engine: Engine, view: AssessmentView) -> RoundStamp | None:
    """The stamp of the round ``view`` compares in, to key the results page's cached peer summary.

    ``view`` must come from an access-checked call for the signed-in actor (the page's current
    assessment). None when the assessment is in no round or its organisation left the
    association (then it has no peers).
    """
    if view.round_id is None:
        return None
    with read_session(engine) as s:
        r = s.get(BenchmarkRound, view.round_id)
        if r is None or s.get(AssociationMember, (r.association_id, view.organisation_id)) is None:
            return None
        a = s.get(Association, r.association_id)
        assert a is not None
        own = s.get(Assessment, view.id)
        org = s.get(Organisation, view.organisation_id)
        key = (r.id, (r.name, r.status, r.deadline), a.name, (own.updated_at if own else None,
                                                               org.updated_at if org else None))
    stored = releases.current_release(engine, key[0])  # a round's first release happens on first access
    return RoundStamp(key[0], key[1], key[2], stored.entry.seq if stored else None, key[3])
