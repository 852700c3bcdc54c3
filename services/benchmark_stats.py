"""Benchmark statistics of a round: pure functions over data frames, one vectorised scoring pass.

No database and no authorisation here (that is :mod:`services.round_dashboard` and :mod:`services.peer_comparison`); everything is computed
from two frames: the submissions of one or more rounds and their answers. The privacy rules of
docs/benchmarking.md are applied *here*, so that every caller (pages, workbooks, command line)
gets the same suppressed numbers and cannot show a hidden one by accident:

* an aggregate covers at least ``min_group`` organisations, otherwise it is suppressed;
* a group that mixes identified and anonymous members must hold no anonymous member or at least
  :data:`ANONYMOUS_FLOOR` of them — otherwise the association, which sees identified members'
  scores by name, could subtract them from the group's quantiles and read an anonymous score;
* only quantiles are published (P10, P25, median, P75, P90): no minimum or maximum (each is one
  organisation's score) and no mean (means of complementary segments can be subtracted);
* segment tables list every option of the profile field, so a hidden segment looks like an empty one;
* a member's percentile ranks are given only for its submitted assessment, never for a draft it can
  keep editing.

Names never enter this module for anonymous members: the loaders select a name only where the
member chose to be identified.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from db.models import AssessmentStatus, Sharing
from questionnaires import Questionnaire
from scoring import CohortScores, cohort_stats, common_gaps, percentile_rank, score_cohort

SEGMENT_FIELDS: tuple[str, ...] = ("sector", "size", "ai_role")
SEGMENT_PROFILE_FIELDS = {"sector": "sector", "size": "size", "ai_role": "ai_roles"}  # segment → profile field
ANONYMOUS_FLOOR = 3  # also the lowest allowed min_group_size
PUBLISHED = ("p10", "p25", "median", "p75", "p90")
TOP_GAPS = 15
CLOSE_FIRST_ROWS = 5

SUBMISSION_COLUMNS = ("round_id", "assessment_id", "organisation_id", "status", "sharing", "form",
                      "target_preset", "profile", "submitted_at", "name")


# --- result types -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Dist:
    """Quantiles of one unit's scores over one group; all None when the group is suppressed."""

    count: int | None  # organisations scored on the unit (None when suppressed: "too few to show")
    p10: float | None
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None
    suppressed: bool

    @classmethod
    def hidden(cls) -> Dist:
        return cls(None, None, None, None, None, None, True)


@dataclass(frozen=True)
class Participation:
    invited: int  # current member organisations of the association
    started: int  # members with a draft in the round and nothing submitted yet
    submitted: int  # members with a submitted assessment in the round


@dataclass(frozen=True)
class SegmentRow:
    """One segment (e.g. sector = finance): overall, dimension and sub-dimension distributions."""

    field: str
    value: str
    suppressed: bool
    units: dict[str, Dist]  # unit id ("overall", dimension or sub-dimension id) → distribution

    def median(self, unit: str) -> float | None:
        d = self.units.get(unit)
        return None if d is None else d.median

    def dist(self, unit: str) -> Dist:
        """The unit's distribution; a unit the row lacks is hidden like a suppressed one."""
        return self.units.get(unit) or Dist.hidden()


@dataclass(frozen=True)
class GapStat:
    """How many members have a question as a high-priority gap (what to train on)."""

    question_id: str
    dimension_id: str
    subdimension_id: str
    critical: bool
    high: int
    medium: int
    scored: int
    share_high: float


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
    round_id: int
    round_name: str
    created_at: datetime | None
    submitted: int
    units: dict[str, Dist]  # "overall" and dimension ids


@dataclass(frozen=True)
class DashboardStats:
    """Everything the association dashboard, workbook and command show for one round.

    By construction it holds aggregates, identified members' rows and nothing else: no
    organisation or assessment ids, no anonymous names, no answers.
    """

    min_group_size: int
    dimension_ids: tuple[str, ...]
    subdimension_ids: tuple[str, ...]
    participation: Participation
    suppressed: bool  # the whole round has too few submissions to show anything
    units: dict[str, Dist]  # "overall", dimension and sub-dimension ids over the whole round
    segments: tuple[SegmentRow, ...]
    gaps: tuple[GapStat, ...]
    identified: tuple[IdentifiedRow, ...]
    trend: tuple[TrendPoint, ...]

    def segment_rows(self, field: str) -> tuple[SegmentRow, ...]:
        return tuple(r for r in self.segments if r.field == field)


