"""Build one release of a round's benchmark statistics: the one place where privacy is decided.

Everything an association or a member may ever see about other members' scores is in the
:class:`ReleasedStatistics` that :func:`build_release` returns, and nothing else leaves the
platform (docs/benchmarking.md, "Threat model"). The rules applied here, each against an attack
of the threat model:

* **Only independent data protects anyone.** A group (the round, a segment, a unit scored by part
  of the group) is shown only if it holds at least ``min_group`` *independent* members — anonymous
  members the association did not register or import itself. Identified members and members
  the association registered are known to it: they are still counted in the statistics, but
  they never make a group big enough to be shown.
* **Differential privacy.** Every shown quantile, count and gap count goes through an OpenDP
  mechanism (:mod:`privacy.mechanisms`) with a share of the release's ε
  (:data:`privacy.parameters.SHARES`); the ledger lists every mechanism's ε.
* **Only what the budget can pay for.** Per unit (overall and dimensions) the round's P25, median
  and P75; per segment the median and its size; the most common high-priority gaps, each member
  counting with at most :data:`~privacy.parameters.GAP_CONTRIBUTION` of its gaps. No minimum,
  maximum, mean, sub-dimension or exact segment size is ever released. The round's own size is
  exact: the association sees participation counts anyway.
* **Complementary suppression** of segment counts: when the hidden segments of a field together
  hold between 1 and ``min_group`` − 1 members, the smallest shown counts are hidden as well, so a
  hidden count cannot be derived as the total minus the shown ones.
* Released numbers are rounded to two decimals (what pages show); quantiles are chosen among
  0.00, 0.05, …, 5.00, so no released value is a member's full-precision score.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from privacy import mechanisms
from privacy.parameters import (
    DECIMALS,
    GAP_CONTRIBUTION,
    ROUND_QUANTILE_WEIGHTS,
    ROUND_QUANTILES,
    SHARES,
    TOP_GAPS,
)

SEGMENT_FIELDS: tuple[str, ...] = ("sector", "size", "ai_role")
FORMAT = 1  # version of the stored JSON


@dataclass(frozen=True)
class Charge:
    """One mechanism's ε in the round's ledger."""

    statistic: str
    epsilon: float


@dataclass(frozen=True)
class UnitQuantiles:
    """The round's released P25, median and P75 of one unit (all None: hidden)."""

    p25: float | None
    median: float | None
    p75: float | None

    @property
    def shown(self) -> bool:
        return self.median is not None


HIDDEN = UnitQuantiles(None, None, None)


@dataclass(frozen=True)
class ReleasedSegment:
    """One segment (e.g. sector = finance): its noisy count and median per unit (None: hidden)."""

    field: str
    value: str
    shown: bool
    count: int | None  # None: hidden (too few, or complementary suppression)
    medians: dict[str, float | None]


@dataclass(frozen=True)
class ReleasedGap:
    """How many members have the question among their most important high-priority gaps (noisy)."""

    question_id: str
    count: int
    share: float  # count ÷ the round's released count


@dataclass(frozen=True)
class ReleasedStatistics:
    """The statistics of one release, as stored and shown (see the module docstring)."""

    epsilon: float  # the ε the association set for the release (the most it may spend)
    min_group: int
    units: tuple[str, ...]  # "overall" and the dimension ids, in order
    shown: bool  # the round as a whole (its overall score) is shown
    count: int | None  # members in the round (exact: participation shows it too); None when the round is hidden
    quantiles: dict[str, UnitQuantiles]
    segments: tuple[ReleasedSegment, ...]
    gaps: tuple[ReleasedGap, ...]
    ledger: tuple[Charge, ...]
    format: int = FORMAT

    @property
    def spent(self) -> float:
        """ε spent by this release: the sum of its mechanisms' ε."""
        return float(sum(c.epsilon for c in self.ledger))

    def segment(self, field_name: str, value: str | None) -> ReleasedSegment | None:
        return next((s for s in self.segments if s.field == field_name and s.value == value), None)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ReleasedStatistics:
        return cls(
            epsilon=float(data["epsilon"]), min_group=int(data["min_group"]), units=tuple(data["units"]),
            shown=bool(data["shown"]), count=data["count"],
            quantiles={u: UnitQuantiles(**q) for u, q in data["quantiles"].items()},
            segments=tuple(ReleasedSegment(**s) for s in data["segments"]),
            gaps=tuple(ReleasedGap(**g) for g in data["gaps"]),
            ledger=tuple(Charge(**c) for c in data["ledger"]), format=int(data.get("format", FORMAT)))


