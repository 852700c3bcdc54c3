"""Scoring engine benchmark (issue 4): a synthetic cohort of 10,000 assessments of the full questionnaire.

Measured in one run: ``score_cohort`` plus what a benchmark release takes from it (the wide
overall, dimension and sub-dimension scores and each member's top gaps,
:func:`benchmarking.statistics.top_gaps`), against a bare
``answers.groupby(["assessment_id", "subdimension_id"])["level"].mean()`` over the same answer
table. Goal: within 3× of that bare pass and under 2 s.
The real questionnaire is used when it loads; otherwise mini's structure replicated to 63 questions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarking.statistics import top_gaps
from perf import best_of, best_of_pair
from questionnaires import QuestionnaireError, load_questionnaire
from questionnaires.schema import Questionnaire
from scoring import AnswerInput, score_assessment, score_cohort

ROOT = Path(__file__).resolve().parent.parent
N_ASSESSMENTS = 10_000
SEED = 20241


def synthetic_questionnaire() -> Questionnaire:
    """Mini's questions replicated into 4 dimensions × 4 sub-dimensions, 63 questions in all."""
    mini = load_questionnaire(ROOT / "tests" / "fixtures" / "mini")
    source = mini.questions()
    dims, k = [], 0
    dim_ids = ["GOV", "IDE", "ASM", "RES"]
    for d_pos, dim_id in enumerate(dim_ids):
        subs = []
        for s_pos, sub_id in enumerate(["AAA", "BBB", "CCC", "DDD"]):
            count = 3 if (d_pos, s_pos) == (3, 3) else 4
            questions = []
            for j in range(count):
                questions.append(source[k % len(source)].model_copy(update={"id": f"{dim_id}-{sub_id}-{j + 1:02d}"}))
                k += 1
            template = mini.dimensions[0].subdimensions[s_pos % 2]
            subs.append(template.model_copy(update={"id": f"{dim_id}-{sub_id}", "questions": questions}))
        dims.append(mini.dimensions[d_pos % 2].model_copy(update={"id": dim_id, "order": d_pos + 1,
                                                                 "subdimensions": subs}))
    presets = [p.model_copy(update={"levels": {d: p.levels["ALP"] for d in dim_ids}}) for p in mini.targets.presets]
    return mini.model_copy(update={
        "meta": mini.meta.model_copy(update={"dimensions": dim_ids}),
        "targets": mini.targets.model_copy(update={"presets": presets}),
        "dimensions": dims,
    })


def questionnaire() -> tuple[Questionnaire, str]:
    try:
        q = load_questionnaire(ROOT / "questionnaires" / "caict-aigov" / "1.0.0")
        if len(q.questions()) >= 50:
            return q, f"{q.id} {q.version}"
    except QuestionnaireError:
        pass
    return synthetic_questionnaire(), "synthetic: mini replicated to 63 questions"


def cohort(q: Questionnaire, n: int = N_ASSESSMENTS, seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Synthetic assessments (random valid profiles, presets, forms) and every one of their answers."""
    rng = np.random.default_rng(seed)
    fields = {f.id: f for f in q.profile.fields}
    profiles: list[dict[str, Any]] = []
    for _ in range(n):
        profile: dict[str, Any] = {}
        for fid, fld in fields.items():
            options = fld.option_ids()
            if fld.type == "multi":
                chosen = [o for o in options if rng.random() < 0.4]
                profile[fid] = chosen or [options[int(rng.integers(len(options)))]]
            elif fld.type == "bool":
                profile[fid] = bool(rng.random() < 0.3)
            else:
                profile[fid] = options[int(rng.integers(len(options)))]
        profiles.append(profile)
    preset_ids = [p.id for p in q.targets.presets]
    assessments = pd.DataFrame({
        "assessment_id": np.arange(1, n + 1, dtype=np.int64),
        "profile": profiles,
        "target_preset": [None if rng.random() < 0.8 else preset_ids[int(rng.integers(len(preset_ids)))]
                          for _ in range(n)],
        "form": np.where(rng.random(n) < 0.9, "full", "core"),
    })
    questions = q.questions()
    nq = len(questions)
    draw = rng.random(n * nq)
    level = rng.choice(6, size=n * nq, p=[0.1, 0.2, 0.25, 0.25, 0.12, 0.08]).astype(float)
    na = draw < 0.05
    level[draw < 0.10] = np.nan  # 5% N/A, 5% left without a level
    subdimension = {question.id: sub.id for d in q.dimensions for sub in d.subdimensions for question in sub.questions}
    ids = np.array([question.id for question in questions], dtype=object)
    answers = pd.DataFrame({
        "assessment_id": np.repeat(assessments["assessment_id"].to_numpy(), nq),
        "question_id": pd.array(np.tile(ids, n), dtype="str"),
        "level": level,
        "na": na,
        "subdimension_id": pd.array(np.tile(np.array([subdimension[i] for i in ids], dtype=object), n), dtype="str"),
    })
    return assessments, answers


def run() -> list[dict[str, Any]]:
    q, label = questionnaire()
    assessments, answers = cohort(q)
    n_answers = len(answers)

    def bare() -> object:
        return answers.groupby(["assessment_id", "subdimension_id"])["level"].mean()

    state: dict[str, Any] = {}

    def engine() -> None:
        scores = score_cohort(q, assessments, answers)
        state["table"] = scores.all_scores(("overall", "dimension", "subdimension"))
        state["gaps"] = top_gaps(scores)
        state["scores"] = scores

    repeat = 15
    total, baseline = best_of_pair(engine, bare, repeat)
    scores, table = state["scores"], state["table"]
    only_scoring, _ = best_of_pair(lambda: score_cohort(q, assessments, answers), bare, repeat)
    gaps = best_of(lambda: top_gaps(scores), repeat)
    first = assessments.iloc[0]
    one_answers = {r.question_id: AnswerInput(None if np.isnan(r.level) else int(r.level), bool(r.na))
                   for r in answers.iloc[: len(q.questions())].itertuples()}
    single = best_of(lambda: score_assessment(q, first["profile"], one_answers, first["target_preset"],
                                              first["form"]), repeat)

    size = f"{len(assessments):,} assessments × {len(q.questions())} questions ({n_answers:,} answers)"
    bare_text = 'bare answers.groupby(["assessment_id", "subdimension_id"])["level"].mean()'
    return [
        {"name": f"scoring: score_cohort + release input, {size}", "seconds": total,
         "baseline_seconds": baseline, "baseline": bare_text,
         "goal": "ratio ≤ 3 and < 2 s", "note": f"questionnaire {label}; release input = wide scores of "
         f"{table.shape[1]} units + each member's top gaps; best of {repeat}"},
        {"name": "scoring:   score_cohort alone", "seconds": only_scoring, "baseline_seconds": baseline},
        {"name": "scoring:   top_gaps", "seconds": gaps},
        {"name": "scoring: score_assessment (one assessment)", "seconds": single},
    ]