@dataclass(frozen=True)
class CloseFirst:
    """One of the member's gaps and how peers like it dealt with the same question."""

    question_id: str
    dimension_id: str
    own_level: int
    target: float
    peers: int  # peers the share is computed over
    count: int  # trend: peers who improved it; snapshot: peers already at or above their target
    share: float


@dataclass(frozen=True)
class MemberStats:
    segment: str  # "all" or one of SEGMENT_FIELDS
    segment_value: str | None
    suppressed: bool
    peers: int | None  # organisations in the comparison group (None when suppressed)
    own: dict[str, float | None]  # "overall" and dimension ids
    units: dict[str, Dist]  # the group's distribution per "overall" and dimension id
    percentile: dict[str, float | None]  # 0..100; None when not scored, suppressed, or the own assessment is a draft
    close_first_method: str  # "trend" (previous round available) | "snapshot" | "none"
    close_first: tuple[CloseFirst, ...]


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


# --- the privacy rule on top of scoring.cohort.cohort_stats ------------------------------------------

def visible_stats(scores: pd.DataFrame, anonymous: np.ndarray, by: list[str] | None, min_group: int) -> pd.DataFrame:
    """``cohort_stats`` plus the anonymous-floor rule: rows of risky groups are suppressed too.

    ``anonymous`` (bool per row of ``scores``) marks members who share anonymously. A group with
    between 1 and ANONYMOUS_FLOOR − 1 anonymous members is suppressed even when it is large
    enough, because its identified members' published scores could be subtracted from it.
    """
    by = list(by or [])
    table = cohort_stats(scores, by=by, min_group=min_group)
    units = [c for c in scores.columns if c not in by]
    anon_scored = scores[units].notna().to_numpy() & np.asarray(anonymous, dtype=bool)[:, None]
    anon = pd.DataFrame(anon_scored.astype(np.int64), columns=pd.Index(units, dtype=object), index=scores.index)
    if by:
        per_group = anon.groupby([scores[b] for b in by], sort=True, dropna=True).sum()
        long = per_group.stack().rename("anonymous").reset_index()
        long.columns = [*by, "unit", "anonymous"]
        table = table.merge(long, on=[*by, "unit"], how="left")
    else:
        table = table.merge(anon.sum().rename("anonymous").rename_axis("unit").reset_index(), on="unit", how="left")
    a = table["anonymous"].fillna(0).to_numpy()
    risky = (a > 0) & (a < ANONYMOUS_FLOOR)
    table.loc[risky, [c for c in table.columns if c in ("mean", "min", "max", *PUBLISHED)]] = np.nan
    table["suppressed"] = table["suppressed"].to_numpy() | risky
    return table.drop(columns=["anonymous"])


def _dist(row: pd.Series) -> Dist:
    if bool(row["suppressed"]):
        return Dist.hidden()

    def val(name: str) -> float | None:
        v = row[name]
        return None if pd.isna(v) else float(v)

    return Dist(int(row["count"]), val("p10"), val("p25"), val("median"), val("p75"), val("p90"), False)


def _dists(table: pd.DataFrame) -> dict[str, Dist]:
    return {str(r["unit"]): _dist(r) for _, r in table.iterrows()}


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


# --- the association dashboard ----------------------------------------------------------------------

