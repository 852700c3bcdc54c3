"""The privacy parameters of a release: its ε bounds, the round's budget and how a release spends it.

Documented in docs/benchmarking.md ("Privacy budget"). Each release is ε-differentially private
(pure DP) with respect to adding or removing one member's submission; a round's releases compose
by adding their ε, so the round's ledger is the sum of every mechanism's ε.
"""

from __future__ import annotations

DEFAULT_RELEASE_EPSILON = 2.0
MIN_RELEASE_EPSILON = 0.5
MAX_RELEASE_EPSILON = 4.0
ROUND_BUDGET = 8.0  # total ε a round may ever spend (at the default: four releases)

# Share of a release's ε per family of statistics (sums to 1). Inside a family the share is split
# evenly over its mechanisms; segments of one field are disjoint, so one field costs one mechanism
# per unit whatever the number of its values (parallel composition).
SHARES = {"round_quantiles": 0.45, "segment_medians": 0.25, "counts": 0.1, "gaps": 0.2}

ROUND_QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75}  # published for the round, per unit
# How the round's share is split between them: the median, the figure everyone reads, gets half.
ROUND_QUANTILE_WEIGHTS = {"p25": 0.25, "median": 0.5, "p75": 0.25}
GAP_CONTRIBUTION = 5  # each member counts toward the common gaps with at most its 5 highest-priority gaps
TOP_GAPS = 15
SCORE_MIN, SCORE_MAX = 0.0, 5.0
CANDIDATE_STEP = 0.05  # quantiles are chosen among 0.00, 0.05, …, 5.00
DECIMALS = 2  # what pages show; rounding complements the noise, it is never the protection


def check_epsilon(value: float) -> bool:
    """Whether ``value`` is an ε an association may choose for one release."""
    return MIN_RELEASE_EPSILON <= value <= MAX_RELEASE_EPSILON
