"""Association bulk import: register member organisations from filled offline templates.

An association administrator uploads the templates its members filled in (docs/benchmarking.md,
"Registering members from Excel"). Each file is checked in full with :mod:`excel.reader` and the
same answer and profile rules as every other import; a file with any problem stores nothing. A
valid file is written in ONE transaction: the member organisation (registered as by
:func:`services.association_members.create_member_organisation`), its draft — or its submission into the
chosen round — and every answer with its audit event (:func:`services.answers.write`).

Matching by name, and who owns the data afterwards:

* A file whose organisation name (compared ignoring case, width and repeated spaces) is that of a
  member **this association registered itself and that has no account of its own yet** updates
  that member — its profile and its assessment in the round (or its latest draft outside rounds) —
  instead of registering it twice. A submitted assessment in the round is replaced and, when asked,
  submitted again: until the organisation has an account, the association is the only one writing.
* Once the organisation has an account it belongs to itself: the association can no longer import
  into it (the file is refused with the fix), and it never could read it. Members that joined with
  the invitation code are never matched, so an upload cannot reveal whether an organisation of that
  name is a member — the platform never tells an association its members' names.
* The association administrator gets no read access through this path: the organisation has no
  membership for them, so its assessments, answers and notes stay "not found" to them, and the
  dashboard shows an anonymous imported member only inside aggregates, like any other.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Assessment, BenchmarkRound, EventLog, Organisation
from enums import AnswerSource, AssessmentStatus, RoundStatus, Sharing
from excel.contract import META_SHEET
from excel.problems import Problem, WorkbookRejected
from excel.reader import FilledTemplate, read_template
from i18n import t
from questionnaires import Questionnaire, get_questionnaire
from services import answers
from services.access import Actor
from services.association_members import register_member, registered_members
from services.associations import admin_association
from services.errors import InvalidInput, NotFound, StateError
from services.errors import Problem as ServiceProblem
from services.imports import answer_problems, answers_of, new_draft, profile_problems
from services.organisations import validate_profile
from services.round_members import SHARING


@dataclass(frozen=True)
class MemberImportReport:
    """The outcome for one file: a member registered or updated, or every problem (and nothing stored)."""

    file: str
    ok: bool
    problems: tuple[Problem, ...] = ()
    organisation: str = ""  # the name in the file ("" when it could not be read)
    organisation_id: int | None = None
    created: bool = False  # a new member organisation (else an existing one was updated)
    assessment_id: int | None = None
    status: AssessmentStatus | None = None  # None: the file was refused
    answered: int = 0
    na: int = 0
    changed: int = 0

    def messages(self, lang: str = "en") -> list[str]:
        return [p.text(lang) for p in self.problems]


@dataclass(frozen=True)
class _Target:
    association_id: int
    round_id: int | None
    round_name: str
    questionnaire: tuple[str, str] | None  # the round's (id, version)
    sharing: Sharing
    submit: bool


class _Refused(Exception):
    """A file that turned out invalid inside its transaction; the transaction is rolled back."""

    def __init__(self, problem: Problem):
        self.problem = problem


def name_key(name: str) -> str:
    """How organisation names are compared: full-width folded, case-insensitive, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def import_member_workbooks(engine: Engine, actor: Actor, association_id: int, files: Sequence[tuple[str, bytes]],
                            *, round_id: int | None = None, sharing: str = Sharing.ANONYMOUS, submit: bool = False,
                            source: AnswerSource = AnswerSource.IMPORT) -> list[MemberImportReport]:
    """Import each ``(file name, bytes)`` as a member of the association; one report per file, in order.

    Raises NotFound before reading any file unless the actor administers the association (and the
    round is one of its rounds), StateError for a closed round and InvalidInput for a bad sharing
    choice (``sharing`` is the page's or ``aigov excel import --sharing``'s text, checked here) or ``submit``
    without a round. File problems come back in the reports.
    """
    target = _target(engine, actor, association_id, round_id, sharing, submit)
    return [_import_one(engine, actor, target, name, data, source) for name, data in files]


def _target(engine: Engine, actor: Actor, association_id: int, round_id: int | None, sharing: str,
            submit: bool) -> _Target:
    with read_session(engine) as s:
        admin_association(s, actor, association_id)
        problems = []
        if sharing not in SHARING:
            problems.append(ServiceProblem("sharing"))
        if submit and round_id is None:
            problems.append(ServiceProblem("submit_needs_round"))
        if round_id is None:
            if problems:
                raise InvalidInput(problems=problems)
            return _Target(association_id, None, "", None, Sharing(sharing), False)
        r = s.get(BenchmarkRound, round_id)
        if r is None or r.association_id != association_id:
            raise NotFound(object="round", id=round_id)
        if problems:
            raise InvalidInput(problems=problems)
        if r.status != RoundStatus.OPEN:
            raise StateError(reason="round_closed", object="round", id=round_id)
        return _Target(association_id, r.id, r.name, (r.questionnaire_id, r.questionnaire_version), Sharing(sharing),
                       submit)


