"""Assessments and answers: create, answer (per-answer save with a revision check), submit, score.

Saving is per answer, in its own short transaction, so an answer is durable the moment it is
given. Each answer row carries a ``revision``; a save names the revision the user saw, and a
save over a newer revision is refused with a :class:`~services.errors.ConflictError` holding the
other value, so two people answering at once never overwrite each other silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Answer, AnswerEvent, Assessment, BenchmarkRound, EventLog, Organisation, User, utcnow
from questionnaires import DEFAULT_ID, Questionnaire, get_questionnaire
from services.access import Actor
from services.errors import Conflict, ConflictError, Forbidden, InvalidInput, NotFound, Problem, StateError
from services.text import control_character

MAX_TEXT = 5000
Source = Literal["ui", "import", "cli", "demo", "restore"]


@dataclass(frozen=True)
class AssessmentView:
    id: int
    organisation_id: int
    organisation_name: str
    title: str
    questionnaire_id: str
    questionnaire_version: str
    form: str
    status: str
    target_preset: str | None
    round_id: int | None
    sharing: str | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    version_id: int


@dataclass(frozen=True)
class AnswerView:
    question_id: str
    level: int | None
    na: bool
    justification: str
    note: str
    revision: int
    updated_at: datetime | None
    updated_by: str | None

    @property
    def answered(self) -> bool:
        return self.na or self.level is not None


@dataclass(frozen=True)
class AnswerInputData:
    """What a respondent gives for one question (used by imports and bulk saves)."""

    question_id: str
    level: int | None = None
    na: bool = False
    justification: str = ""
    note: str = ""


def _view(a: Assessment, org_name: str) -> AssessmentView:
    return AssessmentView(
        a.id, a.organisation_id, org_name, a.title, a.questionnaire_id, a.questionnaire_version, a.form,
        a.status, a.target_preset, a.round_id, a.sharing, a.created_at, a.updated_at, a.submitted_at, a.version_id,
    )


def _load(s: Session, actor: Actor, assessment_id: int, *, for_update: bool = False) -> Assessment:
    """The assessment if the actor may see it; NotFound otherwise (also for ids of other tenants)."""
    stmt = select(Assessment).where(Assessment.id == assessment_id)
    if for_update and s.bind is not None and s.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    a = s.scalars(stmt).first()
    if a is None or not actor.can_read_org(a.organisation_id):
        raise NotFound(object="assessment", id=assessment_id)
    return a


def questionnaire_for(view: AssessmentView | Assessment) -> Questionnaire:
    return get_questionnaire(view.questionnaire_id, view.questionnaire_version)


# --- queries ----------------------------------------------------------------------------------------

def get_assessment(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentView:
    with read_session(engine) as s:
        a = _load(s, actor, assessment_id)
        return _view(a, s.get(Organisation, a.organisation_id).name)  # type: ignore[union-attr]


def list_assessments(engine: Engine, actor: Actor, org_id: int) -> list[AssessmentView]:
    """An organisation's assessments, newest first."""
    actor.require_org(org_id)
    with read_session(engine) as s:
        org = s.get(Organisation, org_id)
        if org is None:
            raise NotFound(object="organisation", id=org_id)
        rows = s.scalars(select(Assessment).where(Assessment.organisation_id == org_id)
                         .order_by(Assessment.created_at.desc(), Assessment.id.desc()))
        return [_view(a, org.name) for a in rows]


def load_answers(engine: Engine, actor: Actor, assessment_id: int) -> dict[str, AnswerView]:
    with read_session(engine) as s:
        _load(s, actor, assessment_id)
        rows = s.execute(
            select(Answer, User.username).outerjoin(User, User.id == Answer.updated_by)
            .where(Answer.assessment_id == assessment_id)
        )
        return {a.question_id: _answer_view(a, name) for a, name in rows}


def _answer_view(a: Answer, author: str | None) -> AnswerView:
    return AnswerView(a.question_id, a.level, bool(a.is_na), a.justification or "", a.note or "", a.revision,
                      a.updated_at, author)


# --- lifecycle --------------------------------------------------------------------------------------