def dashboard_stats(q: Questionnaire, subs: pd.DataFrame, answers: pd.DataFrame, *, round_id: int,
                    min_group: int, invited: int,
                    rounds: Sequence[tuple[int, str, datetime | None]] = ()) -> DashboardStats:
    """The association dashboard of ``round_id``; ``subs`` may hold earlier rounds for the trend.

    ``subs``: SUBMISSION_COLUMNS (drafts included, for participation); ``name`` is None for
    anonymous members. ``rounds``: (id, name, created_at) of the rounds to show in the trend, in
    order. Scoring runs once over all submissions of all those rounds.
    """
    dims = tuple(d.id for d in q.dimensions)
    subdims = tuple(s.id for d in q.dimensions for s in d.subdimensions)
    part = participation(subs, round_id, invited)
    latest = latest_submissions(subs)
    cohort, scores = score_submissions(q, latest, answers)
    units = ["overall", *dims, *subdims]

    by_round = visible_stats(scores[["round_id", "overall", *dims]], scores["anonymous"].to_numpy(),
                             ["round_id"], min_group)
    trend: list[TrendPoint] = []
    for rid, name, created in rounds or [(round_id, "", None)]:
        rows = by_round[by_round["round_id"] == rid]
        n = int((latest["round_id"] == rid).sum())
        trend.append(TrendPoint(int(rid), name, created, n,
                                _dists(rows) if len(rows) else {u: Dist.hidden() for u in ("overall", *dims)}))

    sel = scores[scores["round_id"] == round_id]
    anon = sel["anonymous"].to_numpy()
    whole = visible_stats(sel[units], anon, None, min_group)
    unit_dists = _dists(whole) if len(sel) else {u: Dist.hidden() for u in units}
    suppressed = unit_dists["overall"].suppressed

    segments: list[SegmentRow] = []
    for field in SEGMENT_FIELDS:
        table = visible_stats(sel[[field, *units]], anon, [field], min_group)
        found = {str(value): _dists(rows) for value, rows in table.groupby(field, sort=True)}
        options = segment_values(q, field)
        # Every option, so an empty segment and a hidden one look the same; a value the
        # questionnaire no longer offers (an old snapshot) only when it is shown.
        listed = [*options, *(v for v, d in found.items() if v not in options and not d["overall"].suppressed)]
        for value in listed:
            d = found.get(value) or {u: Dist.hidden() for u in units}
            segments.append(SegmentRow(field, value, d["overall"].suppressed, d))

    gaps: list[GapStat] = []
    if not suppressed:
        table = common_gaps(cohort, among=sel.index, min_group=min_group)
        table = table[~table["suppressed"] & (table["high"].fillna(0) > 0)].head(TOP_GAPS)
        gaps = [GapStat(r.question_id, r.dimension_id, r.subdimension_id, bool(r.critical), int(r.high),
                        int(r.medium), int(r.scored), float(r.share_high)) for r in table.itertuples()]

    ident_ids = latest.loc[(latest["round_id"] == round_id) & (latest["sharing"] == Sharing.IDENTIFIED)]
    pct = cohort.percent_to_target
    identified = []
    for r in ident_ids.sort_values("name", kind="stable").itertuples():
        s = scores.loc[r.assessment_id]
        identified.append(IdentifiedRow(
            str(r.name), None if pd.isna(r.submitted_at) else pd.Timestamp(r.submitted_at).to_pydatetime(), _num(s["overall"]), {d: _num(s[d]) for d in dims},
            _num(pct.loc[r.assessment_id])))

    return DashboardStats(min_group, dims, subdims, part, suppressed, unit_dists, tuple(segments), tuple(gaps),
                          tuple(identified), tuple(trend))


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


# --- the member's own view -----------------------------------------------------------------------

def member_stats(q: Questionnaire, subs: pd.DataFrame, answers: pd.DataFrame, *, own_assessment_id: int,
                 round_id: int, previous_round_id: int | None, segment: str, min_group: int) -> MemberStats:
    """One member against its peers in ``round_id``.

    ``subs`` holds the round's submissions (and the previous round's, for "close first") plus the
    member's own assessment, which may still be a draft (compared, but given no percentile ranks).
    ``segment``: "auto" (the member's sector, else size, else AI role, else all members: the first
    that is not suppressed), "all" or a field.
    """
    dims = tuple(d.id for d in q.dimensions)
    own_row = subs[subs["assessment_id"] == own_assessment_id]
    if own_row.empty:
        raise KeyError(f"assessment {own_assessment_id} is not among the submissions given")
    own_org = int(own_row["organisation_id"].iloc[0])
    latest = latest_submissions(subs)
    # The member's own assessment is compared even as a draft; its other rows in this round are dropped.
    latest = latest[~((latest["round_id"] == round_id) & (latest["organisation_id"] == own_org))]
    cohort_rows = pd.concat([latest, own_row.assign(round_id=round_id)], ignore_index=True)
    cohort, scores = score_submissions(q, cohort_rows, answers)
    units = ["overall", *dims]
    own = scores.loc[own_assessment_id]
    cur = scores[(scores["round_id"] == round_id)]
    peers_all = cur.drop(index=own_assessment_id)
    own_submitted = str(own_row["status"].iloc[0]) == "submitted"

    def group_of(field: str) -> pd.DataFrame:
        peers = peers_all if field == "all" else peers_all[peers_all[field] == own[field]]
        return pd.concat([peers, cur.loc[[own_assessment_id]]]) if own_submitted else peers

    def table_of(group: pd.DataFrame) -> pd.DataFrame:
        return visible_stats(group[units], group["anonymous"].to_numpy(), None, min_group)

    choices = [*SEGMENT_FIELDS, "all"] if segment == "auto" else [segment]
    choices = [f for f in choices if f == "all" or not pd.isna(own[f])] or ["all"]
    for field in choices:
        group = group_of(field)
        dists = _dists(table_of(group)) if len(group) else {u: Dist.hidden() for u in units}
        if not dists["overall"].suppressed:
            break
    own_scores = {u: _num(own[u]) for u in units}
    seg_value = None if field == "all" else str(own[field])
    suppressed = dists["overall"].suppressed
    if suppressed:
        return MemberStats(field, seg_value, True, None, own_scores, dists, dict.fromkeys(units), "none", ())

    # Ranks only for the submitted assessment: a draft's rank could be re-read after every edit,
    # which would trace out the peers' scores one by one.
    percentile: dict[str, float | None] = dict.fromkeys(units)
    if own_submitted:
        ranks = percentile_rank(group[units], own_assessment_id, min_group=min_group)
        percentile = {u: (None if bool(ranks.loc[u, "suppressed"]) or pd.isna(ranks.loc[u, "rank"])
                          else float(ranks.loc[u, "rank"])) for u in units}

    peer_orgs = group.loc[group.index != own_assessment_id, "organisation_id"]
    method, rows = _close_first(cohort, scores, own_assessment_id, peer_orgs, round_id, previous_round_id, min_group)
    return MemberStats(field, seg_value, False, len(group), own_scores, dists, percentile, method, rows)


