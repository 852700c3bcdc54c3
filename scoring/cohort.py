"""Cohort statistics for benchmarking: distributions, percentile ranks and common gaps.

Privacy rule of the benchmarking feature: an aggregate over fewer than ``min_group`` organisations
is never shown. Functions here mark such rows ``suppressed=True`` and blank their statistics, so a
caller cannot show them by accident. Not-scored units (NaN) are ignored everywhere.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

import numpy as np
import pandas as pd

from scoring.engine import CohortScores

STATISTICS = ("mean", "median", "p10", "p25", "p75", "p90", "min", "max")
# Padded sorting grids may hold up to GRID_FACTOR × the data (or GRID_MIN cells); beyond that the
# segments are processed in chunks, so one huge segment among many small ones cannot blow up memory.
GRID_FACTOR, GRID_MIN = 8, 1 << 22
QUANTILES = {"p10": 0.10, "p25": 0.25, "median": 0.50, "p75": 0.75, "p90": 0.90}


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    # NumPy's own interpolation formula (numpy.quantile, method "linear"), kept for identical results.
    diff = b - a
    return np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)


def _segments(scores: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Segment code of every row (-1 = a missing segment value: left out) and the segment keys."""
    if not by:
        return np.zeros(len(scores), dtype=np.intp), pd.DataFrame(index=range(1))
    grouped = scores.groupby(by, sort=True, dropna=True)
    codes = grouped.ngroup().to_numpy(dtype=float, na_value=np.nan)
    keys = grouped.size().index.to_frame(index=False)
    return np.where(np.isnan(codes), -1, codes).astype(np.intp), keys


def _sorted_by_group(values: np.ndarray, seg: np.ndarray, n_seg: int) -> np.ndarray:
    """(segments × units × width) array: each segment's values per unit, sorted, NaN (padding) last.

    One sort for everything: rows are placed into their segment's slab (padded to the largest
    segment) and the slabs sorted along the last axis.
    """
    rows = np.flatnonzero(seg >= 0)
    rows = rows[np.argsort(seg[rows], kind="stable")]
    s = seg[rows]
    sizes = np.bincount(s, minlength=n_seg)
    pos = np.arange(len(rows)) - (np.cumsum(sizes) - sizes)[s]
    grid = np.full((n_seg, values.shape[1], int(sizes.max()) if len(rows) else 0), np.nan)
    grid[s, :, pos] = values[rows]
    grid.sort(axis=2)
    return grid