def create_assessment(engine: Engine, actor: Actor, org_id: int, *, form: str = "full", title: str = "",
                      carry_forward_from: int | None = None, round_id: int | None = None,
                      sharing: str | None = None, questionnaire_id: str | None = None,
                      source: Source = "ui") -> AssessmentView:
    """Start a draft; optionally copy the answers (not the audit trail) of an earlier assessment.

    An organisation has one assessment per round; a second one (e.g. two clicks racing) is a StateError.
    """
    actor.require_org(org_id)
    if form not in ("full", "core"):
        raise InvalidInput(problems=[Problem("form")])
    if sharing not in (None, "anonymous", "identified"):
        raise InvalidInput(problems=[Problem("sharing")])
    try:
        return _create_assessment(engine, actor, org_id, form=form, title=title,
                                  carry_forward_from=carry_forward_from, round_id=round_id, sharing=sharing,
                                  questionnaire_id=questionnaire_id, source=source)
    except IntegrityError as exc:
        if round_id is None:
            raise
        raise StateError("already in round", object="round", id=round_id) from exc


def _create_assessment(engine: Engine, actor: Actor, org_id: int, *, form: str, title: str,
                       carry_forward_from: int | None, round_id: int | None, sharing: str | None,
                       questionnaire_id: str | None, source: Source) -> AssessmentView:
    with write_session(engine) as s:
        org = s.get(Organisation, org_id)
        if org is None:
            raise NotFound(object="organisation", id=org_id)
        qid, version = questionnaire_id, None
        if round_id is not None:
            rnd = s.get(BenchmarkRound, round_id)
            if rnd is None or not _org_in_association(s, org_id, rnd.association_id):
                raise NotFound(object="round", id=round_id)
            if rnd.status != "open":
                raise StateError("round closed", object="round", id=round_id)
            qid, version = rnd.questionnaire_id, rnd.questionnaire_version
            sharing = sharing or "anonymous"
        q = get_questionnaire(qid or DEFAULT_ID, version)
        a = Assessment(organisation_id=org_id, title=(title or "").strip()[:200], questionnaire_id=q.id,
                       questionnaire_version=q.version, form=form, status="draft", round_id=round_id,
                       sharing=sharing, created_by=actor.user_id)
        s.add(a)
        s.flush()
        if carry_forward_from is not None:
            src = _load(s, actor, carry_forward_from)
            if src.organisation_id != org_id:
                raise NotFound(object="assessment", id=carry_forward_from)
            known = {x.id for x in q.questions()}
            for old in s.scalars(select(Answer).where(Answer.assessment_id == src.id)):
                if old.question_id not in known:
                    continue
                s.add(Answer(assessment_id=a.id, question_id=old.question_id, level=old.level, is_na=old.is_na,
                             justification=old.justification, note=old.note, updated_by=actor.user_id))
                s.add(AnswerEvent(assessment_id=a.id, question_id=old.question_id, user_id=actor.user_id,
                                  source=source, new_level=old.level, new_na=old.is_na,
                                  new_justification=old.justification, new_note=old.note))
        return _view(a, org.name)


def _org_in_association(s: Session, org_id: int, association_id: int) -> bool:
    from db.models import AssociationMember

    return s.get(AssociationMember, (association_id, org_id)) is not None


