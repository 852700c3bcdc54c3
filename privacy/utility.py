"""The typical error of released medians, as measured by ``perf/bench_dp_utility.py``.

Pages state it next to every release ("privacy-protected estimates, typically within ± X of the
exact value") so that nobody reads noise as change. Values: the median |released − exact|
median, in score points, over simulated rounds (perf/bench_dp_utility.py describes them), per
release ε and round size. Regenerate with ``python -m perf dp_utility`` (its ``table()``).
Segments are smaller than the round: their medians typically err more, as the size column shows.
"""

from __future__ import annotations

import math

# release ε → round size → median absolute error of a released median (score points, 0–5)
MEDIAN_ERROR: dict[float, dict[int, float]] = {
    0.5: {10: 0.98, 30: 0.92, 100: 0.72, 1000: 0.07},
    2.0: {10: 0.90, 30: 0.71, 100: 0.28, 1000: 0.02},
    4.0: {10: 0.79, 30: 0.42, 100: 0.08, 1000: 0.01},
}


def typical_median_error(n: int | None, epsilon: float) -> float | None:
    """Typical |released − exact| of a median over ``n`` members at ``epsilon``.

    The measured ε nearest to ``epsilon`` (on a log scale; rounded up to the more cautious one on
    ties), interpolated linearly in log(n) between the measured sizes and held at the ends.
    """
    if n is None or n <= 0 or epsilon <= 0:
        return None
    eps = min(MEDIAN_ERROR, key=lambda e: (abs(math.log(e / epsilon)), e))
    sizes = sorted(MEDIAN_ERROR[eps])
    errs = [MEDIAN_ERROR[eps][s] for s in sizes]
    if n <= sizes[0]:
        return errs[0]
    if n >= sizes[-1]:
        return errs[-1]
    for (s0, e0), (s1, e1) in zip(zip(sizes, errs, strict=True), zip(sizes[1:], errs[1:], strict=True), strict=False):
        if s0 <= n <= s1:
            f = (math.log(n) - math.log(s0)) / (math.log(s1) - math.log(s0))
            return round(e0 + f * (e1 - e0), 2)
    return errs[-1]
