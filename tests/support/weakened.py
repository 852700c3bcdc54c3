"""Deliberately weakened release paths: what the attack tests must succeed against (their teeth).

Each is swapped into the real services with ``monkeypatch`` for one test, and shows what the
product would leak without the corresponding mechanism:

* :data:`EXACT` — no noise: exact quantiles (NumPy's linear interpolation, as before releases
  existed) and exact counts;
* :func:`no_independence` — members the association registered count toward thresholds;
* :func:`live` — no snapshots: every read recomputes the statistics from the current data.

``weaken(monkeypatch, ...)`` applies any combination.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from enums import ReleaseKind
from privacy.release import Mechanisms, build_release


def exact_quantile(values: Sequence[float], alpha: float, epsilon: float) -> tuple[float, float]:
    return float(np.quantile(np.asarray(values, dtype=float), alpha)), epsilon


def exact_counts(counts: Sequence[int], sensitivity: int, epsilon: float) -> tuple[list[int], float]:
    return [int(c) for c in counts], epsilon


EXACT = Mechanisms(quantile=exact_quantile, counts=exact_counts)


def weaken(monkeypatch: pytest.MonkeyPatch, *, noise: bool = True, independence: bool = True, snapshots: bool = True,
           full_precision: bool = False) -> None:
    """Swap the chosen protections out of the real services (for this test only)."""
    from privacy import release as release_module
    from services import releases

    if not noise:
        monkeypatch.setattr(releases, "build_release", functools.partial(build_release, mech=EXACT))
    if full_precision:
        monkeypatch.setattr(release_module, "_round", float)
    if not independence:
        monkeypatch.setattr(releases, "known_to_association", lambda s, association_id: set())
    if not snapshots:
        def live(engine: Any, round_id: int) -> Any:
            from db.engine import read_session
            from db.models import Association, BenchmarkRound

            with read_session(engine) as s:
                r = s.get(BenchmarkRound, round_id)
                assert r is not None
                a = s.get(Association, r.association_id)
                assert a is not None
                stats, part, identified, _ = releases.compute_release(s, r, a)
                from datetime import datetime

                from benchmarking.statistics import Participation
                entry = releases.ReleaseEntry(0, ReleaseKind.INTERIM, datetime(2026, 1, 1), stats.epsilon, stats.spent)
                return releases.StoredRelease(round_id, entry, stats, Participation(**part), tuple(identified))

        monkeypatch.setattr(releases, "current_release", live)