def _file_problems(filled: FilledTemplate, q: Questionnaire, target: _Target) -> list[Problem]:
    problems: list[Problem] = []
    if target.questionnaire is not None and target.questionnaire != (q.id, q.version):
        problems.append(Problem("member_wrong_questionnaire", {
            "found": f"{q.id} {q.version}", "round": target.round_name,
            "expected": " ".join(target.questionnaire)}, sheet=META_SHEET))
    return problems + profile_problems(filled, q) + answer_problems(filled, q)


def _import_one(engine: Engine, actor: Actor, target: _Target, file: str, data: bytes,
                source: AnswerSource) -> MemberImportReport:
    try:
        filled = read_template(data, require_name=True, require_profile=True)
    except WorkbookRejected as exc:
        return MemberImportReport(file, False, tuple(exc.problems))
    q = get_questionnaire(filled.questionnaire_id, filled.questionnaire_version)
    name = filled.organisation_name
    given = [a for a in filled.answers if a.na or a.level is not None]
    counts = {"answered": len(given), "na": sum(a.na for a in given)}
    problems = _file_problems(filled, q, target)
    if problems:
        return MemberImportReport(file, False, tuple(problems), name)
    try:
        org_id, created, assessment_id, status, changed = _write(engine, actor, target, file, filled, q, source)
    except _Refused as refused:
        return MemberImportReport(file, False, (refused.problem,), name)
    return MemberImportReport(file, True, (), name, org_id, created, assessment_id, status, changed=changed, **counts)


def _write(engine: Engine, actor: Actor, target: _Target, file: str, filled: FilledTemplate, q: Questionnaire,
           source: AnswerSource) -> tuple[int, bool, int, AssessmentStatus, int]:
    """One transaction: the member (new or matched), its assessment and answers; nothing on any refusal."""
    profile = validate_profile(filled.profile, q.id)
    name = filled.organisation_name
    with write_session(engine) as s:
        admin_association(s, actor, target.association_id)  # rights re-checked inside the transaction
        if target.round_id is not None:
            r = s.get(BenchmarkRound, target.round_id)
            if r is None or r.status != RoundStatus.OPEN:
                raise _Refused(Problem("member_round_closed", {"round": target.round_name}))
        org = _match(s, target.association_id, filled)
        created = org is None
        if org is None:
            org = register_member(s, actor, target.association_id, name, profile)
        else:
            org.profile = profile
        title = target.round_name or t("excel.page.new_title", filled.language, file=PurePath(file).name)
        a = _assessment(s, actor, org, q, target, title)
        changed = answers.write(s, actor, a, answers_of(filled), source)
        if target.submit:
            answers.submit(s, actor, a, org)
        s.add(EventLog(user_id=actor.user_id, action="excel_import", object_type="assessment", object_id=a.id,
                       detail={"changed": changed, "association_id": target.association_id,
                               "member_created": created, "submitted": target.submit}))
        s.flush()
        return org.id, created, a.id, AssessmentStatus(a.status), changed


def _match(s: Session, association_id: int, filled: FilledTemplate) -> Organisation | None:
    """The member this association registered under the file's name, if it is still the association's to update."""
    key = name_key(filled.organisation_name)
    found = [(org, has_account) for org, has_account in registered_members(s, association_id)
             if name_key(org.name) == key]
    if len(found) > 1:
        raise _Refused(Problem("member_ambiguous", {"count": len(found), "name": filled.organisation_name}, sheet=filled.profile_sheet, cell=filled.organisation_cell))
    if not found:
        return None
    org, has_account = found[0]
    if has_account:
        raise _Refused(Problem("member_managed_itself", {"name": org.name}, sheet=filled.profile_sheet, cell=filled.organisation_cell))
    return org


def _assessment(s: Session, actor: Actor, org: Organisation, q: Questionnaire, target: _Target,
                title: str) -> Assessment:
    """The member's assessment to write into: its one in the round (a submitted one goes back to draft),
    else its latest draft outside rounds; a new draft when there is none."""
    stmt = select(Assessment).where(Assessment.organisation_id == org.id)
    if target.round_id is not None:
        stmt = stmt.where(Assessment.round_id == target.round_id)
    else:
        stmt = stmt.where(Assessment.round_id.is_(None), Assessment.status == AssessmentStatus.DRAFT,
                          Assessment.questionnaire_id == q.id, Assessment.questionnaire_version == q.version)
    a = s.scalars(stmt.order_by(Assessment.created_at.desc(), Assessment.id.desc()).limit(1)).first()
    if a is None:
        return new_draft(s, actor, org.id, q, title, round_id=target.round_id,
                         sharing=target.sharing if target.round_id is not None else None)
    if a.status == AssessmentStatus.SUBMITTED:  # only the association has written here (no account yet): replace it
        a.status, a.submitted_at, a.profile_snapshot = AssessmentStatus.DRAFT, None, None
        s.add(EventLog(user_id=actor.user_id, action="assessment_reopened", object_type="assessment", object_id=a.id,
                       detail={"reason": "association re-import"}))
    if target.round_id is not None:
        a.sharing = target.sharing
    return a
