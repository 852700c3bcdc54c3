"""Properties of the scoring method on the mini questionnaire (hypothesis).

Each property is one of the issue's guarantees: bounds, monotonicity, N/A = left out, order
independence, percent to target, cohort = one by one and agreement with the naive reference.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from enums import AssessmentForm
from questionnaires import load_questionnaire
from questionnaires.schema import Questionnaire
from scoring import (
    AnswerInput,
    AssessmentResult,
    GapRow,
    UnitScore,
    score_assessment,
    score_cohort,
)
from tests.scoring_reference import assert_matches, reference_score

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
Q = load_questionnaire(MINI)
IDS = [question.id for question in Q.questions()]
FIELD = {f.id: f for f in Q.profile.fields}
PRESETS = [p.id for p in Q.targets.presets]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

profiles = st.fixed_dictionaries({
    "ai_roles": st.lists(st.sampled_from(FIELD["ai_roles"].option_ids()), min_size=1, max_size=3, unique=True),
    "genai_public": st.booleans(),
    "high_impact": st.booleans(),
    "sector": st.sampled_from(FIELD["sector"].option_ids()),
    "size": st.sampled_from(FIELD["size"].option_ids()),
})
answer_values = st.one_of(st.none(), st.just("na"), st.integers(0, 5))
answer_sets = st.fixed_dictionaries({qid: answer_values for qid in IDS})
presets = st.sampled_from([None, *PRESETS])
FORMS = tuple(AssessmentForm)
forms = st.sampled_from(FORMS)


def inputs(raw: dict[str, Any]) -> dict[str, AnswerInput]:
    """Answers as the engine takes them; None = the question is left out of the answers entirely."""
    out = {}
    for qid, v in raw.items():
        if v is None:
            continue
        out[qid] = AnswerInput(na=True) if v == "na" else AnswerInput(level=v)
    return out


def as_file_answers(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {qid: ({"na": True} if v == "na" else {"level": v}) for qid, v in raw.items() if v is not None}


Member = tuple[dict[str, Any], dict[str, Any], str | None, AssessmentForm]  # profile, raw answers, preset, form


def _cohort_equals_alone_and_reference(q: Questionnaire, members: Sequence[Member]) -> None:
    """The cohort pass gives each member exactly its one-assessment result, which matches the naive reference."""
    assessments, answers = _frames(members)
    cohort = score_cohort(q, assessments, answers)
    for i, (profile, raw, preset, form) in enumerate(members):
        alone = score_assessment(q, profile, inputs(raw), preset, form)
        assert cohort.result(f"a{i}") == alone
        assert_matches(alone.to_json(), reference_score(q, profile, as_file_answers(raw), preset, form))


def _gap_key(g: GapRow) -> tuple[str, int, str]:
    return (g.question_id, g.level, g.band)


def all_units(r: AssessmentResult) -> list[UnitScore]:
    return [r.overall, *r.dimensions, *r.subdimensions, *r.principles, *r.stages]


def numbers(r: AssessmentResult) -> dict[tuple[str, str], tuple[float | None, int | None, float | None]]:
    return {(u.kind, u.id): (u.score, u.level, u.target) for u in all_units(r)}


@SETTINGS
@given(profiles, answer_sets, presets, forms)
def test_engine_agrees_with_the_naive_reference(profile: dict, raw: dict, preset: str | None, form: str) -> None:
    result = score_assessment(Q, profile, inputs(raw), preset, form)  # type: ignore[arg-type]
    assert_matches(result.to_json(), reference_score(Q, profile, as_file_answers(raw), preset, form))


@SETTINGS
@given(profiles, answer_sets, presets, forms)
def test_every_score_is_within_0_and_5(profile: dict, raw: dict, preset: str | None, form: str) -> None:
    r = score_assessment(Q, profile, inputs(raw), preset, form)  # type: ignore[arg-type]
    for u in all_units(r):
        if u.score is None:
            assert u.level is None and u.target is None and not u.why
            continue
        assert 0 <= u.score <= 5 and 0 <= u.target <= 5
        assert u.level == math.floor(u.score + 1e-9) and 0 <= u.level <= 5
        assert u.completeness is None or 0 <= u.completeness <= 1
        # the "why" trace reproduces the score: Σ w·value / Σ w over the items it lists
        weighted = [(item.weight, item.level) for item in u.why if item.level is not None]
        assert len(weighted) == len(u.why)  # every input of a scored unit has a value
        total = sum(w for w, _ in weighted)
        assert math.isclose(sum(w * v for w, v in weighted) / total, u.score, abs_tol=1e-12)


@SETTINGS
@given(profiles, answer_sets, presets, forms, st.data())
def test_raising_one_answer_never_lowers_any_score(profile: dict, raw: dict, preset: str | None, form: str,
                                                   data: st.DataObject) -> None:
    raisable = [qid for qid, v in raw.items() if isinstance(v, int) and v < 5]
    if not raisable:
        return
    qid = data.draw(st.sampled_from(raisable))
    higher = {**raw, qid: data.draw(st.integers(raw[qid] + 1, 5))}
    before = score_assessment(Q, profile, inputs(raw), preset, form)  # type: ignore[arg-type]
    after = score_assessment(Q, profile, inputs(higher), preset, form)  # type: ignore[arg-type]
    for key, (score, level, _) in numbers(before).items():
        new_score, new_level, _ = numbers(after)[key]
        assert (score is None) == (new_score is None)
        if score is not None:
            assert new_score >= score - 1e-12 and new_level >= level, key
    if before.percent_to_target is not None:
        assert after.percent_to_target >= before.percent_to_target - 1e-12


@SETTINGS
@given(profiles, answer_sets, presets, forms, st.sampled_from(IDS))
def test_na_equals_leaving_the_question_out_of_scores(profile: dict, raw: dict, preset: str | None, form: str,
                                                      qid: str) -> None:
    with_na = score_assessment(Q, profile, inputs({**raw, qid: "na"}), preset, form)  # type: ignore[arg-type]
    left_out = score_assessment(Q, profile, inputs({**raw, qid: None}), preset, form)  # type: ignore[arg-type]
    assert numbers(with_na) == numbers(left_out)
    assert with_na.percent_to_target == left_out.percent_to_target
    assert with_na.gaps == left_out.gaps
    assert [u.why for u in all_units(with_na)] == [u.why for u in all_units(left_out)]
    # ... but N/A counts as answered: only the to-answer list and completeness differ
    assert set(left_out.to_answer) - set(with_na.to_answer) <= {qid}


def _reordered(q: Questionnaire) -> Questionnaire:
    """The same questionnaire with questions and sub-dimensions listed in reverse order."""
    return q.model_copy(update={"dimensions": [
        d.model_copy(update={"subdimensions": [
            s.model_copy(update={"questions": list(reversed(s.questions))}) for s in reversed(d.subdimensions)]})
        for d in q.dimensions]})


REORDERED = _reordered(Q)


@SETTINGS
@given(profiles, answer_sets, presets, forms, st.randoms(use_true_random=False))
def test_permuting_question_and_answer_order_changes_nothing(profile: dict, raw: dict, preset: str | None,
                                                             form: str, rnd: Any) -> None:
    answers = inputs(raw)
    base = score_assessment(Q, profile, answers, preset, form)  # type: ignore[arg-type]
    items = list(answers.items())
    rnd.shuffle(items)
    assert score_assessment(Q, profile, dict(items), preset, form) == base  # type: ignore[arg-type]

    other = score_assessment(REORDERED, profile, dict(items), preset, form)  # type: ignore[arg-type]
    a, b = numbers(base), numbers(other)
    assert a.keys() == b.keys()
    for key, (score, level, target) in a.items():
        s2, l2, t2 = b[key]
        assert level == l2, key
        for x, y in ((score, s2), (target, t2)):
            assert (x is None and y is None) or math.isclose(x, y, abs_tol=1e-12), key  # type: ignore[arg-type]
    assert base.percent_to_target == pytest.approx(other.percent_to_target, abs=1e-12)
    assert sorted(map(_gap_key, base.gaps)) == sorted(map(_gap_key, other.gaps))
    assert sorted(base.to_answer) == sorted(other.to_answer)


@SETTINGS
@given(profiles, presets, forms, st.data())
def test_percent_to_target_is_a_share_and_1_at_target(profile: dict, preset: str | None, form: str,
                                                       data: st.DataObject) -> None:
    raw = data.draw(answer_sets)
    r = score_assessment(Q, profile, inputs(raw), preset, form)  # type: ignore[arg-type]
    assert r.percent_to_target is None or 0 <= r.percent_to_target <= 1
    # Every level at or above its target → exactly 1 and no gaps.
    chosen = Q.preset(r.target_preset)
    at_target = {}
    for d in Q.dimensions:
        for s in d.subdimensions:
            for question in s.questions:
                target = max(chosen.levels[d.id], chosen.critical) if question.critical else chosen.levels[d.id]
                at_target[question.id] = data.draw(st.one_of(st.none(), st.just("na"),
                                                             st.integers(math.ceil(target), 5)))
    r2 = score_assessment(Q, profile, inputs(at_target), r.target_preset, form)  # type: ignore[arg-type]
    assert r2.gaps == ()
    assert r2.percent_to_target in (None, 1.0)
    if any(isinstance(v, int) for v in at_target.values()) and r2.overall.answered > r2.overall.na:
        assert r2.percent_to_target == 1.0


cohorts = st.lists(st.tuples(profiles, answer_sets, presets, forms), min_size=1, max_size=8)


def _frames(members: Sequence[Member]) -> tuple[pd.DataFrame, pd.DataFrame]:
    assessments = pd.DataFrame({
        "assessment_id": [f"a{i}" for i in range(len(members))],
        "profile": [m[0] for m in members],
        "target_preset": [m[2] for m in members],
        "form": [m[3] for m in members],
    })
    rows = [(f"a{i}", qid, None if v == "na" else v, v == "na")
            for i, m in enumerate(members) for qid, v in m[1].items() if v is not None]
    answers = pd.DataFrame(rows, columns=["assessment_id", "question_id", "level", "na"])
    return assessments, answers.sample(frac=1.0, random_state=len(rows))  # answer row order is irrelevant


@SETTINGS
@given(cohorts)
def test_the_cohort_path_equals_scoring_each_assessment_alone(members: list) -> None:
    assessments, answers = _frames(members)
    cohort = score_cohort(Q, assessments, answers)
    gaps = cohort.gaps()
    levels = {kind: cohort.levels(kind) for kind in ("subdimension", "principle", "stage")}
    for i, (profile, raw, preset, form) in enumerate(members):
        alone = score_assessment(Q, profile, inputs(raw), preset, form)
        assert cohort.result(f"a{i}") == alone  # identical, not merely close
        assert_equal_or_nan(cohort.scores("overall").loc[f"a{i}", "overall"], alone.overall.score)
        for d in alone.dimensions:
            assert_equal_or_nan(cohort.scores("dimension").loc[f"a{i}", d.id], d.score)
            assert_equal_or_nan(cohort.completeness.loc[f"a{i}", d.id], d.completeness)
        for kind, frame, units in (("subdimension", cohort.scores("subdimension"), alone.subdimensions),
                                   ("principle", cohort.scores("principle"), alone.principles),
                                   ("stage", cohort.scores("stage"), alone.stages)):
            for u in units:
                assert_equal_or_nan(frame.loc[f"a{i}", u.id], u.score)
                level = levels[kind].loc[f"a{i}", u.id]
                assert (u.level is None and pd.isna(level)) or level == u.level
        assert_equal_or_nan(cohort.percent_to_target[f"a{i}"], alone.percent_to_target)
        mine = gaps[gaps["assessment_id"] == f"a{i}"]
        assert list(mine["question_id"]) == [g.question_id for g in alone.gaps]
        assert list(mine["band"]) == [g.band for g in alone.gaps]


def assert_equal_or_nan(value: float, expected: float | None) -> None:
    if expected is None:
        assert pd.isna(value)
    else:
        assert value == expected


def test_cohort_rejects_bad_input() -> None:
    assessments = pd.DataFrame({"assessment_id": [1], "profile": [Q.default_profile()]})
    bad_answers = [
        pd.DataFrame({"assessment_id": [1], "question_id": ["NOPE-XX-01"], "level": [1], "na": [False]}),
        pd.DataFrame({"assessment_id": [2], "question_id": [IDS[0]], "level": [1], "na": [False]}),
        pd.DataFrame({"assessment_id": [1], "question_id": [IDS[0]], "level": [6], "na": [False]}),
        pd.DataFrame({"assessment_id": [1, 1], "question_id": [IDS[0]] * 2, "level": [1, 2], "na": [False] * 2}),
    ]
    for answers in bad_answers:
        with pytest.raises(ValueError):
            score_cohort(Q, assessments, answers)
    with pytest.raises(ValueError):
        score_cohort(Q, assessments.assign(target_preset="nope"), bad_answers[0].iloc[:0])
    with pytest.raises(ValueError):
        score_cohort(Q, assessments.assign(form="long"), bad_answers[0].iloc[:0])
    with pytest.raises(ValueError):
        score_assessment(Q, Q.default_profile(), {"NOPE-XX-01": AnswerInput(1)})


def test_empty_cohort() -> None:
    cohort = score_cohort(Q, pd.DataFrame({"assessment_id": [], "profile": []}),
                          pd.DataFrame({"assessment_id": [], "question_id": [], "level": [], "na": []}))
    assert cohort.scores("overall").empty and cohort.gaps().empty


# --- the floating fallback and the real questionnaire ---------------------------------------------------

def _with_odd_weights(q: Questionnaire) -> Questionnaire:
    """Weights no short decimal can scale to whole numbers, so the engine must sum in floating point."""
    odd = iter([0.1 + 0.2, 1 / 3, 2 / 3])

    def reweigh(question: Any) -> Any:
        return question.model_copy(update={"weight": next(odd, question.weight)})

    return q.model_copy(update={"dimensions": [
        d.model_copy(update={"subdimensions": [
            s.model_copy(update={"questions": [reweigh(x) for x in s.questions]}) for s in d.subdimensions]})
        for d in q.dimensions]})


ODD = _with_odd_weights(Q)


def _with_decimal_weights(q: Questionnaire) -> Questionnaire:
    """Short decimal weights (1.3, 0.7, 2.25, 0.1): still exact, with a weight scale of 20."""
    weights = iter([1.3, 0.7, 2.25, 0.1] * 3)

    def reweigh(question: Any) -> Any:
        return question.model_copy(update={"weight": next(weights)})

    return q.model_copy(update={"dimensions": [
        d.model_copy(update={"subdimensions": [
            s.model_copy(update={"questions": [reweigh(x) for x in s.questions]}) for s in d.subdimensions]})
        for d in q.dimensions]})


DECIMAL = _with_decimal_weights(Q)


@SETTINGS
@given(cohorts)
def test_decimal_weights_stay_exact_and_agree_with_the_reference(members: list) -> None:
    from scoring import question_frame

    assert question_frame(DECIMAL).exact and question_frame(DECIMAL).weight_scale == 20
    _cohort_equals_alone_and_reference(DECIMAL, members)


def test_exactness_is_detected() -> None:
    from scoring import question_frame

    assert question_frame(Q).exact and question_frame(Q).weight_scale == 2
    assert not question_frame(ODD).exact


@SETTINGS
@given(cohorts)
def test_floating_fallback_agrees_with_the_reference_and_with_itself(members: list) -> None:
    _cohort_equals_alone_and_reference(ODD, members)


def test_real_questionnaire_cohort_equals_alone_and_reference() -> None:
    real = load_questionnaire(MINI.parents[2] / "questionnaires" / "caict-aigov" / "1.1.0")
    rng = np.random.default_rng(7)
    fields = {f.id: f for f in real.profile.fields}
    members = []
    for _ in range(25):
        profile = {"ai_roles": [r for r in fields["ai_roles"].option_ids() if rng.random() < 0.5] or ["user"],
                   "genai_public": bool(rng.random() < 0.5), "high_impact": bool(rng.random() < 0.5),
                   "sector": str(rng.choice(fields["sector"].option_ids())),
                   "size": str(rng.choice(fields["size"].option_ids()))}
        raw = {question.id: [None, "na", *range(6)][int(rng.integers(8))] for question in real.questions()}
        members.append((profile, raw, [None, "baseline", "leading"][int(rng.integers(3))],
                        FORMS[int(rng.integers(2))]))
    _cohort_equals_alone_and_reference(real, members)


def test_question_frames_are_cached_per_questionnaire_and_dropped_with_it() -> None:
    import gc

    from scoring import question_frame
    from scoring.frame import _CACHE

    assert question_frame(Q) is question_frame(Q)
    temporary = _reordered(Q)
    frame = question_frame(temporary)
    assert frame is not question_frame(Q) and id(temporary) in _CACHE
    key = id(temporary)
    del temporary
    gc.collect()
    assert key not in _CACHE
