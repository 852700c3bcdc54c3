"""Import filled offline templates: validate the whole file first, then write in one go or not at all.

``check_workbook`` validates without writing (the app shows every problem at once and asks for
confirmation); ``import_workbook`` validates again and writes, in one transaction either way: a new
draft with its answers, or an existing draft's answers — and the organisation profile when the
caller asks. Answers are written by :func:`services.answers.write`, the code every
bulk save uses. Rows left completely blank in the file leave stored answers untouched; a row with
any content replaces the stored answer. Association bulk imports (:mod:`services.member_imports`)
reuse the checks and the draft builder below.

Concurrent edits: a template pre-filled from a draft (format 3) records that draft and each answer's
revision at download. Imported back into that draft, a row whose stored answer was changed in the
app since the download and that differs from it is a conflict (``changed_since_download``): nothing
is written unless the caller passes ``overwrite_newer=True``. The check runs again inside the write
transaction, under the same locks as :func:`services.assessments.save_answer_and_read`, so an answer saved
between the check and the write is caught too. A file without that record (a blank template,
formats 1–2, or one made from another assessment) is not refused; its report lists the stored
answers it replaces with a different value (``replaces``), so the user can be told before confirming.

Across questionnaire versions: a workbook filled on an older version's template imported into a draft on a
newer version goes through the declared mapping (:mod:`questionnaires.migration`), with the rules of
carrying an assessment forward: reworded, split and merged questions get the old level flagged "carried,
please confirm", answers of removed questions are reported as dropped, new questions are left as they are.
The report lists every mapped answer before anything is stored (``mapped_from``, ``carried``, ``dropped``,
``new``) and the import adds to the assessment's carry record (:mod:`services.carry`). A workbook filled on a
newer version than the draft is refused at its version cell (``version_newer_than_assessment``): answers never
carry back to an older version.
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import write_session
from db.models import Answer, Assessment, EventLog, User
from enums import AnswerSource, AssessmentForm, AssessmentStatus, Sharing
from excel.contract import ANSWER_COLUMNS, META_SHEET, letter
from excel.problems import Problem, ShownAnswer, ShownUser, WorkbookRejected
from excel.reader import FilledTemplate, read_template
from questionnaires import Questionnaire, get_questionnaire, versions
from questionnaires.migration import MigrationError, get_migration
from services import answers, carry
from services.access import Actor
from services.answers import AnswerInputData, AnswerValues
from services.assessments import AssessmentView, get_assessment, load_answers
from services.carry import CarryLine, Dropped
from services.errors import Forbidden, InvalidInput, NotFound
from services.organisations import organisation_row, validate_profile
from services.text import clean_text

CONFLICT = "changed_since_download"  # the problem code of an answer changed in the app since the download


@dataclass(frozen=True)
class ImportReport:
    """The outcome for one file: ``ok`` with counts, or every problem (and nothing stored)."""

    ok: bool
    problems: tuple[Problem, ...] = ()
    questionnaire_id: str = ""
    questionnaire_version: str = ""
    answered: int = 0  # rows with a level or N/A
    na: int = 0
    blank: int = 0  # questions left blank (stored answers untouched)
    assessment_id: int | None = None
    created: bool = False
    changed: int = 0
    profile_updated: bool = False
    profile: dict[str, Any] = field(default_factory=dict)
    # The file was downloaded from the target draft and records its answers' revisions (format 3).
    from_target: bool = False
    # Questions changed in the app since the download whose file value differs: problems (code
    # ``changed_since_download``) unless the import overwrites newer answers, which then lists them here.
    conflicts: tuple[str, ...] = ()
    # A file not downloaded from the target draft: stored answers it replaces with a different value.
    replaces: tuple[str, ...] = ()
    # A file filled on an older version than the target draft: that version, and what the mapping makes of it.
    mapped_from: str = ""
    mapped_to: str = ""                  # the draft's version
    carried: tuple[CarryLine, ...] = ()  # every answer mapped into the draft's version
    dropped: tuple[Dropped, ...] = ()    # answers of questions the draft's version removed (not imported)
    new: tuple[str, ...] = ()            # questions new in the draft's version (left as they are)
    to_confirm: tuple[str, ...] = ()     # mapped answers that change the stored one and must be confirmed

    def messages(self, lang: str = "en") -> list[str]:
        return [p.text(lang) for p in self.problems]


def answers_of(filled: FilledTemplate) -> list[AnswerInputData]:
    return [AnswerInputData(a.question_id, a.level, a.na, a.justification, a.note) for a in filled.answers]


def _column(field: str) -> str:
    """The answer-sheet column of an answer field (the question id's column for a problem with no input cell)."""
    return field if field in ("level", "justification", "note") else "id"


def answer_problems(filled: FilledTemplate, q: Questionnaire) -> list[Problem]:
    """The services' own answer rules, each located at the cell it is about; and a file with no answer at all."""
    problems = _rule_problems(filled, _file_rows(filled), q)
    if not filled.answers:
        problems.append(Problem("no_answers", sheet=filled.answers_sheet))
    return problems


Rows = tuple[tuple[AnswerInputData, int], ...]  # answers to write, each with the answer-sheet row it comes from


def _file_rows(filled: FilledTemplate) -> Rows:
    return tuple(zip(answers_of(filled), (a.row for a in filled.answers), strict=True))


def _rule_problems(filled: FilledTemplate, rows: Rows, q: Questionnaire) -> list[Problem]:
    return [rule.at(sheet=filled.answers_sheet, cell=f"{letter(ANSWER_COLUMNS, _column(rule.field))}{row}")
            for d, row in rows for rule in answers.validate(q, d)]


@dataclass(frozen=True)
class _Plan:
    """What an import writes into its target: the file's rows, or (``mapped_from``) the rows mapped to the target's
    version through the declared mapping, with what the mapping carried, dropped and left new."""

    rows: Rows
    mapped_from: str = ""
    carried: tuple[CarryLine, ...] = ()
    dropped: tuple[Dropped, ...] = ()
    new: tuple[str, ...] = ()

    def flagged(self) -> set[str]:
        return {x.question_id for x in self.carried if x.confirm}


def _plan(filled: FilledTemplate, target: AssessmentView | Assessment | None) -> tuple[_Plan, list[Problem]]:
    """The plan for importing ``filled`` into ``target`` (None: a new draft on the file's version), or the problem
    that stops it: a file on a newer version than the target, or on another questionnaire or an unmapped version."""
    same = _Plan(_file_rows(filled))
    if target is None or (target.questionnaire_id, target.questionnaire_version) == \
            (filled.questionnaire_id, filled.questionnaire_version):
        return same, []
    found, expected = filled.questionnaire_version, target.questionnaire_version
    other = Problem("wrong_assessment_questionnaire", {"found": f"{filled.questionnaire_id} {found}",
                                                       "expected": f"{target.questionnaire_id} {expected}"})
    if target.questionnaire_id != filled.questionnaire_id:  # versions map only within one questionnaire
        return same, [other]
    shipped = versions(filled.questionnaire_id)
    if expected in shipped and shipped.index(found) > shipped.index(expected):
        return same, [Problem("version_newer_than_assessment", {
            "questionnaire": filled.questionnaire_id, "found": found, "expected": expected, "assessment": target.id},
            sheet=META_SHEET, cell=filled.version_cell)]
    try:
        mapping = get_migration(filled.questionnaire_id, found, expected)
    except MigrationError:
        return same, [other]
    plan = mapping.carry({a.question_id: a for a in filled.answers})
    row_of = {a.question_id: a.row for a in filled.answers}
    rows = tuple((AnswerInputData(qid, c.level, c.na, c.justification, c.note),
                  min(row_of[i] for i in c.from_ids if i in row_of)) for qid, c in plan.carried.items())
    dropped = tuple(Dropped(a.question_id, a.level, a.na) for qid in plan.dropped
                    for a in [filled.answer(qid)] if a is not None)
    return _Plan(rows, found, carry.lines(plan.carried), dropped, plan.new), []


def profile_problems(filled: FilledTemplate, q: Questionnaire) -> list[Problem]:
    """Why the file's profile cannot be stored: blank cells first, else the services' profile rules."""
    if filled.profile_gaps:
        return list(filled.profile_gaps)
    try:
        validate_profile(filled.profile, q.id)
    except InvalidInput as exc:
        return [p.at(sheet=filled.profile_sheet) for p in exc.problems]
    return []


# --- concurrent edits: the file against the stored answers ----------------------------------------------

BLANK: AnswerValues = (None, False, "", "")


@dataclass(frozen=True)
class _StoredAnswer:
    values: AnswerValues
    revision: int
    user: str | None  # who last changed it; None for the system operator


@dataclass(frozen=True)
class _Comparison:
    from_target: bool
    problems: tuple[Problem, ...]  # one per conflict, at the level cell of its row
    conflicts: tuple[str, ...]
    replaces: tuple[str, ...]


def _made_from(filled: FilledTemplate, target_id: int, target_created: datetime) -> bool:
    """Whether the file was pre-filled from this very draft: its id, and made after the draft existed
    (SQLite may give a deleted draft's id to a new one; a file from the old one must not count)."""
    return (filled.base_revisions is not None and filled.base_assessment_id == target_id
            and filled.generated_at is not None and filled.generated_at >= target_created.replace(microsecond=0))


def _compare(filled: FilledTemplate, plan: _Plan, target_id: int, target_created: datetime,
             stored: dict[str, _StoredAnswer]) -> _Comparison:
    """The file's rows against the target's stored answers (rows identical to the stored value never count).

    Made from the target (its id and revisions recorded): a row whose stored revision is no longer the
    recorded one (0 = no stored answer) is a conflict. Otherwise: a stored answer with content that the
    row replaces is listed in ``replaces``.
    """
    revisions = filled.base_revisions
    from_target = not plan.mapped_from and _made_from(filled, target_id, target_created)
    column = letter(ANSWER_COLUMNS, "level")
    problems: list[Problem] = []
    conflicts: list[str] = []
    replaces: list[str] = []
    for d, row in plan.rows:
        new = answers.values(d)
        old = stored.get(d.question_id, _StoredAnswer(BLANK, 0, None))
        if old.values == new:
            continue
        if from_target:
            if old.revision != (revisions or {}).get(d.question_id, 0):
                conflicts.append(d.question_id)
                problems.append(Problem(CONFLICT, {
                    "qid": d.question_id, "user": ShownUser(old.user), "stored": ShownAnswer(old.values),
                    "file": ShownAnswer(new)}, sheet=filled.answers_sheet, cell=f"{column}{row}"))
        elif old.values != BLANK:
            replaces.append(d.question_id)
    return _Comparison(from_target, tuple(problems), tuple(conflicts), tuple(replaces))


def _stored_in_session(s: Session, assessment_id: int) -> dict[str, _StoredAnswer]:
    """The stored answers, read inside the write transaction after the assessment row was locked.

    ``answers.load(for_update=True)`` locks the assessment row on PostgreSQL, as every answer save does first,
    and SQLite's write transactions are serialised (BEGIN IMMEDIATE): no answer can change between this
    read and the write. The answer rows are locked as well, as save_answer_and_read locks the row it saves.
    """
    stmt = select(Answer).where(Answer.assessment_id == assessment_id)
    if s.bind is not None and s.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    rows = list(s.scalars(stmt))
    ids = {r.updated_by for r in rows if r.updated_by is not None}
    names = {u.id: u.username for u in s.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return {r.question_id: _StoredAnswer(answers.stored(r), r.revision,
                                         names.get(r.updated_by) if r.updated_by is not None else None)
            for r in rows}


class _Refused(Exception):
    """Leaves the write transaction without writing anything (rolled back) with the report to return."""

    def __init__(self, report: ImportReport):
        super().__init__("import refused")
        self.report = report


def new_draft(s: Session, actor: Actor, org_id: int, q: Questionnaire, title: str, *, round_id: int | None = None,
              sharing: Sharing | None = None) -> Assessment:
    """A new full-form draft of ``q`` inside the caller's transaction (the caller checked access)."""
    a = Assessment(organisation_id=org_id, title=clean_text(title, problem="title_control", max_length=200),
                   questionnaire_id=q.id,
                   questionnaire_version=q.version, form=AssessmentForm.FULL, status=AssessmentStatus.DRAFT, round_id=round_id, sharing=sharing,
                   created_by=actor.user_id)
    s.add(a)
    s.flush()
    return a


Overwrite = bool | AbstractSet[str]  # False, True (every conflict), or the question ids the user agreed to


def _not_agreed(comparison: _Comparison, overwrite_newer: Overwrite) -> list[Problem]:
    """The conflicts the caller did not agree to overwrite: all (False), none (True), or those not named."""
    if overwrite_newer is True:
        return []
    agreed = overwrite_newer or frozenset()
    return [p for p in comparison.problems if p.values.get("qid") not in agreed]


def _check(engine: Engine, actor: Actor, org_id: int, data: bytes, assessment_id: int | None,
           update_profile: bool, overwrite_newer: Overwrite) -> tuple[FilledTemplate | None, ImportReport]:
    actor.require_org(org_id)
    target = None
    if assessment_id is not None:
        target = get_assessment(engine, actor, assessment_id)
        if target.organisation_id != org_id:
            raise NotFound(object="assessment", id=assessment_id)
    try:
        filled = read_template(data)
    except WorkbookRejected as exc:
        return None, ImportReport(False, tuple(exc.problems))
    problems: list[Problem] = []
    q = get_questionnaire(filled.questionnaire_id, filled.questionnaire_version)
    if target is not None and target.status != AssessmentStatus.DRAFT:
        problems.append(Problem("assessment_submitted"))
    plan, refused = _plan(filled, target)
    problems += refused
    problems += answer_problems(filled, q)
    if plan.mapped_from and target is not None:  # the mapped answers against the target's own rules (merged notes)
        problems += _rule_problems(filled, plan.rows, get_questionnaire(target.questionnaire_id,
                                                                        target.questionnaire_version))
    if update_profile:
        if not actor.can_admin_org(org_id):
            problems.append(Problem("profile_not_admin"))
        problems += profile_problems(filled, q)
    comparison = _Comparison(False, (), (), ())
    to_confirm: tuple[str, ...] = ()
    if target is not None and not refused:
        stored = {qid: _StoredAnswer((a.level, a.na, a.justification, a.note), a.revision, a.updated_by)
                  for qid, a in load_answers(engine, actor, target.id).items()}
        comparison = _compare(filled, plan, target.id, target.created_at, stored)
        problems += _not_agreed(comparison, overwrite_newer)
        to_confirm = _to_confirm(plan, stored)
    given = [a for a in filled.answers if a.na or a.level is not None]
    report = ImportReport(
        ok=not problems, problems=tuple(problems), questionnaire_id=q.id, questionnaire_version=q.version,
        answered=len(given), na=sum(a.na for a in given),
        blank=len(q.questions()) - len(filled.answers), assessment_id=assessment_id, profile=dict(filled.profile),
        from_target=comparison.from_target, conflicts=comparison.conflicts, replaces=comparison.replaces,
        mapped_from=plan.mapped_from, mapped_to=target.questionnaire_version if plan.mapped_from and target else "",
        carried=plan.carried, dropped=plan.dropped, new=plan.new, to_confirm=to_confirm)
    return filled, report


def _written(plan: _Plan, stored: dict[str, _StoredAnswer]) -> set[str]:
    """The questions whose stored answer the plan changes (an identical row writes nothing)."""
    return {d.question_id for d, _ in plan.rows
            if stored.get(d.question_id, _StoredAnswer(BLANK, 0, None)).values != answers.values(d)}


def _to_confirm(plan: _Plan, stored: dict[str, _StoredAnswer]) -> tuple[str, ...]:
    """Mapped answers flagged "carried, please confirm" that the import writes (in the mapping's order)."""
    written = _written(plan, stored)
    return tuple(x.question_id for x in plan.carried if x.confirm and x.question_id in written)


def check_workbook(engine: Engine, actor: Actor, org_id: int, data: bytes, *, assessment_id: int | None = None,
                   update_profile: bool = False, overwrite_newer: Overwrite = False) -> ImportReport:
    """Validate a filled template for import into ``org_id`` without writing anything.

    ``overwrite_newer``: answers changed in the app since the file was downloaded are listed in
    ``conflicts`` but are not problems (the import would overwrite them) — all of them (True), or
    only those whose question ids are given (the ones the user was shown and agreed to).
    """
    return _check(engine, actor, org_id, data, assessment_id, update_profile, overwrite_newer)[1]


def import_workbook(engine: Engine, actor: Actor, org_id: int, data: bytes, *, assessment_id: int | None = None,
                    source: AnswerSource = AnswerSource.IMPORT, update_profile: bool = False, title: str = "",
                    overwrite_newer: Overwrite = False) -> ImportReport:
    """Validate, then store: a new draft (``assessment_id`` None) or the answers of an existing draft.

    Writes nothing unless the whole file is valid, and nothing when a row would overwrite an answer
    changed in the app since the file was downloaded from this draft, unless ``overwrite_newer``
    (then those answers are written like the others, each with its audit event). Raises NotFound for
    an organisation or assessment the actor may not see; file problems come back in the report.
    """
    filled, report = _check(engine, actor, org_id, data, assessment_id, update_profile, overwrite_newer)
    if filled is None or not report.ok:
        return report
    q = get_questionnaire(filled.questionnaire_id, filled.questionnaire_version)
    # Validated above; validated again here so that nothing invalid is ever stored by this function.
    profile = validate_profile(filled.profile, q.id) if update_profile else None
    comparison = _Comparison(False, (), (), ())
    plan, stored = _Plan(_file_rows(filled)), {}
    try:
        with write_session(engine) as s:
            org = organisation_row(s, org_id)
            if assessment_id is None:
                a = new_draft(s, actor, org_id, q, title)
            else:
                a = answers.load(s, actor, assessment_id, for_update=True)
                if a.organisation_id != org_id:
                    raise NotFound(object="assessment", id=assessment_id)
                plan, refused = _plan(filled, a)
                if refused:  # checked above; the assessment's version does not change, but nothing unchecked is stored
                    raise _Refused(replace(report, ok=False, problems=report.problems + tuple(refused)))
                # Again under the locks: an answer saved in the app since the check is caught here.
                stored = _stored_in_session(s, a.id)
                comparison = _compare(filled, plan, a.id, a.created_at, stored)
                if refused := _not_agreed(comparison, overwrite_newer):
                    raise _Refused(replace(report, ok=False, problems=report.problems + tuple(refused),
                                           from_target=comparison.from_target, conflicts=comparison.conflicts,
                                           replaces=comparison.replaces))
            flagged = plan.flagged()
            to_confirm = _to_confirm(plan, stored)
            changed = answers.write(s, actor, a, [d for d, _ in plan.rows if d.question_id not in flagged], source)
            if flagged:  # the answers to confirm, with their own source in the answer history
                changed += answers.write(s, actor, a, [d for d, _ in plan.rows if d.question_id in flagged], AnswerSource.CARRIED)
            written = _written(plan, stored)
            if plan.mapped_from and written:  # a re-import that writes nothing adds no record: the last one stands
                carry.record(s, actor, a, from_assessment=None, from_version=plan.mapped_from, carried=plan.carried,
                             changed=written, dropped=plan.dropped, new=plan.new)
            if profile is not None:
                if not actor.can_admin_org(org_id):  # roles are re-read per request; checked again inside
                    raise Forbidden(object="organisation", id=org_id)
                org.profile = profile
            detail: dict[str, Any] = {"changed": changed, "profile_updated": profile is not None,
                                      "created": assessment_id is None}
            if comparison.conflicts:
                detail["overwrote_newer"] = list(comparison.conflicts)
            if plan.mapped_from:
                detail["mapped_from"] = plan.mapped_from
            s.add(EventLog(user_id=actor.user_id, action="excel_import", object_type="assessment", object_id=a.id,
                           detail=detail))
            s.flush()
            new_id = a.id
    except _Refused as refused:
        return refused.report
    return replace(report, assessment_id=new_id, created=assessment_id is None, changed=changed,
                   profile_updated=profile is not None, from_target=comparison.from_target,
                   conflicts=comparison.conflicts, replaces=comparison.replaces, mapped_from=plan.mapped_from,
                   carried=plan.carried, dropped=plan.dropped, new=plan.new, to_confirm=to_confirm)
