"""Benchmark views of a round: the types pages, workbooks and commands show, built from a release.

No database and no authorisation here (that is :mod:`services.releases`,
:mod:`services.round_dashboard` and :mod:`services.peer_comparison`). Two jobs, both pure:

* **Input of a release**: scoring a round's submissions in one vectorised pass
  (:func:`score_submissions`) and turning them into the :class:`privacy.release.Cohort` that
  :func:`privacy.release.build_release` — the one place where privacy is decided — turns into
  released statistics.
* **Views of a release**: :func:`dashboard_view` (the association) and :func:`member_view` (a
  member) only *reformat* a stored :class:`~privacy.release.ReleasedStatistics`; they never see
  another member's score. The member's own scores are its own data.

Names never enter this module for anonymous members: the loaders select a name only where the
member chose to be identified.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from enums import AssessmentStatus, Sharing
from privacy.parameters import GAP_CONTRIBUTION
from privacy.release import SEGMENT_FIELDS, Cohort, ReleasedSegment, ReleasedStatistics, UnitQuantiles
from questionnaires import Questionnaire
from scoring import CohortScores, score_cohort

SEGMENT_PROFILE_FIELDS = {"sector": "sector", "size": "size", "ai_role": "ai_roles"}  # segment → profile field
ANONYMOUS_FLOOR = 3  # the lowest allowed min_group_size
CLOSE_FIRST_ROWS = 5

SUBMISSION_COLUMNS = ("round_id", "assessment_id", "organisation_id", "status", "sharing", "form",
                      "target_preset", "profile", "submitted_at", "name")


# --- result types -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dist:
    """Released quantiles of one unit over one group; all None when the group is hidden.

    Released statistics are differentially private estimates (docs/benchmarking.md): the round
    publishes P25, median and P75 per unit, a segment only its median. No minimum, maximum,
    mean, P10 or P90 is ever released.
    """

    count: int | None  # members in the group (the round: exact; a segment: noisy; None when hidden)
    p25: float | None
    median: float | None
    p75: float | None
    suppressed: bool

    @classmethod
    def hidden(cls) -> Dist:
        return cls(None, None, None, None, True)


@dataclass(frozen=True)
class Participation:
    invited: int  # member organisations of the association (at publication)
    started: int  # members with a draft in the round and nothing submitted yet
    submitted: int  # members with a submitted assessment in the round


@dataclass(frozen=True)
class SegmentRow:
    """One segment (e.g. sector = finance): its released count and median per unit."""

    field: str
    value: str
    suppressed: bool
    units: dict[str, Dist]  # "overall" and dimension ids → distribution (median only)

    def median(self, unit: str) -> float | None:
        d = self.units.get(unit)
        return None if d is None else d.median

    def dist(self, unit: str) -> Dist:
        """The unit's distribution; a unit the row lacks is hidden like a suppressed one."""
        return self.units.get(unit) or Dist.hidden()

    @property
    def count(self) -> int | None:
        """The segment's released (noisy) count; None when hidden or suppressed as a complement."""
        return self.dist("overall").count


@dataclass(frozen=True)
class GapStat:
    """How many members have a question among their most important high-priority gaps (released)."""

    question_id: str
    dimension_id: str
    count: int  # noisy count of members with it among their GAP_CONTRIBUTION highest-priority high gaps
    share: float  # count ÷ the round's members


@dataclass(frozen=True)
class IdentifiedRow:
    """A member that chose to be identified: its scores by name (never built for anonymous members)."""

    organisation_name: str
    submitted_at: datetime | None
    overall: float | None
    dimensions: dict[str, float | None]
    percent_to_target: float | None


@dataclass(frozen=True)
class TrendPoint:
    """One round's latest release in the trend: its released count and medians."""

    round_id: int
    round_name: str
    created_at: datetime | None
    submitted: int | None  # members in the round's latest release; None when hidden or not released
    units: dict[str, Dist]  # "overall" and dimension ids


