"""The differentially private mechanisms a release uses, all from OpenDP (pure ε-DP).

* :func:`private_quantile`: the exponential-mechanism quantile of OpenDP
  (``make_private_quantile``) over scores clamped to 0–5, choosing among the candidates
  0.00, 0.05, …, 5.00. A released quantile is therefore never a member's full-precision score.
* :func:`private_counts`: (discrete) Laplace noise on a vector of counts whose L1 sensitivity
  — how much one member can change the whole vector — is ``sensitivity``.

Each returns what it released and the ε the measurement's own privacy map reports for one
member added or removed, which is what the round's ledger records.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import opendp.prelude as dp

from privacy.parameters import CANDIDATE_STEP, SCORE_MAX, SCORE_MIN

dp.enable_features("contrib")

CANDIDATES = [round(SCORE_MIN + i * CANDIDATE_STEP, 2) for i in range(round((SCORE_MAX - SCORE_MIN) / CANDIDATE_STEP) + 1)]
_SCORES = dp.vector_domain(dp.atom_domain(T=float, nan=False))
_COUNTS = dp.vector_domain(dp.atom_domain(T=dp.i64))
_SLACK = 1 - 1e-9  # the noise scale is widened by this much so float rounding never spends more than allotted


def private_quantile(values: Sequence[float], alpha: float, epsilon: float) -> tuple[float, float]:
    """The ``alpha`` quantile of ``values`` (scores, clamped to 0–5), ε-DP; returns (value, ε spent).

    OpenDP's map for this mechanism is ε = 2·max(α, 1 − α) / scale for one member added or removed.
    """
    if epsilon <= 0:
        raise ValueError("a quantile needs a positive ε")
    scale = 2 * max(alpha, 1 - alpha) / (epsilon * _SLACK)
    m = dp.m.make_private_quantile(_SCORES, dp.symmetric_distance(), dp.max_divergence(), candidates=CANDIDATES,
                                   alpha=alpha, scale=scale)
    spent = float(m.map(1))
    data = np.clip(np.asarray(values, dtype=float), SCORE_MIN, SCORE_MAX).tolist()
    return float(m(data)), spent


def private_counts(counts: Sequence[int], sensitivity: int, epsilon: float) -> tuple[list[int], float]:
    """``counts`` with Laplace noise for an L1 sensitivity of ``sensitivity``; returns (noisy counts, ε spent)."""
    if epsilon <= 0 or sensitivity < 1:
        raise ValueError("counts need a positive ε and sensitivity")
    m = dp.m.make_laplace(_COUNTS, dp.l1_distance(T=dp.i64), scale=sensitivity / (epsilon * _SLACK))
    spent = float(m.map(sensitivity))
    return [int(v) for v in m([int(c) for c in counts])], spent