def submit(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentView:
    """Freeze the assessment with a snapshot of the organisation profile; nothing answered is lost."""
    with write_session(engine) as s:
        a = _load(s, actor, assessment_id, for_update=True)
        if a.status == "submitted":
            raise StateError("already submitted", object="assessment", id=assessment_id)
        if a.round_id is not None:
            rnd = s.get(BenchmarkRound, a.round_id)
            if rnd is not None and rnd.status != "open":
                raise StateError("round closed", object="round", id=a.round_id)
        org = s.get(Organisation, a.organisation_id)
        assert org is not None
        _mark_submitted(s, actor, a, org)
        return _view(a, org.name)


def _mark_submitted(s: Session, actor: Actor, a: Assessment, org: Organisation) -> None:
    """Freeze ``a`` with a snapshot of the organisation's profile (caller checked access and state)."""
    a.status = "submitted"
    a.submitted_at = utcnow()
    a.profile_snapshot = dict(org.profile or {})
    if a.target_preset is None:
        a.target_preset = org.target_preset
    s.add(EventLog(user_id=actor.user_id, action="assessment_submitted", object_type="assessment", object_id=a.id))
    s.flush()


class RoundClosedReopen(StateError):
    """Reopening would take a submission out of a closed round for good (it could not be resubmitted)."""

    key = "assessments.reopen_round_closed"


def reopen(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentView:
    """Back to draft (organisation administrators only); the profile snapshot is dropped.

    Refused while the assessment's benchmarking round is closed: a closed round keeps what was
    submitted (docs/benchmarking.md), and a reopened draft could not be submitted into it again.
    """
    with write_session(engine) as s:
        a = _load(s, actor, assessment_id, for_update=True)
        if not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        if a.status != "submitted":
            raise StateError("not submitted", object="assessment", id=assessment_id)
        rnd = s.get(BenchmarkRound, a.round_id) if a.round_id is not None else None
        if rnd is not None and rnd.status != "open":
            raise RoundClosedReopen(f"round {rnd.id} '{rnd.name}' is closed: reopening would take this submission out "
                                    "of it; ask the association to reopen the round first",
                                    object="round", id=rnd.id, round=rnd.name)
        a.status = "draft"
        a.submitted_at = None
        a.profile_snapshot = None
        s.add(EventLog(user_id=actor.user_id, action="assessment_reopened", object_type="assessment", object_id=a.id))
        s.flush()
        return _view(a, s.get(Organisation, a.organisation_id).name)  # type: ignore[union-attr]


def delete_assessment(engine: Engine, actor: Actor, assessment_id: int) -> None:
    with write_session(engine) as s:
        a = _load(s, actor, assessment_id, for_update=True)
        if not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        if a.status != "draft":  # a submitted one is a record (and may sit in a benchmarking round): reopen first
            raise StateError("submitted", object="assessment", id=assessment_id)
        # The answers and their audit trail go with the assessment; the deletion itself stays on record.
        s.add(EventLog(user_id=actor.user_id, action="assessment_deleted", object_type="assessment", object_id=a.id,
                       detail={"organisation_id": a.organisation_id, "title": a.title, "status": a.status}))
        s.delete(a)


# --- answers ----------------------------------------------------------------------------------------

def validate_answer(q: Questionnaire, data: AnswerInputData) -> list[str]:
    """Problems with one answer, each naming the question and the fix (empty = valid)."""
    problems: list[str] = []
    try:
        q.question(data.question_id)
    except KeyError:
        return [f"{data.question_id}: not a question of {q.id} {q.version}; use the ids of the questionnaire"]
    if data.na and data.level is not None:
        problems.append(Problem("level_and_na", question=data.question_id))
    if data.level is not None and (isinstance(data.level, bool) or data.level not in range(6)):
        problems.append(Problem("not_a_level", question=data.question_id, level=repr(data.level)))
    if data.na and not (data.justification or "").strip():
        problems.append(Problem("na_justification", question=data.question_id))
    for name, text in (("justification", data.justification), ("note", data.note)):
        if len(text or "") > MAX_TEXT:
            problems.append(Problem(f"{name}_too_long", question=data.question_id, max=MAX_TEXT))
        if (char := control_character(text)) is not None:
            problems.append(Problem(f"{name}_control", question=data.question_id, char=char))
    return problems


def save_answer(engine: Engine, actor: Actor, assessment_id: int, data: AnswerInputData, *,
                expected_revision: int | None, source: Source = "ui") -> AnswerView:
    """Store one answer if nobody changed it since the caller read ``expected_revision``.

    ``expected_revision`` is the revision the user saw (None: the user saw no stored answer). A
    mismatch raises ConflictError with the stored value; an identical value is a no-op.
    """
    for attempt in range(2):
        try:
            return _save_answer_once(engine, actor, assessment_id, data, expected_revision, source)
        except IntegrityError:
            # Two first saves of the same question raced on PostgreSQL; the retry sees the winner
            # and reports a conflict (or a no-op when both saved the same value).
            if attempt:
                raise
    raise AssertionError("unreachable")


def _save_answer_once(engine: Engine, actor: Actor, assessment_id: int, data: AnswerInputData,
                      expected_revision: int | None, source: Source) -> AnswerView:
    with write_session(engine) as s:
        a = _load(s, actor, assessment_id, for_update=True)
        if a.status != "draft":
            raise StateError("submitted", object="assessment", id=assessment_id)
        problems = validate_answer(get_questionnaire(a.questionnaire_id, a.questionnaire_version), data)
        if problems:
            raise InvalidInput(problems=problems)
        stmt = select(Answer).where(Answer.assessment_id == assessment_id, Answer.question_id == data.question_id)
        if s.bind is not None and s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = s.scalars(stmt).first()
        new = _values(data)
        if row is not None:
            if _stored(row) == new:
                return _answer_view(row, _username(s, row.updated_by))
            if expected_revision != row.revision:
                raise ConflictError(Conflict(data.question_id, row.level, bool(row.is_na), row.justification or "",
                                             row.note or "", row.revision, _username(s, row.updated_by)))
        elif expected_revision not in (None, 0):
            # The user saw an answer that no longer exists (cleared by someone, then row removed).
            raise ConflictError(Conflict(data.question_id, None, False, "", "", 0, None))
        row = _write_row(s, actor, a.id, data.question_id, row, new, source)
        a.updated_at = utcnow()
        s.flush()
        return _answer_view(row, actor.username if actor.user_id else None)


def save_answers_bulk(engine: Engine, actor: Actor, assessment_id: int, answers: Iterable[AnswerInputData], *,
                      source: Source) -> int:
    """Replace answers in one transaction (imports, restore): all or nothing; returns rows changed."""
    with write_session(engine) as s:
        return _write_answers(s, actor, _load(s, actor, assessment_id, for_update=True), answers, source)


def _write_answers(s: Session, actor: Actor, a: Assessment, answers: Iterable[AnswerInputData],
                   source: Source) -> int:
    """Write answers and their audit events into a draft inside the caller's transaction; returns rows changed.

    The one way answers are written in bulk (bulk saves, Excel imports, association imports): the
    whole batch is validated first, an unchanged answer keeps its revision, a changed one gets a
    new revision and an :class:`AnswerEvent` with old and new values. Access is the caller's check.
    """
    if a.status != "draft":
        raise StateError("submitted", object="assessment", id=a.id)
    answers = list(answers)
    q = get_questionnaire(a.questionnaire_id, a.questionnaire_version)
    problems = [p for d in answers for p in validate_answer(q, d)]
    if problems:
        raise InvalidInput(problems=problems)
    s.flush()  # a new assessment needs its id
    existing = {r.question_id: r for r in s.scalars(select(Answer).where(Answer.assessment_id == a.id))}
    changed = 0
    for d in answers:
        new = _values(d)
        row = existing.get(d.question_id)
        if row is not None and _stored(row) == new:
            continue
        existing[d.question_id] = _write_row(s, actor, a.id, d.question_id, row, new, source)
        changed += 1
    if changed:
        a.updated_at = utcnow()
    return changed


AnswerValues = tuple[int | None, bool, str, str]  # level, N/A, justification, note


def _values(d: AnswerInputData) -> AnswerValues:
    return d.level, bool(d.na), (d.justification or "").strip(), (d.note or "").strip()


def _stored(row: Answer) -> AnswerValues:
    return row.level, bool(row.is_na), row.justification or "", row.note or ""


def _write_row(s: Session, actor: Actor, assessment_id: int, question_id: str, row: Answer | None,
               new: AnswerValues, source: Source) -> Answer:
    """Write one changed answer with a new revision and its audit event (old → new); the one row writer."""
    event = AnswerEvent(assessment_id=assessment_id, question_id=question_id, user_id=actor.user_id, source=source,
                        new_level=new[0], new_na=new[1], new_justification=new[2], new_note=new[3])
    if row is None:
        row = Answer(assessment_id=assessment_id, question_id=question_id, revision=1)
        s.add(row)
    else:
        event.old_level, event.old_na, event.old_justification, event.old_note = _stored(row)
        row.revision += 1
    row.level, row.is_na, row.justification, row.note = new
    row.updated_at = utcnow()
    row.updated_by = actor.user_id
    s.add(event)
    return row


def _username(s: Session, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    u = s.get(User, user_id)
    return u.username if u else None


# --- audit trail ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnswerChange:
    at: datetime
    question_id: str
    user: str | None
    source: str
    old: dict[str, Any]
    new: dict[str, Any]


def history(engine: Engine, actor: Actor, assessment_id: int) -> list[AnswerChange]:
    """Every answer change, newest first; organisation administrators only."""
    with read_session(engine) as s:
        a = _load(s, actor, assessment_id)
        if not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        rows = s.execute(select(AnswerEvent, User.username).outerjoin(User, User.id == AnswerEvent.user_id)
                         .where(AnswerEvent.assessment_id == assessment_id)
                         .order_by(AnswerEvent.at.desc(), AnswerEvent.id.desc()))
        return [
            AnswerChange(e.at, e.question_id, name, e.source,
                         {"level": e.old_level, "na": e.old_na, "justification": e.old_justification, "note": e.old_note},
                         {"level": e.new_level, "na": e.new_na, "justification": e.new_justification, "note": e.new_note})
            for e, name in rows
        ]


def answer_counts(engine: Engine, actor: Actor, assessment_id: int) -> int:
    with read_session(engine) as s:
        _load(s, actor, assessment_id)
        return s.scalar(select(func.count()).select_from(Answer).where(Answer.assessment_id == assessment_id)) or 0