@dataclass(frozen=True)
class Cohort:
    """What a release is computed from: one row per member (its latest submission in the round).

    ``scores``: the units' scores (NaN = not scored), ``independent`` (bool) and the segment
    fields (value or None). ``top_gaps``: per row, the question ids of its highest-priority
    high gaps, most important first. ``segment_options``: every value of each segment field, in
    the questionnaire's order (all are listed, so a hidden segment reads like an empty one).
    """

    scores: pd.DataFrame
    units: tuple[str, ...]
    top_gaps: Sequence[Sequence[str]]
    question_ids: tuple[str, ...]
    segment_options: Mapping[str, Sequence[str]] = field(default_factory=dict)


# The mechanisms, swappable as one object so tests can show what a weakened release would leak.
@dataclass(frozen=True)
class Mechanisms:
    quantile: Callable[[Sequence[float], float, float], tuple[float, float]] = mechanisms.private_quantile
    counts: Callable[[Sequence[int], int, float], tuple[list[int], float]] = mechanisms.private_counts


def _round(v: float) -> float:
    return round(float(v), DECIMALS)


def build_release(cohort: Cohort, *, epsilon: float, min_group: int,
                  mech: Mechanisms | None = None) -> ReleasedStatistics:
    """The release of ``cohort`` at ``epsilon`` with threshold ``min_group`` (see the module docstring)."""
    mech = mech or Mechanisms()
    units = cohort.units
    frame = cohort.scores.reset_index(drop=True)
    independent = frame["independent"].to_numpy(dtype=bool)
    ledger: list[Charge] = []
    eps_q = {name: SHARES["round_quantiles"] * epsilon * w / len(units) for name, w in ROUND_QUANTILE_WEIGHTS.items()}
    eps_s = SHARES["segment_medians"] * epsilon / (len(SEGMENT_FIELDS) * len(units))
    eps_c = SHARES["counts"] * epsilon / len(SEGMENT_FIELDS)

    def enough(rows: np.ndarray, unit: str) -> bool:
        scored = frame[unit].notna().to_numpy() & rows
        return int((scored & independent).sum()) >= min_group

    everyone = np.ones(len(frame), dtype=bool)
    quantiles: dict[str, UnitQuantiles] = {}
    for u in units:
        if not enough(everyone, u):
            quantiles[u] = HIDDEN
            continue
        values = frame.loc[frame[u].notna(), u].tolist()
        out: dict[str, float] = {}
        for name, alpha in ROUND_QUANTILES.items():
            value, spent = mech.quantile(values, alpha, eps_q[name])
            ledger.append(Charge(f"round {name} {u}", spent))
            out[name] = _round(value)
        p25, med, p75 = sorted((out["p25"], out["median"], out["p75"]))  # post-processing keeps them ordered
        quantiles[u] = UnitQuantiles(p25, med, p75)
    shown = quantiles[units[0]].shown

    # The round's size is not a secret (participation shows it); segment sizes are, and are noisy.
    count = len(frame) if shown else None

    segments: list[ReleasedSegment] = []
    for f in SEGMENT_FIELDS:
        segments += _segments(frame, f, cohort.segment_options.get(f, ()), units, independent, min_group, eps_s,
                              eps_c, mech, ledger)

    gaps: tuple[ReleasedGap, ...] = ()
    if shown and count is not None:
        gaps = _gaps(cohort, count, SHARES["gaps"] * epsilon, mech, ledger)

    return ReleasedStatistics(float(epsilon), int(min_group), tuple(units), shown, count, quantiles, tuple(segments),
                              gaps, tuple(ledger))