@dataclass(frozen=True)
class DashboardStats:
    """Everything the association dashboard, workbook and command show for one round's release.

    By construction it holds released aggregates, identified members' rows and nothing else: no
    organisation or assessment ids, no anonymous names, no answers, no exact statistic.
    """

    min_group_size: int
    dimension_ids: tuple[str, ...]
    participation: Participation
    suppressed: bool  # the whole round has too few independent members to show anything
    units: dict[str, Dist]  # "overall" and dimension ids over the whole round
    segments: tuple[SegmentRow, ...]
    gaps: tuple[GapStat, ...]
    identified: tuple[IdentifiedRow, ...]
    trend: tuple[TrendPoint, ...]
    epsilon: float  # the release's ε
    typical_error: float | None  # typical |released − exact| of the round's medians (docs/benchmarking.md)

    def segment_rows(self, field: str) -> tuple[SegmentRow, ...]:
        return tuple(r for r in self.segments if r.field == field)


@dataclass(frozen=True)
class CloseFirst:
    """One of the member's gaps and how members dealt with it, from the released common gaps."""

    question_id: str
    dimension_id: str
    own_level: int
    target: float
    share: float | None  # trend: drop of the released share between rounds; snapshot: None


@dataclass(frozen=True)
class MemberStats:
    segment: str  # "all" or one of SEGMENT_FIELDS
    segment_value: str | None
    suppressed: bool  # no release yet, or every comparison group hidden
    released: bool  # the round has a release at all
    peers: int | None  # members in the comparison group (released, noisy; None when hidden)
    own: dict[str, float | None]  # "overall" and dimension ids: the member's own live scores
    units: dict[str, Dist]  # the group's released distribution per "overall" and dimension id
    position: dict[str, str | None]  # where the own score lies among the released quantiles (POSITIONS)
    close_first_method: str  # "trend" (previous round released) | "snapshot" | "none"
    close_first: tuple[CloseFirst, ...]
    epsilon: float | None
    typical_error: float | None


# --- segments ---------------------------------------------------------------------------------------

def primary_ai_role(q: Questionnaire, roles: Any) -> str | None:
    """The most upstream AI role declared: the first in the questionnaire's own option order of
    ``ai_roles`` (which lists them upstream first: technology provider, application provider, user).

    A member may declare several roles; segments must not overlap (so each member is counted once),
    so a member falls in the segment of its most upstream role.
    """
    values = roles if isinstance(roles, list | tuple | set | frozenset) else [roles]
    for role in _role_order(q):
        if role in values:
            return role
    return None


def _role_order(q: Questionnaire) -> tuple[str, ...]:
    try:
        return tuple(str(o) for o in q.profile_field(SEGMENT_PROFILE_FIELDS["ai_role"]).option_ids())
    except KeyError:
        return ()


def segment_values(q: Questionnaire, field: str) -> tuple[str, ...]:
    """Every value a segment can take, in the order of the questionnaire's profile definition.

    The dashboard lists all of them, with or without submissions: were only segments with
    submissions listed, a hidden row would tell the association that 1 to k − 1 members of that
    segment submitted, whereas an empty segment and a hidden one must look the same.
    """
    try:
        ids = [str(o) for o in q.profile_field(SEGMENT_PROFILE_FIELDS[field]).option_ids()]
    except KeyError:
        return ()
    return tuple(ids)


def segment_frame(q: Questionnaire, profiles: Sequence[Any]) -> pd.DataFrame:
    """Segment values (sector, size, ai_role) of each profile; None where the profile lacks one."""
    rows = [p if isinstance(p, dict) else {} for p in profiles]
    return pd.DataFrame({
        "sector": pd.array([p.get("sector") for p in rows], dtype=object),
        "size": pd.array([p.get("size") for p in rows], dtype=object),
        "ai_role": pd.array([primary_ai_role(q, p.get("ai_roles") or []) for p in rows], dtype=object),
    })


