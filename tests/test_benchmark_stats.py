"""Benchmark statistics equal a straightforward reference computation on random cohorts.

The reference scores every member on its own with ``scoring.score_assessment`` and computes
quantiles, suppression, gap counts and percentile ranks with plain Python loops; the code under
test does one vectorised pass over the whole cohort.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from questionnaires import load_questionnaire
from scoring import AnswerInput, score_assessment
from services.benchmark_stats import (
    ANONYMOUS_FLOOR,
    SUBMISSION_COLUMNS,
    dashboard_stats,
    member_stats,
    primary_ai_role,
    segment_values,
)

MINI = load_questionnaire(Path(__file__).parent / "fixtures" / "mini")
QIDS = [x.id for x in MINI.questions()]
DIMS = [d.id for d in MINI.dimensions]
SUBS = [s.id for d in MINI.dimensions for s in d.subdimensions]
SECTORS = ["finance", "retail", "ict"]
ROLES = [["user"], ["app_provider"], ["tech_provider", "user"], ["app_provider", "user"]]
T0 = datetime(2026, 1, 1)

answer = st.one_of(st.none(), st.just("na"), st.integers(0, 5))
member = st.fixed_dictionaries({
    "sector": st.sampled_from(SECTORS),
    "size": st.sampled_from(["small", "medium"]),
    "roles": st.sampled_from(ROLES),
    "high_impact": st.booleans(),
    "identified": st.booleans(),
    "status": st.sampled_from(["submitted", "submitted", "submitted", "draft"]),
    "resubmitted": st.booleans(),
    "answers": st.lists(answer, min_size=len(QIDS), max_size=len(QIDS)),
})


def _profile(m: dict[str, Any]) -> dict[str, Any]:
    return {"ai_roles": m["roles"], "genai_public": False, "high_impact": m["high_impact"], "sector": m["sector"],
            "size": m["size"]}


def _frames(members: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, dict[str, Any]]]:
    """Submissions and answers as the loaders return them; ``counted`` maps org → the member that counts."""
    subs, answers, counted = [], [], {}
    aid = 0
    for org, m in enumerate(members, 1):
        copies = 2 if m["resubmitted"] else 1  # an older submission of the same organisation must not count
        for copy in range(copies):
            aid += 1
            levels = m["answers"] if copy == copies - 1 else [2] * len(QIDS)
            subs.append({"round_id": 1, "assessment_id": aid, "organisation_id": org, "status": m["status"],
                         "sharing": "identified" if m["identified"] else "anonymous", "form": "full",
                         "target_preset": None, "profile": _profile(m), "submitted_at": T0 + timedelta(days=copy),
                         "name": f"Org {org}" if m["identified"] else None})
            for qid, value in zip(QIDS, levels, strict=True):
                if value is not None:
                    answers.append({"assessment_id": aid, "question_id": qid,
                                    "level": float("nan") if value == "na" else float(value), "na": value == "na"})
        if m["status"] == "submitted":
            counted[org] = {**m, "assessment_id": aid}
    sub_frame = pd.DataFrame(subs, columns=list(SUBMISSION_COLUMNS))
    ans_frame = pd.DataFrame(answers, columns=["assessment_id", "question_id", "level", "na"])
    return sub_frame, ans_frame, counted


def _reference_scores(m: dict[str, Any]) -> Any:
    given_answers = {qid: AnswerInput(level=None if v in (None, "na") else v, na=v == "na")
                     for qid, v in zip(QIDS, m["answers"], strict=True) if v is not None}
    return score_assessment(MINI, _profile(m), given_answers)


def _quantile(values: list[float], p: float) -> float:
    s = sorted(values)
    h = (len(s) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])


def _unit_scores(result: Any) -> dict[str, float | None]:
    out: dict[str, float | None] = {"overall": result.overall.score}
    out.update({u.id: u.score for u in result.dimensions})
    out.update({u.id: u.score for u in result.subdimensions})
    return out


def _check_group(dist: Any, members: list[dict[str, Any]], results: dict[int, Any], unit: str, k: int) -> None:
    scored = [(results[m["assessment_id"]][unit], not m["identified"]) for m in members
              if results[m["assessment_id"]][unit] is not None]
    values = [v for v, _ in scored]
    anonymous = sum(1 for _, anon in scored if anon)
    hidden = len(values) < k or 0 < anonymous < ANONYMOUS_FLOOR
    assert dist.suppressed == hidden, (unit, len(values), anonymous)
    if hidden:
        assert dist.count is None and dist.median is None and dist.p25 is None and dist.p90 is None
        return
    assert dist.count == len(values)
    for name, p in (("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9)):
        assert getattr(dist, name) == pytest.approx(_quantile(values, p), abs=1e-9), (unit, name)


BIG = [{"sector": SECTORS[i % 2], "size": "small", "roles": ROLES[i % 4], "high_impact": i % 3 == 0,
        "identified": i % 4 == 0, "status": "submitted", "resubmitted": i == 3,
        "answers": [(i * 7 + j * 3) % 6 if (i + j) % 5 else None for j in range(len(QIDS))]} for i in range(13)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(member, max_size=14), k=st.integers(3, 6))
@example(members=BIG, k=5)
def test_dashboard_statistics_match_the_reference(members: list[dict[str, Any]], k: int) -> None:
    subs, answers, counted = _frames(members)
    stats = dashboard_stats(MINI, subs, answers, round_id=1, min_group=k, invited=len(members) + 2)
    group = list(counted.values())
    results = {m["assessment_id"]: _unit_scores(_reference_scores(m)) for m in group}

    assert stats.participation.invited == len(members) + 2
    assert stats.participation.submitted == len(group)
    assert stats.participation.started == sum(1 for m in members if m["status"] == "draft")
    for unit in ["overall", *DIMS, *SUBS]:
        _check_group(stats.units[unit], group, results, unit, k)

    for field, key in (("sector", lambda m: m["sector"]), ("size", lambda m: m["size"]),
                       ("ai_role", lambda m: primary_ai_role(MINI, m["roles"]))):
        rows = {r.value: r for r in stats.segment_rows(field)}
        # Every option of the profile field, with or without submissions (an empty one looks like a hidden one).
        assert list(rows) == list(segment_values(MINI, field))
        assert {key(m) for m in group} <= set(rows)
        for value, row in rows.items():
            members_in = [m for m in group if key(m) == value]
            for unit in ["overall", *DIMS, *SUBS]:
                _check_group(row.units[unit], members_in, results, unit, k)

    assert [r.organisation_name for r in stats.identified] == sorted(
        f"Org {org}" for org, m in counted.items() if m["identified"])
    assert stats.trend[0].submitted == len(group)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(member, min_size=1, max_size=14), k=st.integers(3, 6))
@example(members=BIG, k=3)
def test_common_gaps_match_the_reference(members: list[dict[str, Any]], k: int) -> None:
    subs, answers, counted = _frames(members)
    stats = dashboard_stats(MINI, subs, answers, round_id=1, min_group=k, invited=len(members))
    group = list(counted.values())
    high: dict[str, int] = dict.fromkeys(QIDS, 0)
    scored: dict[str, int] = dict.fromkeys(QIDS, 0)
    for m in group:
        result = _reference_scores(m)
        for g in result.gaps:
            high[g.question_id] += g.band == "high"
        for qid, v in zip(QIDS, m["answers"], strict=True):
            if isinstance(v, int) and qid in result.applicable:
                scored[qid] += 1
    if stats.suppressed:
        assert stats.gaps == ()
        return
    listed = [g.question_id for g in stats.gaps]
    expected = [q for q in QIDS if high[q] > 0 and scored[q] >= k]
    assert set(listed) == set(expected)  # ten questions: all fit in the top-15 list
    for g in stats.gaps:
        assert (g.high, g.scored) == (high[g.question_id], scored[g.question_id])
        assert g.share_high == pytest.approx(high[g.question_id] / scored[g.question_id])
    assert [g.high for g in stats.gaps] == sorted((g.high for g in stats.gaps), reverse=True)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(member, min_size=1, max_size=12), k=st.integers(3, 5))
@example(members=BIG, k=4)
def test_percentile_rank_matches_the_reference(members: list[dict[str, Any]], k: int) -> None:
    members[0] = {**members[0], "status": "submitted"}
    subs, answers, counted = _frames(members)
    own = counted[1]
    stats = member_stats(MINI, subs, answers, own_assessment_id=own["assessment_id"], round_id=1,
                         previous_round_id=None, segment="all", min_group=k)
    group = list(counted.values())
    results = {m["assessment_id"]: _unit_scores(_reference_scores(m)) for m in group}
    for unit in ["overall", *DIMS]:
        _check_group(stats.units[unit], group, results, unit, k)
    if stats.suppressed:
        assert stats.peers is None and all(v is None for v in stats.percentile.values())
        return
    assert stats.peers == len(group)
    for unit in ["overall", *DIMS]:
        mine = results[own["assessment_id"]][unit]
        peers = [results[m["assessment_id"]][unit] for m in group if m is not own]
        peers = [v for v in peers if v is not None]
        if mine is None or not peers or len(peers) + 1 < k:
            assert stats.percentile[unit] is None
            continue
        lower = sum(v < mine for v in peers)
        ties = sum(v == mine for v in peers)
        assert stats.percentile[unit] == pytest.approx(100 * (lower + 0.5 * ties) / len(peers))


def test_close_first_counts_peers_who_improved_since_the_previous_round() -> None:
    """Five peers each had level 1 on the first question last round; three rose to 3. The member
    (level 1 there, below target) sees that question first, with 3 of 5 peers."""
    rows: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    aid = 0

    def add(round_id: int, org: int, levels: dict[str, int]) -> int:
        nonlocal aid
        aid += 1
        rows.append({"round_id": round_id, "assessment_id": aid, "organisation_id": org, "status": "submitted",
                     "sharing": "anonymous", "form": "full", "target_preset": None,
                     "profile": {"ai_roles": ["user"], "genai_public": False, "high_impact": False,
                                 "sector": "finance", "size": "small"},
                     "submitted_at": T0, "name": None})
        answers.extend({"assessment_id": aid, "question_id": q, "level": float(v), "na": False}
                       for q, v in levels.items())
        return aid

    first, second = QIDS[0], QIDS[1]
    for org in range(2, 7):
        add(1, org, {first: 1, second: 1})
        add(2, org, {first: 3 if org < 5 else 1, second: 1 if org < 6 else 2})
    own = add(2, 1, {first: 1, second: 1})
    stats = member_stats(MINI, pd.DataFrame(rows, columns=list(SUBMISSION_COLUMNS)), pd.DataFrame(answers),
                         own_assessment_id=own, round_id=2, previous_round_id=1, segment="sector", min_group=5)
    assert stats.close_first_method == "trend"
    assert [(c.question_id, c.count, c.peers) for c in stats.close_first] == [(first, 3, 5), (second, 1, 5)]
    # Without a previous round: peers already at their target (3 of 5 reach 3 on the first question,
    # whose target is 3; 1 of 5 reaches the second question's target of 2).
    snap = member_stats(MINI, pd.DataFrame(rows, columns=list(SUBMISSION_COLUMNS)), pd.DataFrame(answers),
                        own_assessment_id=own, round_id=2, previous_round_id=None, segment="sector", min_group=5)
    assert snap.close_first_method == "snapshot"
    assert [(c.question_id, c.count, c.peers, c.target) for c in snap.close_first] == [(first, 3, 5, 3.0),
                                                                                      (second, 1, 5, 2.0)]
