"""Properties of the differentially private release (privacy/release.py) and of the round's budget.

* Every released number lies within its bounds (scores on the 0.00–5.00 grid, ordered quartiles,
  counts between the threshold and the round's size, shares between 0 and 1).
* The ledger is exactly the ε the mechanisms report (a field's disjoint segments charged once:
  parallel composition), and never more than the release's ε.
* No release without budget: a round's releases never spend more than its budget; without budget
  an interim release is refused and closing re-publishes the previous figures at no cost.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from privacy import mechanisms
from privacy.parameters import (
    CANDIDATE_STEP,
    MAX_RELEASE_EPSILON,
    MIN_RELEASE_EPSILON,
    ROUND_BUDGET,
    SHARES,
    check_epsilon,
)
from privacy.release import Cohort, Mechanisms, build_release
from privacy.utility import typical_median_error
from services.associations import set_release_epsilon
from services.errors import InvalidInput, StateError
from services.releases import publish_release, round_ledger
from services.round_dashboard import round_dashboard
from services.rounds import close_round
from tests.support.benchmark_data import cohort, profile

UNITS = ("overall", "d1", "d2")
SECTORS = ["finance", "retail", "ict"]


@st.composite
def cohorts(draw: Any) -> Cohort:
    n = draw(st.integers(0, 40))
    scores = draw(st.lists(st.lists(st.one_of(st.none(), st.floats(0, 5)), min_size=3, max_size=3),
                           min_size=n, max_size=n))
    frame = pd.DataFrame([[np.nan if v is None else v for v in row] for row in scores] or None,
                         columns=list(UNITS), dtype=float)
    frame = frame.assign(independent=draw(st.lists(st.booleans(), min_size=n, max_size=n)) or [],
                         sector=draw(st.lists(st.sampled_from(SECTORS), min_size=n, max_size=n)) or [],
                         size=draw(st.lists(st.sampled_from(["small", "large"]), min_size=n, max_size=n)) or [],
                         ai_role=draw(st.lists(st.sampled_from(["user", None]), min_size=n, max_size=n)) or [])
    qids = tuple(f"Q{i}" for i in range(8))
    gaps = draw(st.lists(st.lists(st.sampled_from(qids), max_size=8), min_size=n, max_size=n))
    return Cohort(frame, UNITS, gaps, qids, {"sector": SECTORS, "size": ["small", "large"], "ai_role": ["user"]})


def _on_grid(v: float) -> bool:
    return math.isclose(v / CANDIDATE_STEP, round(v / CANDIDATE_STEP), abs_tol=1e-6)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=cohorts(), epsilon=st.floats(MIN_RELEASE_EPSILON, MAX_RELEASE_EPSILON), k=st.integers(3, 6))
def test_released_numbers_stay_within_their_bounds(c: Cohort, epsilon: float, k: int) -> None:
    r = build_release(c, epsilon=epsilon, min_group=k)
    n = len(c.scores)
    for q in r.quantiles.values():
        values = [q.p25, q.median, q.p75]
        assert all(v is None for v in values) or all(v is not None for v in values)
        if q.shown:
            assert 0 <= q.p25 <= q.median <= q.p75 <= 5 and all(v is not None and _on_grid(v) for v in values)
    assert r.count == (n if r.shown else None)
    for s in r.segments:
        assert s.shown or (s.count is None and all(m is None for m in s.medians.values()))
        if s.count is not None:
            assert k <= s.count <= n
        for m in s.medians.values():
            assert m is None or (0 <= m <= 5 and _on_grid(m))
    assert r.shown or r.gaps == ()
    for g in r.gaps:
        assert 0 < g.count <= n and 0 <= g.share <= 1
    assert len({g.question_id for g in r.gaps}) == len(r.gaps)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=cohorts(), epsilon=st.floats(MIN_RELEASE_EPSILON, MAX_RELEASE_EPSILON), k=st.integers(3, 6))
def test_the_ledger_is_the_sum_of_the_mechanisms_epsilon(c: Cohort, epsilon: float, k: int) -> None:
    """Every mechanism call is charged with the ε OpenDP's privacy map reports for it; the calls on a
    field's disjoint segments for one unit are charged once (parallel composition)."""
    segment_eps = SHARES["segment_medians"] * epsilon / (3 * len(UNITS))
    quantiles: list[float] = []
    segments: list[float] = []
    counts: list[float] = []

    def quantile(values: Sequence[float], alpha: float, eps: float) -> tuple[float, float]:
        value, spent = mechanisms.private_quantile(values, alpha, eps)
        (segments if math.isclose(eps, segment_eps) else quantiles).append(spent)
        return value, spent

    def noisy_counts(values: Sequence[int], sensitivity: int, eps: float) -> tuple[list[int], float]:
        noisy, spent = mechanisms.private_counts(values, sensitivity, eps)
        counts.append(spent)
        return noisy, spent

    r = build_release(c, epsilon=epsilon, min_group=k, mech=Mechanisms(quantile, noisy_counts))
    by_kind: dict[str, list[float]] = {"round": [], "segment": [], "other": []}
    for charge in r.ledger:
        kind = charge.statistic.split(" ")[0]
        by_kind[kind if kind in by_kind else "other"].append(charge.epsilon)
    assert sorted(by_kind["round"]) == pytest.approx(sorted(quantiles))
    assert sorted(by_kind["other"]) == pytest.approx(sorted(counts))
    assert all(e == pytest.approx(segments[0]) for e in by_kind["segment"])
    assert bool(by_kind["segment"]) == bool(segments) and len(by_kind["segment"]) <= 3 * len(UNITS)
    assert r.spent == pytest.approx(sum(by_kind["round"]) + sum(by_kind["segment"]) + sum(by_kind["other"]))
    assert r.spent <= epsilon * (1 + 1e-9)