# --- cohort construction ---------------------------------------------------------------------------

def latest_submissions(subs: pd.DataFrame) -> pd.DataFrame:
    """Each organisation's latest submitted assessment per round (a member counts once per round)."""
    done = subs[subs["status"] == AssessmentStatus.SUBMITTED]
    done = done.sort_values(["round_id", "organisation_id", "submitted_at", "assessment_id"], kind="stable",
                            na_position="first")
    return done.drop_duplicates(["round_id", "organisation_id"], keep="last").reset_index(drop=True)


def score_submissions(q: Questionnaire, subs: pd.DataFrame, answers: pd.DataFrame) -> tuple[CohortScores, pd.DataFrame]:
    """One vectorised scoring pass over the given assessments, and their wide scores with segments.

    The returned frame is indexed by assessment id and holds overall, dimension and sub-dimension
    scores plus round_id, organisation_id, anonymous and the segment columns.
    """
    frame = subs[["assessment_id", "profile", "target_preset", "form"]].reset_index(drop=True)
    wanted = answers[answers["assessment_id"].isin(frame["assessment_id"])]
    cohort = score_cohort(q, frame, wanted)
    scores = cohort.all_scores(("overall", "dimension", "subdimension"))
    meta = subs.set_index("assessment_id").loc[scores.index]
    scores = scores.assign(
        round_id=meta["round_id"].to_numpy(), organisation_id=meta["organisation_id"].to_numpy(),
        anonymous=(meta["sharing"] != Sharing.IDENTIFIED).to_numpy(),
        **{c: s.to_numpy() for c, s in segment_frame(q, list(meta["profile"])).items()},
    )
    return cohort, scores


def participation(subs: pd.DataFrame, round_id: int, invited: int) -> Participation:
    rows = subs[subs["round_id"] == round_id]
    done = set(rows.loc[rows["status"] == AssessmentStatus.SUBMITTED, "organisation_id"])
    started = set(rows["organisation_id"]) - done
    return Participation(invited=invited, started=len(started), submitted=len(done))




# --- the input of a release ----------------------------------------------------------------------------

def top_gaps(cohort: CohortScores) -> list[tuple[str, ...]]:
    """Per assessment (cohort order): its high-priority gaps, highest priority first, at most GAP_CONTRIBUTION.

    Ties keep the questionnaire's order. A member therefore counts toward at most
    GAP_CONTRIBUTION questions of the common gaps, which bounds what one member can change.
    """
    ids = np.asarray([str(x) for x in cohort.frame.questions["id"]], dtype=object)
    high = cohort.band == 2
    # One stable sort of every row: high gaps by descending priority (ties in questionnaire order), the rest last.
    order = np.argsort(np.where(high, -np.nan_to_num(cohort.priority), np.inf), axis=1,
                       kind="stable")[:, :GAP_CONTRIBUTION]
    # High gaps sort first, so the kept ones are a prefix of each row: cut each row at its count of them.
    counts = np.take_along_axis(high, order, axis=1).sum(axis=1).tolist()
    return [tuple(row[:n]) for row, n in zip(ids[order].tolist(), counts, strict=True)]


def release_cohort(q: Questionnaire, latest: pd.DataFrame, answers: pd.DataFrame,
                   known: Collection[int]) -> tuple[Cohort, CohortScores, pd.DataFrame]:
    """The :class:`~privacy.release.Cohort` of a round's latest submissions, with the scoring pass.

    ``known``: organisations the association knows (it registered or imported them, or one of
    its administrators belongs to them). They and identified members are not *independent*.
    """
    dims = tuple(d.id for d in q.dimensions)
    cohort, scores = score_submissions(q, latest, answers)
    units = ("overall", *dims)
    independent = scores["anonymous"].to_numpy(dtype=bool) & ~scores["organisation_id"].isin(list(known)).to_numpy()
    frame = scores[[*units, *SEGMENT_FIELDS]].assign(independent=independent)
    gaps = top_gaps(cohort)
    order = cohort.index.get_indexer(scores.index)
    return (Cohort(frame, units, [gaps[i] for i in order], tuple(str(x) for x in cohort.frame.questions["id"]),
                   {f: segment_values(q, f) for f in SEGMENT_FIELDS}), cohort, scores)


