"""Excel downloads: the summary of a stored assessment and the offline questionnaire template.

The summary is built from the same state the app's results page shows
(:func:`services.assessments.assessment_record`: the assessment, its answers, their result and the
history, read from one snapshot), so its numbers are the app's numbers.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine

from db.engine import write_session
from db.models import EventLog, utcnow
from excel.contract import TemplateBase
from excel.summary import SummaryInfo, build_summary
from excel.template import build_template
from i18n import normalise_language
from questionnaires import DEFAULT_ID, get_questionnaire
from scoring.readiness import framework_readiness
from services.access import Actor
from services.actions import list_actions
from services.assessments import (
    AnswerView,
    AssessmentView,
    assessment_record,
    get_assessment,
    load_answers,
    questionnaire_for,
)
from services.errors import NotFound, ServiceError
from services.organisations import get_organisation


def _peer_median(engine: Engine, actor: Actor, assessment_id: int) -> dict[str, float | None] | None:
    """Per-dimension peer medians when the assessment's round may show them, else None."""
    from services.peer_comparison import peer_summary

    try:
        summary = peer_summary(engine, actor, assessment_id)
    except ServiceError:
        return None
    return dict(summary.median) if summary is not None else None


def summary_xlsx(engine: Engine, actor: Actor, assessment_id: int, lang: str) -> bytes:
    """The summary workbook of one assessment in ``lang`` (zh or en); NotFound for other tenants."""
    lang = normalise_language(lang)
    # One snapshot: the workbook's scores are exactly those of the answers and history it lists.
    state, changes = assessment_record(engine, actor, assessment_id)
    view, answers, result = state.view, state.answers, state.result
    info = SummaryInfo(organisation=view.organisation_name, assessment_id=view.id, title=view.title,
                       status=view.status, created_at=view.created_at, updated_at=view.updated_at,
                       submitted_at=view.submitted_at, generated_at=utcnow(), generated_by=actor.username)
    data = build_summary(result, questionnaire_for(view), answers, info, lang,
                         peer_median=_peer_median(engine, actor, assessment_id), history=changes,
                         readiness=framework_readiness(questionnaire_for(view), answers, result.applicable),
                         actions=list_actions(engine, actor, view.organisation_id), today=utcnow().date())
    with write_session(engine) as s:
        s.add(EventLog(user_id=actor.user_id, action="excel_export", object_type="assessment", object_id=view.id,
                       detail={"lang": lang}))
    return data


def _revisions(answers: dict[str, AnswerView]) -> dict[str, int]:
    return {qid: a.revision for qid, a in answers.items()}


def file_label(name: str, limit: int = 40) -> str:
    """A name (organisation, association) as part of a file name: letters, digits and CJK kept, the rest
    (path separators, spaces, quotes, control characters) turned into single hyphens, at most ``limit``."""
    kept = re.sub(r"[^\w\u3400-\u9fff]+", "-", name, flags=re.UNICODE).strip("-_")
    return kept[:limit].strip("-_") or "org"


def summary_filename(engine: Engine, actor: Actor, assessment_id: int) -> str:
    """E.g. ``星河智能科技有限公司-aigov-summary-12-20250301.xlsx``: which organisation it is, at a glance."""
    return summary_name(get_assessment(engine, actor, assessment_id))


def summary_name(view: AssessmentView) -> str:
    """:func:`summary_filename` of an assessment already read (no database access)."""
    return (f"{file_label(view.organisation_name)}-aigov-summary-{view.id}-"
            f"{(view.submitted_at or view.updated_at):%Y%m%d}.xlsx")


def template_xlsx(lang: str, *, questionnaire_id: str = DEFAULT_ID) -> bytes:
    """The blank offline template of a shipped questionnaire."""
    return build_template(get_questionnaire(questionnaire_id), normalise_language(lang))


def org_template_xlsx(engine: Engine, actor: Actor, org_id: int, lang: str, *,
                      assessment_id: int | None = None) -> bytes:
    """The template with the organisation's name and profile filled in, and a draft's answers for offline editing.

    With ``assessment_id`` the workbook also records that assessment and each answer's revision
    (template format 3), so that importing it back refuses to overwrite answers changed in the app
    meanwhile (services.imports).
    """
    org = get_organisation(engine, actor, org_id)
    answers: dict[str, Any] = {}
    qid, version = DEFAULT_ID, None  # a blank organisation template: the newest version
    base = None
    if assessment_id is not None:
        view = get_assessment(engine, actor, assessment_id)
        if view.organisation_id != org_id:
            raise NotFound(object="assessment", id=assessment_id)
        stored = load_answers(engine, actor, assessment_id)
        answers = dict(stored)
        base = TemplateBase(view.id, _revisions(stored))  # the revisions of exactly the answers written
        qid, version = view.questionnaire_id, view.questionnaire_version
    return build_template(get_questionnaire(qid, version), normalise_language(lang), profile=org.profile, answers=answers,
                          organisation=org.name, base=base)


def template_filename(lang: str, *, questionnaire_id: str = DEFAULT_ID, organisation: str | None = None) -> str:
    """The template's file name; a pre-filled one starts with its organisation's name."""
    q = get_questionnaire(questionnaire_id)
    prefix = f"{file_label(organisation)}-" if organisation else ""
    return f"{prefix}aigov-template-{q.id}-{q.version}-{normalise_language(lang)}.xlsx"