def _close_first(cohort: CohortScores, scores: pd.DataFrame, own_id: int, peer_orgs: pd.Series, round_id: int,
                 previous_round_id: int | None, min_group: int) -> tuple[str, tuple[CloseFirst, ...]]:
    """"Members like you most often close this gap first" (definitions in docs/benchmarking.md).

    Trend (a previous round exists and at least ``min_group`` peers of the segment submitted in
    both rounds): among the member's own gaps, the questions that the most such peers improved
    — the level rose between the rounds on a question that was below their target before.
    Snapshot (otherwise): among the member's own gaps, the questions on which the largest share of
    peers already meets its target (the gaps least common among peers like it).
    A question is listed only when at least ``min_group`` peers are counted for it.
    """
    f = cohort.frame
    row = cohort.index.get_loc(own_id)
    own_band = cohort.band[row]
    own_gap = own_band >= 0
    if not own_gap.any():
        return "none", ()
    pos = pd.Series(np.arange(len(cohort.index)), index=cohort.index)
    cur_rows = scores.index[(scores["round_id"] == round_id) & scores["organisation_id"].isin(peer_orgs)]
    method = "snapshot"
    if previous_round_id is not None:
        prev = scores[(scores["round_id"] == previous_round_id) & scores["organisation_id"].isin(peer_orgs)]
        both = pd.Series(prev.index, index=prev["organisation_id"].to_numpy())
        cur_by_org = pd.Series(cur_rows, index=scores.loc[cur_rows, "organisation_id"].to_numpy())
        common = cur_by_org.index.intersection(both.index)
        if len(common) >= min_group:
            method = "trend"
            now_pos = pos.loc[cur_by_org.loc[common].to_numpy()].to_numpy()
            before_pos = pos.loc[both.loc[common].to_numpy()].to_numpy()
            was_gap = cohort.band[before_pos] >= 0
            eligible = was_gap & cohort.scored[now_pos]
            improved = eligible & (cohort.level[now_pos] > cohort.level[before_pos])
            counted = eligible.sum(axis=0)
            count = improved.sum(axis=0)
    if method == "snapshot":
        peer_pos = pos.loc[cur_rows].to_numpy()
        scored = cohort.scored[peer_pos]
        counted = scored.sum(axis=0)
        count = (scored & (cohort.band[peer_pos] < 0)).sum(axis=0)
    share = np.divide(count, counted, out=np.zeros(len(counted)), where=counted > 0)
    ok = own_gap & (counted >= min_group) & (count > 0)
    idx = np.flatnonzero(ok)
    prio = np.nan_to_num(cohort.priority[row][idx])
    order = idx[np.lexsort((idx, -prio, -share[idx], -count[idx]))][:CLOSE_FIRST_ROWS]
    q = f.questions
    out = tuple(CloseFirst(str(q["id"].iloc[j]), str(q["dimension"].iloc[j]), int(cohort.level[row, j]),
                           float(cohort.target[row, j]), int(counted[j]), int(count[j]), float(share[j]))
                for j in order)
    return method, out
