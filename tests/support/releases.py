"""Dashboard and member views built from frames through the real release path, without a database.

For tests of what reads a release (workbooks, charts): the frames go through the same
``release_cohort`` → ``privacy.release.build_release`` → ``dashboard_view`` / ``member_view`` steps
as services/releases.py, so the objects are exactly what the services would hand out.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import pandas as pd

from benchmarking.statistics import (
    DashboardStats,
    MemberStats,
    Participation,
    dashboard_view,
    identified_rows,
    latest_submissions,
    member_view,
    participation,
    release_cohort,
    trend_point,
)
from privacy.parameters import DEFAULT_RELEASE_EPSILON
from privacy.release import Mechanisms, ReleasedStatistics, build_release
from privacy.utility import typical_median_error
from questionnaires import Questionnaire
from services.peer_comparison import _own


def release_of(q: Questionnaire, subs: pd.DataFrame, answers: pd.DataFrame, round_id: int, *, min_group: int = 5,
               epsilon: float = DEFAULT_RELEASE_EPSILON, known: Collection[int] = (),
               mech: Mechanisms | None = None) -> ReleasedStatistics:
    latest = latest_submissions(subs[subs["round_id"] == round_id])
    cohort, _, _ = release_cohort(q, latest, answers, known)
    return build_release(cohort, epsilon=epsilon, min_group=min_group, mech=mech)


def dashboard_from_frames(q: Questionnaire, subs: pd.DataFrame, answers: pd.DataFrame, *, round_id: int,
                          min_group: int = 5, invited: int,
                          rounds: Sequence[tuple[int, str, datetime | None]] = ()) -> DashboardStats:
    """The association's view of a release of ``round_id`` (and of each round in ``rounds`` for the trend)."""
    units = ("overall", *(d.id for d in q.dimensions))
    releases = {rid: release_of(q, subs, answers, rid, min_group=min_group)
                for rid, _, _ in (rounds or [(round_id, "", None)])}
    releases.setdefault(round_id, release_of(q, subs, answers, round_id, min_group=min_group))
    trend = [trend_point(rid, name, created, releases[rid], units) for rid, name, created in rounds]
    stats = releases[round_id]
    latest = latest_submissions(subs[subs["round_id"] == round_id])
    _, scored, scores = release_cohort(q, latest, answers, ())
    part: Participation = participation(subs, round_id, invited)
    return dashboard_view(q, stats, part, identified_rows(q, latest, scored, scores), trend,
                          typical_median_error(stats.count, stats.epsilon) if stats.shown else None)


def member_from_frames(q: Questionnaire, subs: pd.DataFrame, answers: pd.DataFrame, *, own_assessment_id: int,
                       round_id: int, previous_round_id: int | None = None, segment: str = "auto",
                       min_group: int = 5) -> MemberStats:
    """A member's view of the release of ``round_id`` (its own scores from its own row)."""
    stats = release_of(q, subs, answers, round_id, min_group=min_group)
    before = release_of(q, subs, answers, previous_round_id, min_group=min_group) if previous_round_id else None
    own_row = subs[subs["assessment_id"] == own_assessment_id]
    own, segments, gaps = _own(q, own_row, answers, own_assessment_id)
    return member_view(stats, own=own, own_segments=segments, own_gaps=gaps, segment=segment, previous=before,
                       typical_error=typical_median_error(stats.count, stats.epsilon))
