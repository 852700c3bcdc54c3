"""Performance suite (not association benchmarking): ``python -m perf`` (or ``make bench``) runs every ``perf/bench_*.py``.

Contract for a benchmark module: a function ``run() -> list[dict]``; each dict is one row with
``name`` (str), ``seconds`` (float, best of several runs) and optionally ``baseline_seconds``
(float: the reference it is compared with), ``baseline`` (str: what that reference is), ``goal``
(str) and ``note`` (str). The runner prints name, seconds, baseline seconds and their ratio.
Benchmarks measure and print; they never assert (timings are not tests).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def _once(fn: Callable[[], object]) -> float:
    enabled = gc.isenabled()
    gc.disable()  # as timeit does: a collection triggered by earlier garbage is not this code's cost
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        if enabled:
            gc.enable()


def best_of(fn: Callable[[], object], repeat: int = 7) -> float:
    """The fastest of ``repeat`` wall-clock runs: the least disturbed by other work on the machine."""
    return min(_once(fn) for _ in range(repeat))


def best_of_pair(fn: Callable[[], object], baseline: Callable[[], object], repeat: int = 7) -> tuple[float, float]:
    """Best-of times of ``fn`` and ``baseline``, run alternately so both see the same machine load."""
    times = [(_once(fn), _once(baseline)) for _ in range(repeat)]
    return min(t for t, _ in times), min(b for _, b in times)
