"""Import filled offline templates: validate the whole file first, then write in one go or not at all.

``check_workbook`` validates without writing (the app shows every problem at once and asks for
confirmation); ``import_workbook`` validates again and writes, in one transaction either way: a new
draft with its answers, or an existing draft's answers — and the organisation profile when the
caller asks. Answers are written by :func:`services.assessments._write_answers`, the code every
bulk save uses. Rows left completely blank in the file leave stored answers untouched; a row with
any content replaces the stored answer. Association bulk imports (:mod:`services.member_imports`)
reuse the checks and the draft builder below.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from db.engine import write_session
from db.models import Assessment, EventLog, Organisation
from excel.contract import ANSWER_COLUMNS, letter
from excel.problems import Problem, WorkbookRejected
from excel.reader import FilledTemplate, read_template
from questionnaires import Questionnaire, get_questionnaire
from services.access import Actor
from services.assessments import (
    MAX_TEXT,
    AnswerInputData,
    Source,
    _load,
    _write_answers,
    get_assessment,
    validate_answer,
)
from services.errors import Forbidden, InvalidInput, NotFound
from services.organisations import validate_profile


@dataclass(frozen=True)
class ImportReport:
    """The outcome for one file: ``ok`` with counts, or every problem (and nothing stored)."""

    ok: bool
    problems: tuple[Problem, ...] = ()
    questionnaire_id: str = ""
    questionnaire_version: str = ""
    answered: int = 0  # rows with a level or N/A
    na: int = 0
    noted: int = 0  # rows with only a note or justification
    blank: int = 0  # questions left blank (stored answers untouched)
    assessment_id: int | None = None
    created: bool = False
    changed: int = 0
    profile_updated: bool = False
    profile: dict[str, Any] = field(default_factory=dict)

    def messages(self, lang: str = "en") -> list[str]:
        return [p.text(lang) for p in self.problems]


def answers_of(filled: FilledTemplate) -> list[AnswerInputData]:
    return [AnswerInputData(a.question_id, a.level, a.na, a.justification, a.note) for a in filled.answers]


# The answer-sheet cells a services rule can be about, each with a value that satisfies every rule on
# its own, tried in this order: a rule whose message goes away when a cell takes that value is about
# that cell (N/A without a justification is about the empty justification, not the level).
_RULE_CELLS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("justification", {"justification": "-"}), ("note", {"note": ""}), ("level", {"level": None, "na": False}))


def _rule_column(q: Questionnaire, d: AnswerInputData, message: str) -> str:
    """The answer-sheet column a services rule message is about; the question id when no input cell is."""
    for column, valid in _RULE_CELLS:
        if message not in validate_answer(q, replace(d, **valid)):
            return column
    return "id"


def answer_problems(filled: FilledTemplate, q: Questionnaire) -> list[Problem]:
    """The services' own answer rules, each located at the cell it is about; and a file with no answer at all."""
    problems = [Problem("answer_rule", filled.answers_sheet, f"{letter(ANSWER_COLUMNS, _rule_column(q, d, message))}"
                        f"{a.row}", {"message": message})
                for a, d in zip(filled.answers, answers_of(filled), strict=True) for message in validate_answer(q, d)]
    if not filled.answers:
        problems.append(Problem("no_answers", filled.answers_sheet))
    return problems


def profile_problems(filled: FilledTemplate, q: Questionnaire) -> list[Problem]:
    """Why the file's profile cannot be stored: blank cells first, else the services' profile rules."""
    if filled.profile_gaps:
        return list(filled.profile_gaps)
    try:
        validate_profile(filled.profile, q.id)
    except InvalidInput as exc:
        return [Problem("answer_rule", filled.profile_sheet, "", {"message": m}) for m in exc.problems]
    return []


def new_draft(s: Session, actor: Actor, org_id: int, q: Questionnaire, title: str, *, round_id: int | None = None,
              sharing: str | None = None) -> Assessment:
    """A new full-form draft of ``q`` inside the caller's transaction (the caller checked access)."""
    a = Assessment(organisation_id=org_id, title=(title or "").strip()[:200], questionnaire_id=q.id,
                   questionnaire_version=q.version, form="full", status="draft", round_id=round_id, sharing=sharing,
                   created_by=actor.user_id)
    s.add(a)
    s.flush()
    return a


