"""Server-side rerun time of the questionnaire page (AppTest), largest sub-dimension, and of an answer change.

Compared with a bare AppTest of a trivial script holding the same number of radios with the same
options: the ratio is what the page's own work (sign-in check, answers, scoring for the progress
bar, descriptors, notes, guidance) costs on top of Streamlit itself. Goals: a page rerun under 150 ms
(issue 5); an answer change — the save and the rerun it causes — at most 25 ms (issue 16: one read
per run; it was ~44 ms with 49 SQL statements per change, now 11, tests/test_statement_counts.py).
Wall and CPU time are both reported: on a machine busy with other work the CPU time is the steadier one.

AppTest compiles app.py and the page afresh on every run (a new script cache per run), which a
``streamlit run`` server does once per process; so these figures include that compilation (about
3–4 ms with magic off, .streamlit/config.toml; it was ~18 ms with magic on) and slightly overstate
what the server spends per rerun. AppTest also reruns the whole app for a change (app.py, the
sidebar, the page), where a server reruns only the question list (a fragment): the answer-change row
is an upper bound of the server's work. Profile a run with cProfile on the script thread (wrap
``ScriptRunner._run_script``) to see where the rest goes.

Run with ``python -m perf`` (the whole performance suite) or ``python -m perf.bench_questionnaire_rerun``.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from streamlit.testing.v1 import AppTest

REPEAT = 15
GOAL_SECONDS = 0.150
CHANGE_GOAL_SECONDS = 0.025


def _all_on_profile(q: Any) -> dict[str, Any]:
    """A profile under which the most questions apply: every role, every flag on."""
    profile: dict[str, Any] = {}
    for f in q.profile.fields:
        ids = f.option_ids()
        profile[f.id] = list(ids) if f.type == "multi" else (True if f.type == "bool" else ids[0])
    return profile


def _timed(at: AppTest, step: Any = None) -> tuple[float, float]:
    """Best wall-clock and best CPU seconds of ``REPEAT`` reruns (``step`` changes a widget before each one).

    The best of each is the least disturbed run. CPU time (``time.process_time``: every thread of this
    process, the script's and AppTest's) barely moves when other programs load the machine, so it is
    the figure to compare between runs on a busy machine; wall time is what a user waits for.
    """
    at.run()
    times, cpu = [], []
    for i in range(REPEAT):
        if step is not None:
            step(at, i)
        start, start_cpu = time.perf_counter(), time.process_time()
        at.run()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        if at.exception:
            raise RuntimeError(f"the page failed during the benchmark: {at.exception[0].value}")
    return min(times), min(cpu)


def _bare(n: int) -> AppTest:
    script = f"""
import streamlit as st
for i in range({n}):
    st.radio(f"Question {{i}}", [0, 1, 2, 3, 4, 5, -1], key=f"r{{i}}", index=None)
"""
    return AppTest.from_string(script, default_timeout=60)


def run() -> list[dict[str, Any]]:
    from db.engine import make_engine
    from db.migrate import upgrade
    from enums import AnswerSource, AssessmentForm
    from questionnaires import get_questionnaire
    from services.access import load_actor
    from services.accounts import create_user
    from services.assessments import AnswerInputData, create_assessment, save_answers_bulk
    from services.organisations import create_organisation
    from tests.support.apptest import app_test

    q = get_questionnaire()
    profile = _all_on_profile(q)
    largest = max((s for d in q.dimensions for s in d.subdimensions),
                  key=lambda s: sum(q.applies(x, profile) for x in s.questions))
    qids = [x.id for x in largest.questions if q.applies(x, profile)]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        user = create_user(engine, "bench", "bench-password-1")
        org = create_organisation(engine, load_actor(engine, user.id), "Benchmark Ltd", profile)
        who = load_actor(engine, user.id)
        view = create_assessment(engine, who, org.id, form=AssessmentForm.FULL, title="benchmark")
        # Half the questionnaire answered, as in the middle of a real session.
        save_answers_bulk(engine, who, view.id, [AnswerInputData(x.id, i % 6) for i, x in
                                                 enumerate(q.questions()[: len(q.questions()) // 2])], source=AnswerSource.CLI)
        previous = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = url
        try:
            at = app_test(user.id, org_id=org.id, query={"assessment": str(view.id), "sub": largest.id})
            at.run()
            at.switch_page("app_pages/questionnaire.py")
            rerun, rerun_cpu = _timed(at)

            def answer(t: AppTest, i: int) -> None:
                t.radio(key=f"ans_{qids[i % len(qids)]}").set_value(i % 6)

            autosave, autosave_cpu = _timed(at, answer)
        finally:
            if previous is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = previous
            engine.dispose()
    baseline, baseline_cpu = _timed(_bare(len(qids)))

    def bare_answer(t: AppTest, i: int) -> None:
        t.radio(key=f"r{i % len(qids)}").set_value(i % 6)

    baseline_change, baseline_change_cpu = _timed(_bare(len(qids)), bare_answer)
    n = len(qids)
    goal = f"< {GOAL_SECONDS * 1000:.0f} ms server-side rerun (issue 5)"
    return [
        {"name": f"questionnaire page rerun ({largest.id}, {n} questions)", "seconds": rerun,
         "baseline_seconds": baseline, "ratio": rerun / baseline,
         "cpu_seconds": rerun_cpu, "baseline_cpu_seconds": baseline_cpu,
         "baseline": f"bare AppTest script with {n} radios of the same 7 options", "goal": goal,
         "note": f"AppTest, best of {REPEAT}; {_cpu(rerun_cpu, baseline_cpu)}; "
                 f"{'met' if rerun < GOAL_SECONDS else 'NOT met'}"},
        {"name": f"answer change with autosave ({largest.id})", "seconds": autosave,
         "baseline_seconds": baseline_change, "ratio": autosave / baseline_change,
         "cpu_seconds": autosave_cpu, "baseline_cpu_seconds": baseline_change_cpu,
         "baseline": f"the bare script with one of its {n} radios changed",
         "goal": f"≤ {CHANGE_GOAL_SECONDS * 1000:.0f} ms server-side (issue 16)",
         "note": "one radio changed per rerun: on_change saves it to SQLite, then the page reruns; "
                 f"{_cpu(autosave_cpu, baseline_change_cpu)}; "
                 f"{'met' if autosave <= CHANGE_GOAL_SECONDS else 'NOT met'}"},
    ]


def _cpu(seconds: float, baseline: float) -> str:
    return f"CPU {seconds * 1000:.1f} ms vs {baseline * 1000:.1f} ms (×{seconds / baseline:.1f})"


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['seconds'] * 1000:.1f} ms vs {row['baseline_seconds'] * 1000:.1f} ms "
              f"(×{row['ratio']:.1f}) — {row['note']}")