def identified_rows(q: Questionnaire, latest: pd.DataFrame, cohort: CohortScores,
                    scores: pd.DataFrame) -> list[dict[str, Any]]:
    """Identified members' scores by name, as stored with a release (two decimals, like every page)."""
    dims = [d.id for d in q.dimensions]
    pct = cohort.percent_to_target
    rows = []
    for r in latest.loc[latest["sharing"] == Sharing.IDENTIFIED].sort_values("name", kind="stable").itertuples():
        s = scores.loc[r.assessment_id]
        submitted = None if pd.isna(r.submitted_at) else pd.Timestamp(r.submitted_at).to_pydatetime().isoformat()
        rows.append({"name": str(r.name), "submitted_at": submitted, "overall": _num(s["overall"], 2),
                     "dimensions": {d: _num(s[d], 2) for d in dims},
                     "percent_to_target": _num(pct.loc[r.assessment_id], 4)})
    return rows


def _num(v: Any, digits: int | None = None) -> float | None:
    if v is None or pd.isna(v):
        return None
    return float(v) if digits is None else round(float(v), digits)


# --- views of a release ---------------------------------------------------------------------------------

def _round_dist(stats: ReleasedStatistics, unit: str) -> Dist:
    q = stats.quantiles.get(unit) or UnitQuantiles(None, None, None)
    if not stats.shown or not q.shown:
        return Dist.hidden()
    return Dist(stats.count, q.p25, q.median, q.p75, False)


def _segment_dists(seg: ReleasedSegment, units: Sequence[str]) -> dict[str, Dist]:
    out = {}
    for u in units:
        m = seg.medians.get(u) if seg.shown else None
        out[u] = Dist.hidden() if m is None else Dist(seg.count, None, m, None, False)
    return out


def trend_point(round_id: int, name: str, created: datetime | None, stats: ReleasedStatistics | None,
                units: Sequence[str]) -> TrendPoint:
    """A round in the trend: its latest release's count and medians (hidden when it has no release)."""
    if stats is None:
        return TrendPoint(round_id, name, created, None, {u: Dist.hidden() for u in units})
    return TrendPoint(round_id, name, created, stats.count if stats.shown else None,
                      {u: _round_dist(stats, u) for u in units})


def dashboard_view(q: Questionnaire, stats: ReleasedStatistics, participation: Participation,
                   identified: Sequence[dict[str, Any]], trend: Sequence[TrendPoint],
                   typical_error: float | None) -> DashboardStats:
    """The association's view of one stored release (a reformatting: nothing is computed from scores)."""
    dims = tuple(d.id for d in q.dimensions)
    units = ("overall", *dims)
    dimension_of = {str(x.id): str(d.id) for d in q.dimensions for s in d.subdimensions for x in s.questions}
    segments = tuple(SegmentRow(s.field, s.value, not s.shown, _segment_dists(s, units)) for s in stats.segments)
    gaps = tuple(GapStat(g.question_id, dimension_of.get(g.question_id, ""), g.count, g.share) for g in stats.gaps)
    ident = tuple(IdentifiedRow(r["name"], datetime.fromisoformat(r["submitted_at"]) if r["submitted_at"] else None,
                                r["overall"], dict(r["dimensions"]), r["percent_to_target"]) for r in identified)
    return DashboardStats(stats.min_group, dims, participation, not stats.shown,
                          {u: _round_dist(stats, u) for u in units}, segments, gaps, ident, tuple(trend),
                          stats.epsilon, typical_error if stats.shown else None)