def _grid_stats(grid: np.ndarray) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Count and every statistic of each (segment, unit) slab of a sorted grid."""
    count = (~np.isnan(grid)).sum(axis=2)
    last = np.maximum(count - 1, 0)

    def at(index: np.ndarray) -> np.ndarray:
        if grid.shape[2] == 0:
            return np.full(count.shape, np.nan)
        return np.take_along_axis(grid, np.minimum(index, grid.shape[2] - 1)[..., None], axis=2)[..., 0]

    with np.errstate(invalid="ignore"):
        out = {"mean": np.nansum(grid, axis=2) / np.maximum(count, 1), "min": at(np.zeros_like(count)),
               "max": at(last)}
        for name, p in QUANTILES.items():
            h = last * p
            lo = np.floor(h).astype(np.intp)
            out[name] = _lerp(at(lo), at(np.minimum(lo + 1, last)), h - lo)
    return count, out


def _chunks(sizes: np.ndarray, n_units: int, budget: int) -> list[tuple[int, int]]:
    """Consecutive segment ranges whose padded grids stay within ``budget`` cells (usually just one)."""
    chunks, start, width = [], 0, 0
    for i, size in enumerate(sizes.tolist()):
        wider = max(width, size)
        if i > start and (i - start + 1) * wider * n_units > budget:
            chunks.append((start, i))
            start, wider = i, size
        width = wider
    chunks.append((start, len(sizes)))
    return chunks


def cohort_stats(scores: pd.DataFrame, by: list[str] | None = None, min_group: int = 5) -> pd.DataFrame:
    """Distribution of every unit's score across a cohort, optionally per segment.

    ``scores``: one row per assessment; every column not named in ``by`` is a unit (e.g.
    ``CohortScores.all_scores()``, joined with segment columns such as sector). Returns one row per
    (segment, unit), segments sorted and units in column order, with ``count`` (assessments scored
    on the unit; nullable Int64), ``mean``, ``median``, ``p10``, ``p25``, ``p75``, ``p90`` (NumPy's
    default "linear" quantiles), ``min``, ``max`` and ``suppressed``. Where fewer than ``min_group``
    assessments are scored, ``suppressed`` is True and every statistic, the count included, is
    blank (NaN / <NA>). Rows whose segment value is missing belong to no segment.
    """
    by = list(by or [])
    absent = [c for c in by if c not in scores.columns]
    if absent:
        raise ValueError(f"segment column(s) not in scores: {', '.join(absent)}")
    units = [c for c in scores.columns if c not in by]
    values = scores[units].to_numpy(dtype=float, na_value=np.nan)
    seg, keys = _segments(scores, by)
    n_seg, n_units = len(keys), len(units)

    count = np.zeros((n_seg, n_units), dtype=np.int64)
    out = {name: np.full((n_seg, n_units), np.nan) for name in STATISTICS}
    sizes = np.bincount(seg[seg >= 0], minlength=n_seg)
    for lo, hi in _chunks(sizes, n_units, budget=max(GRID_FACTOR * values.size, GRID_MIN)):
        inside = (seg >= lo) & (seg < hi)
        part_count, part = _grid_stats(_sorted_by_group(values[inside], seg[inside] - lo, hi - lo))
        count[lo:hi] = part_count
        for name in STATISTICS:
            out[name][lo:hi] = part[name]
    show = count >= max(min_group, 1)

    table = keys.loc[keys.index.repeat(n_units)].reset_index(drop=True) if by else pd.DataFrame(index=range(n_units))
    table["unit"] = np.tile(np.asarray(units, dtype=object), n_seg)
    table["count"] = pd.array(count.ravel(), dtype="Int64")
    table.loc[~show.ravel(), "count"] = pd.NA  # even how many is not shown for a small group
    for name in STATISTICS:
        table[name] = np.where(show, out[name], np.nan).ravel()
    table["suppressed"] = ~show.ravel()
    return table


def percentile_rank(scores: pd.DataFrame, assessment_id: Hashable, min_group: int = 5) -> pd.DataFrame:
    """Where one assessment stands among its peers, per unit (column) of ``scores``.

    rank = 100 × (peers scoring strictly lower + ½ × peers scoring the same) / peers, where peers
    are the *other* assessments in ``scores`` that are scored on the unit. So 0 = below everyone,
    100 = above everyone, 50 = the middle (or tied with everyone). NaN when the assessment is not
    scored on the unit or has no peers; when the group (peers + itself) is smaller than
    ``min_group``, ``suppressed`` is True and rank and peers are blank. Returns one row per unit:
    score (the assessment's own), peers (nullable Int64), rank, suppressed.
    """
    values = scores.to_numpy(dtype=float, na_value=np.nan)
    try:
        i = scores.index.get_loc(assessment_id)
    except KeyError:
        raise KeyError(f"assessment {assessment_id!r} is not in the scores") from None
    own = values[i]
    others = np.delete(values, i, axis=0)
    valid = ~np.isnan(others)
    peers = valid.sum(axis=0)
    lower = (valid & (others < own)).sum(axis=0)
    ties = (valid & (others == own)).sum(axis=0)
    suppressed = peers + 1 < min_group
    ok = ~np.isnan(own) & (peers > 0) & ~suppressed
    rank = np.where(ok, 100.0 * (lower + 0.5 * ties) / np.maximum(peers, 1), np.nan)
    shown_peers = pd.array(peers, dtype="Int64")
    shown_peers[suppressed] = pd.NA
    return pd.DataFrame({"score": own, "peers": shown_peers, "rank": rank, "suppressed": suppressed},
                        index=pd.Index(list(scores.columns), dtype=object, name="unit"))


def common_gaps(cohort: CohortScores, among: Iterable[Hashable] | None = None, min_group: int = 5) -> pd.DataFrame:
    """Per question: how many assessments have it as a high / medium / low gap ("what to train on").

    Counts are over the assessments ``among`` (default: the whole cohort). ``scored`` is how many
    of them answered the question with a level; ``share_high`` = high / scored. Sorted by high
    desc, then medium desc, then questionnaire order; questions scored by fewer than ``min_group``
    assessments come last with ``suppressed=True`` and every count blank (<NA>).
    """
    band, scored = cohort.band, cohort.scored
    if among is not None:
        wanted = pd.Index(list(among))
        rows = cohort.index.get_indexer(wanted)
        if (rows < 0).any():
            raise KeyError(f"not in this cohort: {', '.join(map(repr, wanted[rows < 0][:5]))}")
        band, scored = band[rows], scored[rows]
    q = cohort.frame.questions
    n_scored = scored.sum(axis=0)
    counts = {name: (band == code).sum(axis=0) for code, name in ((2, "high"), (1, "medium"), (0, "low"))}
    suppressed = n_scored < max(min_group, 1)
    table = pd.DataFrame({
        "question_id": q["id"].to_numpy(), "dimension_id": q["dimension"].to_numpy(),
        "subdimension_id": q["subdimension"].to_numpy(), "critical": q["critical"].to_numpy(),
        "scored": n_scored, **counts,
    })
    table["gaps"] = table["high"] + table["medium"] + table["low"]
    table["share_high"] = table["high"] / table["scored"].where(table["scored"] > 0)
    table["suppressed"] = suppressed
    key_high = np.where(suppressed, 0, counts["high"])
    key_medium = np.where(suppressed, 0, counts["medium"])
    order = np.lexsort((np.arange(len(table)), -key_medium, -key_high, suppressed))
    table = table.iloc[order].reset_index(drop=True)
    for col in ("scored", "high", "medium", "low", "gaps"):
        table[col] = table[col].astype("Int64").mask(table["suppressed"])
    table["share_high"] = table["share_high"].mask(table["suppressed"])
    return table

