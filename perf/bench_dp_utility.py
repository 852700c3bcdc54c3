"""Utility of the differentially private releases: how far released medians lie from the exact ones.

For rounds of 10, 30, 100 and 1,000 members (every member independent and anonymous, scores of
the overall and four dimensions drawn around 2.5 with spread 0.9, clipped to 0–5), each release
is built by the real :func:`privacy.release.build_release`. Reported per size and ε: the median
and the 90th percentile of |released median − exact median| over the five units and all trials.
The rows at the default ε are the figures docs/benchmarking.md and the README quote;
``privacy/utility.py`` holds the table the pages use to state a release's typical error
(``python -m perf dp_utility --json`` regenerates it).

There is no time baseline here: this measures accuracy. ``seconds`` is the time of one release.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from privacy.parameters import DEFAULT_RELEASE_EPSILON, MAX_RELEASE_EPSILON, MIN_RELEASE_EPSILON
from privacy.release import Cohort, build_release

SIZES = (10, 30, 100, 1000)
EPSILONS = (MIN_RELEASE_EPSILON, DEFAULT_RELEASE_EPSILON, MAX_RELEASE_EPSILON)
UNITS = ("overall", "d1", "d2", "d3", "d4")
TRIALS = 40
SEED = 11


def cohort(n: int, rng: np.random.Generator) -> Cohort:
    scores = np.clip(rng.normal(2.5, 0.9, size=(n, len(UNITS))), 0, 5)
    frame = pd.DataFrame(scores, columns=list(UNITS))
    frame = frame.assign(independent=True, sector=None, size=None, ai_role=None)
    return Cohort(frame, UNITS, [() for _ in range(n)], ("q1",), {})


def errors(n: int, epsilon: float, trials: int = TRIALS, seed: int = SEED) -> tuple[np.ndarray, float]:
    """|released − exact| medians over ``trials`` releases of size ``n`` (all units), and seconds per release."""
    rng = np.random.default_rng(seed + n)
    out: list[float] = []
    start = time.perf_counter()
    for _ in range(trials):
        c = cohort(n, rng)
        release = build_release(c, epsilon=epsilon, min_group=5)
        for u in UNITS:
            med = release.quantiles[u].median
            assert med is not None
            out.append(abs(med - float(np.median(c.scores[u]))))
    return np.asarray(out), (time.perf_counter() - start) / trials


def table() -> dict[float, dict[int, float]]:
    """Median absolute error per ε and round size (what privacy/utility.py stores)."""
    return {eps: {n: round(float(np.median(errors(n, eps)[0])), 2) for n in SIZES} for eps in EPSILONS}


def run() -> list[dict[str, Any]]:
    rows = []
    for eps in EPSILONS:
        for n in SIZES:
            err, seconds = errors(n, eps)
            rows.append({
                "name": f"dp_utility: released median error, {n:,} members, ε = {eps:g}",
                "seconds": seconds,
                "note": f"median |error| {np.median(err):.2f}, 90th percentile {np.percentile(err, 90):.2f} "
                        f"(score points, 0–5 scale; {TRIALS} releases × {len(UNITS)} units)",
                "median_error": float(np.median(err)), "p90_error": float(np.percentile(err, 90)),
            })
    return rows
