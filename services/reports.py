"""PDF reports: gathers what a report shows with the same service calls the pages make, then renders.

The management report of an assessment reads its result (services.results), the organisation's
action plan (services.actions), the comparison with the previous assessment
(services.comparison), the answers and the evidence file names, all with the caller's rights: a
report is "not found" wherever the assessment is. Generating one is written to the event log.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine

from db.engine import write_session
from db.models import EventLog
from questionnaires import get_questionnaire
from reports.management import (
    ActionLine,
    AnswerLine,
    ChangeLine,
    ComparisonPart,
    ManagementReportData,
    UnitChange,
    management_pdf,
)
from scoring.readiness import framework_readiness
from scoring.types import AssessmentResult, UnitScore
from services.access import Actor
from services.actions import list_actions
from services.assessments import AssessmentView, get_assessment, load_answers
from services.comparison import compare
from services.errors import InvalidInput, Problem
from services.evidence import evidence_names
from services.results import assessment_result

LANGS = ("zh", "en")
EXTREMES = 3


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InvalidInput(problems=[Problem("report_lang", {"lang": str(lang)[:20]})])
    return lang


def strongest_and_weakest(result: AssessmentResult, n: int = EXTREMES) -> tuple[tuple[UnitScore, ...],
                                                                                 tuple[UnitScore, ...]]:
    """The ``n`` highest and ``n`` lowest scored sub-dimensions (questionnaire order breaks ties); the
    weakest never repeat one of the strongest."""
    order = {u.id: i for i, u in enumerate(result.subdimensions)}
    scored = [u for u in result.subdimensions if u.score is not None]
    best = tuple(sorted(scored, key=lambda u: (-(u.score or 0), order[u.id]))[:n])
    rest = [u for u in scored if u not in best]
    worst = tuple(sorted(rest, key=lambda u: (u.score or 0, order[u.id]))[:n])
    return best, worst


def management_report_data(engine: Engine, actor: Actor, assessment_id: int, lang: str, *,
                           now: datetime | None = None) -> ManagementReportData:
    check_lang(lang)
    view = get_assessment(engine, actor, assessment_id)
    result = assessment_result(engine, actor, assessment_id)
    today = (now or datetime.now(UTC)).date()
    actions = tuple(ActionLine(a.id, a.title, a.question_ids, a.owner_name, a.due_date, a.status, a.overdue(today),
                               a.drop_reason) for a in list_actions(engine, actor, view.organisation_id))
    answers = load_answers(engine, actor, assessment_id)
    files = evidence_names(engine, actor, assessment_id)
    order = list(result.applicable) + sorted(set(answers) - set(result.applicable))
    lines = tuple(AnswerLine(qid, a.level if (a := answers.get(qid)) else None, bool(a and a.na),
                             a.justification if a else "", a.note if a else "", tuple(files.get(qid, ())))
                  for qid in order if qid in answers or qid in files)
    comp = compare(engine, actor, assessment_id)
    part = None
    if comp is not None:
        part = ComparisonPart(
            comp.previous_id, comp.previous_submitted_at,
            tuple(UnitChange(u.kind, u.id, u.previous, u.current, u.delta, u.change) for u in comp.units
                  if u.kind != "subdimension"),
            tuple(ChangeLine(c.question_id, c.from_level, c.from_na, c.to_level, c.to_na, c.changed_by, c.changed_at)
                  for c in comp.changed_answers))
    best, worst = strongest_and_weakest(result)
    questionnaire = get_questionnaire(view.questionnaire_id, view.questionnaire_version)
    return ManagementReportData(
        lang=lang, organisation=view.organisation_name, assessment_id=view.id, assessment_title=view.title,
        status=view.status, submitted_at=view.submitted_at, form=view.form,
        generated_at=(now or datetime.now(UTC)).replace(tzinfo=None, microsecond=0),
        questionnaire=questionnaire, result=result, strongest=best, weakest=worst,
        actions=actions, answers=lines, comparison=part, today=today,
        readiness=framework_readiness(questionnaire, answers, result.applicable))


def management_report_pdf(engine: Engine, actor: Actor, assessment_id: int, lang: str) -> bytes:
    """The management report of an assessment as PDF bytes (recorded in the event log)."""
    data = management_report_data(engine, actor, assessment_id, lang)
    pdf = management_pdf(data)
    with write_session(engine) as s:
        s.add(EventLog(user_id=actor.user_id, action="report_generated", object_type="assessment",
                       object_id=assessment_id, detail={"report": "management", "lang": lang}))
    return pdf


def report_filename(view: AssessmentView, lang: str) -> str:
    """The PDF's file name: assessment id, date of submission (or last change) and language."""
    stamp = (view.submitted_at or view.updated_at).strftime("%Y%m%d")
    return f"aigov-report-{view.id}-{stamp}-{check_lang(lang)}.pdf"