def test_released_medians_are_noisy_and_their_typical_error_is_stated() -> None:
    """The same data released twice gives different figures: there is noise, and pages state its size."""
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(np.clip(rng.normal(2.5, 1, (30, 3)), 0, 5), columns=list(UNITS)).assign(
        independent=True, sector="finance", size="small", ai_role="user")
    c = Cohort(frame, UNITS, [() for _ in range(30)], ("Q0",), {})
    medians = {build_release(c, epsilon=2.0, min_group=5).quantiles["overall"].median for _ in range(25)}
    assert len(medians) > 1
    assert typical_median_error(30, 2.0) is not None and typical_median_error(None, 2.0) is None
    assert check_epsilon(2.0) and not check_epsilon(MAX_RELEASE_EPSILON + 0.1) and not check_epsilon(0.1)


def test_no_release_without_budget(engine) -> None:
    """ε 4 per release: two releases spend the round's budget of 8; a third interim release is
    refused, and closing re-publishes the second release's figures at no cost."""
    c = cohort(engine)
    set_release_epsilon(engine, c.admin(), c.association_id, MAX_RELEASE_EPSILON)
    with pytest.raises(InvalidInput):
        set_release_epsilon(engine, c.admin(), c.association_id, MAX_RELEASE_EPSILON + 1)
    for batch in range(3):
        for i in range(5):
            c.add(f"M{batch}-{i}", profile())
            c.submit(f"M{batch}-{i}", 1 + (i + batch) % 4)
        if batch == 0:
            assert round_dashboard(engine, c.admin(), c.round_id).release is not None  # first access
        elif batch == 1:
            publish_release(engine, c.admin(), c.round_id)
    ledger = round_ledger(engine, c.admin(), c.round_id)
    assert ledger.spent == pytest.approx(ROUND_BUDGET) and not ledger.affordable and not ledger.can_publish
    assert ledger.new_independent == 5
    with pytest.raises(StateError):
        publish_release(engine, c.admin(), c.round_id)
    before = round_dashboard(engine, c.admin(), c.round_id)
    close_round(engine, c.admin(), c.round_id)
    after = round_dashboard(engine, c.admin(), c.round_id)
    ledger = round_ledger(engine, c.admin(), c.round_id)
    assert [e.kind for e in ledger.releases] == ["interim", "interim", "final"]
    assert ledger.releases[-1].spent == 0 and ledger.spent == pytest.approx(ROUND_BUDGET)
    assert after.stats is not None and before.stats is not None
    assert after.stats.units == before.stats.units and after.stats.segments == before.stats.segments