def _position(own: float | None, d: Dist) -> str | None:
    """Where ``own`` lies among the released quantiles: all a member may learn of its rank."""
    if own is None or d.suppressed or d.median is None:
        return None
    if d.p25 is None or d.p75 is None:
        return "below_median" if own < d.median else "above_median"
    if own < d.p25:
        return "below_p25"
    if own < d.median:
        return "p25_median"
    return "median_p75" if own <= d.p75 else "above_p75"


@dataclass(frozen=True)
class OwnGap:
    """One of the member's own gaps (a scored question below its target): its own data."""

    question_id: str
    dimension_id: str
    level: int
    target: float
    priority: float


def member_view(stats: ReleasedStatistics | None, *, own: dict[str, float | None], own_segments: dict[str, str | None],
                own_gaps: Sequence[OwnGap], segment: str, previous: ReleasedStatistics | None,
                typical_error: float | None) -> MemberStats:
    """One member against the released statistics of its round (nothing here reads a peer's score).

    ``segment``: "auto" (the member's sector, else size, else AI role, else all members: the
    first group the release shows), "all" or a field. ``own_segments``: the member's values.
    """
    units = list(own)
    if stats is None:
        return MemberStats("all" if segment == "auto" else segment, None, True, False, None, own,
                           {u: Dist.hidden() for u in units}, dict.fromkeys(units), "none", (), None, None)
    choices = [*SEGMENT_FIELDS, "all"] if segment == "auto" else [segment]
    choices = [f for f in choices if f == "all" or own_segments.get(f) is not None] or ["all"]
    field, dists, peers = "all", {u: Dist.hidden() for u in units}, None
    for field in choices:
        if field == "all":
            dists = {u: _round_dist(stats, u) for u in units}
            peers = stats.count if stats.shown else None
        else:
            seg = stats.segment(field, own_segments.get(field))
            dists = _segment_dists(seg, units) if seg is not None else {u: Dist.hidden() for u in units}
            peers = seg.count if seg is not None and seg.shown else None
        if not dists["overall"].suppressed:
            break
    value = None if field == "all" else own_segments.get(field)
    if dists["overall"].suppressed:
        return MemberStats(field, value, True, True, None, own, dists, dict.fromkeys(units), "none", (),
                           stats.epsilon, None)
    position = {u: _position(own.get(u), dists[u]) for u in units}
    method, rows = _close_first(stats, previous, own_gaps)
    return MemberStats(field, value, False, True, peers, own, dists, position, method, rows, stats.epsilon,
                       typical_error)


def _close_first(stats: ReleasedStatistics, previous: ReleasedStatistics | None,
                 own_gaps: Sequence[OwnGap]) -> tuple[str, tuple[CloseFirst, ...]]:
    """"Members like you most often close this gap first", from released common gaps only.

    Trend (the previous round on the questionnaire has a release that shows its gaps): among the
    member's own gaps, those whose released share fell the most since then — the gaps members
    closed. Snapshot (otherwise): the member's own gaps that are *not* among the round's released
    common gaps — the ones most members have already dealt with — by the member's own priority.
    """
    if not own_gaps:
        return "none", ()
    now = {g.question_id: g.share for g in stats.gaps}
    if previous is not None and previous.shown and previous.gaps:
        before = {g.question_id: g.share for g in previous.gaps}
        drops = [(before[g.question_id] - now.get(g.question_id, 0.0), g) for g in own_gaps if g.question_id in before]
        drops = [(d, g) for d, g in drops if d > 0]
        drops.sort(key=lambda x: (-x[0], -x[1].priority, x[1].question_id))
        return "trend", tuple(CloseFirst(g.question_id, g.dimension_id, g.level, g.target, round(d, 2))
                              for d, g in drops[:CLOSE_FIRST_ROWS])
    rare = sorted((g for g in own_gaps if g.question_id not in now), key=lambda g: (-g.priority, g.question_id))
    return "snapshot", tuple(CloseFirst(g.question_id, g.dimension_id, g.level, g.target, None)
                             for g in rare[:CLOSE_FIRST_ROWS])
