"""Scores of stored assessments: one call into the scoring engine per request, same numbers everywhere."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Answer, Assessment, Organisation
from enums import AssessmentForm, AssessmentStatus
from questionnaires import Questionnaire, get_questionnaire
from questionnaires.migration import MigrationError, get_migration
from scoring import score_assessment, score_cohort
from scoring.types import AnswerInput, AssessmentResult
from services import answers
from services.access import Actor

if TYPE_CHECKING:
    from services.answers import AnswerView


def effective_profile(a: Assessment, org: Organisation) -> dict[str, Any]:
    """The profile an assessment is scored with: its snapshot once submitted, else the live profile."""
    return dict(a.profile_snapshot if a.status == AssessmentStatus.SUBMITTED and a.profile_snapshot else org.profile or {})


def effective_preset(a: Assessment, org: Organisation, q: Questionnaire, profile: dict[str, Any]) -> str:
    return a.target_preset or org.target_preset or q.default_preset(profile)


def score_stored(a: Assessment, org: Organisation, stored: Iterable[AnswerView]) -> AssessmentResult:
    """The scoring engine's result for an assessment and the answers read with it (no database access)."""
    q = get_questionnaire(a.questionnaire_id, a.questionnaire_version)
    profile = effective_profile(a, org)
    given = {x.question_id: AnswerInput(level=x.level, na=x.na) for x in stored}
    return score_assessment(q, profile, given, target_preset=effective_preset(a, org, q, profile),
                            form=AssessmentForm(a.form))


def assessment_result(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentResult:
    with read_session(engine) as s:
        a, org = answers.load_with_organisation(s, actor, assessment_id)
        return score_stored(a, org, [answers.view(row, name) for row, name in answers.load_rows(s, a.id).values()])


@dataclass(frozen=True)
class HistoryPoint:
    assessment_id: int
    title: str
    submitted_at: Any
    overall: float | None
    dimensions: dict[str, float | None]
    questionnaire_version: str = ""


def history_of(s: Session, org: Organisation) -> list[HistoryPoint]:
    """Scores of an organisation's submitted assessments, oldest first (for trends and deltas), for an
    organisation the caller's session may read: one statement without a submitted assessment, two with."""
    rows = list(s.scalars(select(Assessment).where(Assessment.organisation_id == org.id,
                                                   Assessment.status == AssessmentStatus.SUBMITTED)
                          .order_by(Assessment.submitted_at, Assessment.id)))
    if not rows:
        return []
    ids = [a.id for a in rows]
    ans = pd.DataFrame(
        s.execute(select(Answer.assessment_id, Answer.question_id, Answer.level, Answer.is_na)
                  .where(Answer.assessment_id.in_(ids))).all(),
        columns=["assessment_id", "question_id", "level", "na"],
    )
    points = []
    by_q: dict[tuple[str, str], list[Assessment]] = {}
    for a in rows:
        by_q.setdefault((a.questionnaire_id, a.questionnaire_version), []).append(a)
    scored: dict[int, AssessmentResult] = {}
    for (qid, version), group in by_q.items():
        q = get_questionnaire(qid, version)
        frame = pd.DataFrame([
            {"assessment_id": a.id, "profile": effective_profile(a, org),
             "target_preset": effective_preset(a, org, q, effective_profile(a, org)), "form": a.form}
            for a in group
        ])
        cohort = score_cohort(q, frame, ans[ans["assessment_id"].isin(frame["assessment_id"])])
        for a in group:
            scored[a.id] = cohort.result(a.id)
    for a in rows:
        r = scored[a.id]
        points.append(HistoryPoint(a.id, a.title, a.submitted_at, r.overall.score,
                                   {d.id: d.score for d in r.dimensions}, a.questionnaire_version))
    return points


def not_comparable_units(questionnaire_id: str, old_version: str, new_version: str) -> frozenset[str]:
    """Ids of units (overall, dimensions, sub-dimensions, principles) whose scores on ``old_version`` and
    ``new_version`` do not measure the same questions (questionnaires/migration.py); every unit when no mapping
    between the two versions is declared."""
    if old_version == new_version:
        return frozenset()
    old, new = get_questionnaire(questionnaire_id, old_version), get_questionnaire(questionnaire_id, new_version)
    try:
        pair = sorted((old_version, new_version), key=lambda v: tuple(int(x) for x in v.split(".")))
        mapping = get_migration(questionnaire_id, pair[0], pair[1])
    except MigrationError:
        units = {"overall"} | {d.id for q in (old, new) for d in q.dimensions}
        units |= {s.id for q in (old, new) for d in q.dimensions for s in d.subdimensions}
        return frozenset(units | set(old.meta.principles) | set(new.meta.principles))
    first, second = (old, new) if pair[0] == old_version else (new, old)
    return frozenset(mapping.changed_units(first, second))