def _check(engine: Engine, actor: Actor, org_id: int, data: bytes, assessment_id: int | None,
           update_profile: bool) -> tuple[FilledTemplate | None, ImportReport]:
    actor.require_org(org_id)
    target = None
    if assessment_id is not None:
        target = get_assessment(engine, actor, assessment_id)
        if target.organisation_id != org_id:
            raise NotFound(object="assessment", id=assessment_id)
    try:
        filled = read_template(data, max_text=MAX_TEXT)
    except WorkbookRejected as exc:
        return None, ImportReport(False, tuple(exc.problems))
    problems: list[Problem] = []
    q = get_questionnaire(filled.questionnaire_id)
    if target is not None:
        if target.status != "draft":
            problems.append(Problem("assessment_submitted"))
        if (target.questionnaire_id, target.questionnaire_version) != (q.id, q.version):
            problems.append(Problem("wrong_assessment_questionnaire", values={
                "found": f"{q.id} {q.version}",
                "expected": f"{target.questionnaire_id} {target.questionnaire_version}"}))
    problems += answer_problems(filled, q)
    if update_profile:
        if not actor.can_admin_org(org_id):
            problems.append(Problem("profile_not_admin"))
        problems += profile_problems(filled, q)
    given = [a for a in filled.answers if a.na or a.level is not None]
    report = ImportReport(
        ok=not problems, problems=tuple(problems), questionnaire_id=q.id, questionnaire_version=q.version,
        answered=len(given), na=sum(a.na for a in given), noted=len(filled.answers) - len(given),
        blank=len(q.questions()) - len(filled.answers), assessment_id=assessment_id, profile=dict(filled.profile))
    return filled, report


def check_workbook(engine: Engine, actor: Actor, org_id: int, data: bytes, *, assessment_id: int | None = None,
                   update_profile: bool = False) -> ImportReport:
    """Validate a filled template for import into ``org_id`` without writing anything."""
    return _check(engine, actor, org_id, data, assessment_id, update_profile)[1]


def import_workbook(engine: Engine, actor: Actor, org_id: int, data: bytes, *, assessment_id: int | None = None,
                    source: Source = "import", update_profile: bool = False, title: str = "") -> ImportReport:
    """Validate, then store: a new draft (``assessment_id`` None) or the answers of an existing draft.

    Writes nothing unless the whole file is valid. Raises NotFound for an organisation or
    assessment the actor may not see; file problems come back in the report.
    """
    filled, report = _check(engine, actor, org_id, data, assessment_id, update_profile)
    if filled is None or not report.ok:
        return report
    q = get_questionnaire(filled.questionnaire_id)
    # Validated above; validated again here so that nothing invalid is ever stored by this function.
    profile = validate_profile(filled.profile, q.id) if update_profile else None
    with write_session(engine) as s:
        org = s.get(Organisation, org_id)
        if org is None:
            raise NotFound(object="organisation", id=org_id)
        if assessment_id is None:
            a = new_draft(s, actor, org_id, q, title)
        else:
            a = _load(s, actor, assessment_id, for_update=True)
            if a.organisation_id != org_id:
                raise NotFound(object="assessment", id=assessment_id)
        changed = _write_answers(s, actor, a, answers_of(filled), source)
        if profile is not None:
            if not actor.can_admin_org(org_id):  # roles are re-read per request; checked again inside
                raise Forbidden(object="organisation", id=org_id)
            org.profile = profile
        s.add(EventLog(user_id=actor.user_id, action="excel_import", object_type="assessment", object_id=a.id,
                       detail={"changed": changed, "profile_updated": profile is not None,
                               "created": assessment_id is None}))
        s.flush()
        new_id = a.id
    return replace(report, assessment_id=new_id, created=assessment_id is None, changed=changed,
                   profile_updated=profile is not None)
