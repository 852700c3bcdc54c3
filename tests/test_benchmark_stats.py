"""The release path puts the right members' scores into the right statistics: a reference check.

With the noise switched off (the exact mechanisms of tests/support/weakened.py), a release must
equal a straightforward reference computation on random cohorts: every member scored on its own
with ``scoring.score_assessment``, quantiles, thresholds on *independent* members and gap counts
with plain Python loops. The code under test does one vectorised pass over the whole cohort. The
noise itself is tested in tests/test_benchmark_release.py, the privacy in test_benchmark_attacks.py.
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

from benchmarking.statistics import (
    SUBMISSION_COLUMNS,
    OwnGap,
    member_view,
    primary_ai_role,
    segment_values,
)
from privacy.parameters import GAP_CONTRIBUTION
from privacy.release import ReleasedGap, ReleasedStatistics, UnitQuantiles
from questionnaires import load_questionnaire
from scoring import AnswerInput, score_assessment
from tests.support.releases import release_of
from tests.support.weakened import EXACT

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


def _values(members: list[dict[str, Any]], results: dict[int, Any], unit: str) -> tuple[list[float], int]:
    """The members' scores on ``unit`` and how many of them are independent (anonymous here)."""
    scored = [(results[m["assessment_id"]][unit], not m["identified"]) for m in members
              if results[m["assessment_id"]][unit] is not None]
    return [v for v, _ in scored], sum(1 for _, independent in scored if independent)


def _close(value: float | None, expected: float) -> bool:
    return value is not None and abs(value - round(expected, 2)) < 1e-9


BIG = [{"sector": SECTORS[i % 2], "size": "small", "roles": ROLES[i % 4], "high_impact": i % 3 == 0,
        "identified": i % 4 == 0, "status": "submitted", "resubmitted": i == 3,
        "answers": [(i * 7 + j * 3) % 6 if (i + j) % 5 else None for j in range(len(QIDS))]} for i in range(13)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(member, max_size=14), k=st.integers(3, 6))
@example(members=BIG, k=5)
def test_release_matches_the_reference(members: list[dict[str, Any]], k: int) -> None:
    subs, answers, counted = _frames(members)
    stats = release_of(MINI, subs, answers, 1, min_group=k, mech=EXACT)
    group = list(counted.values())
    results = {m["assessment_id"]: _unit_scores(_reference_scores(m)) for m in group}
    assert stats.units == ("overall", *DIMS)
    for unit in stats.units:
        values, independent = _values(group, results, unit)
        q = stats.quantiles[unit]
        assert q.shown == (independent >= k), (unit, independent)
        if q.shown:
            for name, p in (("p25", 0.25), ("median", 0.5), ("p75", 0.75)):
                assert _close(getattr(q, name), _quantile(values, p)), (unit, name)
        else:
            assert q == UnitQuantiles(None, None, None)
    assert stats.count == (len(group) if stats.shown else None)

    for field, key in (("sector", lambda m: m["sector"]), ("size", lambda m: m["size"]),
                       ("ai_role", lambda m: primary_ai_role(MINI, m["roles"]))):
        rows = {r.value: r for r in stats.segments if r.field == field}
        # Every option of the profile field, with or without submissions (an empty one looks like a hidden one).
        assert list(rows) == list(segment_values(MINI, field))
        for value, row in rows.items():
            members_in = [m for m in group if key(m) == value]
            _, independent = _values(members_in, results, "overall")
            assert row.shown == (independent >= k)
            for unit in stats.units:
                values, independent_u = _values(members_in, results, unit)
                if row.shown and independent_u >= k:
                    assert _close(row.medians[unit], _quantile(values, 0.5)), (field, value, unit)
                else:
                    assert row.medians[unit] is None
            if not row.shown:
                assert row.count is None
        # Complementary suppression: the members behind hidden counts are none or at least k.
        behind = len(group) - sum(len([m for m in group if key(m) == r.value]) for r in rows.values()
                                  if r.count is not None)
        assert behind == 0 or behind >= k or all(r.count is None for r in rows.values())


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(members=st.lists(member, min_size=1, max_size=14), k=st.integers(3, 6))
@example(members=BIG, k=3)
def test_common_gaps_match_the_reference(members: list[dict[str, Any]], k: int) -> None:
    """Each member counts for its (up to) five highest-priority high gaps; exact counts without noise."""
    subs, answers, counted = _frames(members)
    stats = release_of(MINI, subs, answers, 1, min_group=k, mech=EXACT)
    order = {q: i for i, q in enumerate(QIDS)}
    counts: dict[str, int] = dict.fromkeys(QIDS, 0)
    for m in counted.values():
        high = [g for g in _reference_scores(m).gaps if g.band == "high"]
        high.sort(key=lambda g: (-g.priority, order[g.question_id]))
        for g in high[:GAP_CONTRIBUTION]:
            counts[g.question_id] += 1
    if not stats.shown:
        assert stats.gaps == ()
        return
    assert {g.question_id: g.count for g in stats.gaps} == {q: n for q, n in counts.items() if n > 0}
    for g in stats.gaps:
        assert g.share == pytest.approx(round(g.count / len(counted), 2))
    assert [g.count for g in stats.gaps] == sorted((g.count for g in stats.gaps), reverse=True)


def _release(gaps: dict[str, float]) -> ReleasedStatistics:
    units = ("overall", *DIMS)
    shown = UnitQuantiles(1.0, 2.0, 3.0)
    return ReleasedStatistics(2.0, 5, units, True, 20, dict.fromkeys(units, shown), (),
                              tuple(ReleasedGap(q, round(s * 20), s) for q, s in gaps.items()), ())


def test_close_first_reads_only_released_common_gaps() -> None:
    """Trend: own gaps whose released share fell the most since the previous round. Snapshot: own
    gaps that are not among the round's released common gaps, by the member's own priority."""
    first, second, third = QIDS[:3]
    own_gaps = [OwnGap(first, DIMS[0], 1, 3.0, 4.0), OwnGap(second, DIMS[0], 1, 2.0, 2.0),
                OwnGap(third, DIMS[0], 0, 3.0, 6.0)]
    own: dict[str, float | None] = dict.fromkeys(("overall", *DIMS), 2.5)
    now, before = _release({first: 0.2, second: 0.5}), _release({first: 0.6, second: 0.55, third: 0.1})
    trend = member_view(now, own=own, own_segments={}, own_gaps=own_gaps, segment="all", previous=before,
                        typical_error=None)
    assert trend.close_first_method == "trend"
    assert [(c.question_id, c.share) for c in trend.close_first] == [(first, 0.4), (third, 0.1), (second, 0.05)]
    snap = member_view(now, own=own, own_segments={}, own_gaps=own_gaps, segment="all", previous=None,
                       typical_error=None)
    assert snap.close_first_method == "snapshot"
    assert [(c.question_id, c.share) for c in snap.close_first] == [(third, None)]
    assert snap.position == {u: "median_p75" for u in own}  # 2.5 lies between the median 2 and P75 3