def _segments(frame: pd.DataFrame, f: str, options: Sequence[str], units: Sequence[str], independent: np.ndarray,
              min_group: int, eps_s: float, eps_c: float, mech: Mechanisms,
              ledger: list[Charge]) -> list[ReleasedSegment]:
    """Every value of one segment field: shown ones with medians and (noisy) counts, the rest hidden."""
    values = frame[f].to_numpy(dtype=object)
    present = sorted({str(v) for v in values if v is not None and not (isinstance(v, float) and np.isnan(v))})
    listed = [*map(str, options), *(v for v in present if v not in options)]
    rows = {v: values == v for v in listed}
    indep = {v: int((r & independent & frame["overall"].notna().to_numpy()).sum()) for v, r in rows.items()}
    shown = {v: indep[v] >= min_group for v in listed}
    listed = [v for v in listed if v in options or shown[v]]  # an old value the questionnaire dropped: only if shown
    medians: dict[str, dict[str, float | None]] = {v: {} for v in listed}
    for u in units:
        charged = False
        scored_u = frame[u].notna().to_numpy()
        for v in listed:
            if not shown[v] or int((rows[v] & scored_u & independent).sum()) < min_group:
                medians[v][u] = None
                continue
            value, spent = mech.quantile(frame.loc[rows[v] & scored_u, u].tolist(), 0.5, eps_s)
            medians[v][u] = _round(value)
            if not charged:  # disjoint segments: one charge per field and unit (parallel composition)
                ledger.append(Charge(f"segment median {f} {u}", spent))
                charged = True
    counts: dict[str, int | None] = dict.fromkeys(listed)
    visible = [v for v in listed if shown[v]]
    if visible:
        noisy, spent = mech.counts([int(rows[v].sum()) for v in listed], 1, eps_c)
        ledger.append(Charge(f"count {f}", spent))
        true_counts = {v: int(rows[v].sum()) for v in listed}
        for v in _complementary(visible, true_counts, len(frame), min_group):
            # Post-processing: a shown segment is known to hold at least min_group members.
            counts[v] = min(max(noisy[listed.index(v)], min_group), len(frame))
    return [ReleasedSegment(f, v, shown[v], counts[v], medians[v]) for v in listed]


def _complementary(visible: list[str], true_counts: Mapping[str, int], total: int, min_group: int) -> list[str]:
    """The shown segments whose count may be published, after complementary suppression.

    If the members outside the shown segments (hidden segments, no value) number 1 to
    ``min_group`` − 1, the round's size minus the shown counts would tell how many sit there; the
    smallest shown counts are hidden too until at least ``min_group`` members are behind hidden
    counts (or every count is hidden).
    """
    published = sorted(visible, key=lambda v: (true_counts[v], v))
    hidden_total = total - sum(true_counts[v] for v in visible)
    while published and 0 < hidden_total < min_group:
        v = published.pop(0)
        hidden_total += true_counts[v]
    return [v for v in visible if v in published]


def _gaps(cohort: Cohort, count: int, epsilon: float, mech: Mechanisms, ledger: list[Charge]) -> tuple[ReleasedGap, ...]:
    """The most common high-priority gaps: noisy counts, each member contributing at most GAP_CONTRIBUTION."""
    index = {q: i for i, q in enumerate(cohort.question_ids)}
    true = np.zeros(len(index), dtype=np.int64)
    for gaps in cohort.top_gaps:
        for q in list(dict.fromkeys(gaps))[:GAP_CONTRIBUTION]:
            if q in index:
                true[index[q]] += 1
    noisy, spent = mech.counts(true.tolist(), GAP_CONTRIBUTION, epsilon)
    ledger.append(Charge("common gaps", spent))
    clipped = np.clip(np.asarray(noisy), 0, max(count, 0))
    order = sorted(range(len(index)), key=lambda i: (-clipped[i], i))[:TOP_GAPS]
    return tuple(ReleasedGap(cohort.question_ids[i], int(clipped[i]), _round(clipped[i] / count) if count else 0.0)
                 for i in order if clipped[i] > 0)
