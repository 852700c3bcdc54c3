"""Framework readiness of one assessment (scoring/readiness.py), for the results page, the Excel summary and reports."""

from __future__ import annotations

from sqlalchemy import Engine

from scoring.readiness import FrameworkReadiness, framework_readiness
from services.access import Actor
from services.assessments import get_assessment, load_answers, questionnaire_for
from services.results import assessment_result


def assessment_readiness(engine: Engine, actor: Actor, assessment_id: int) -> tuple[FrameworkReadiness, ...]:
    """Per framework (NIST AI RMF, ISO/IEC 42001 Annex A, TC260 1.0, EU AI Act): which items the assessment
    covers and at what level, items no question covers, and a summary. NotFound for other tenants."""
    view = get_assessment(engine, actor, assessment_id)
    answers = load_answers(engine, actor, assessment_id)
    result = assessment_result(engine, actor, assessment_id)
    return framework_readiness(questionnaire_for(view), answers, result.applicable)
