"""Answers inside a caller's transaction: load the assessment, validate, write, submit — the one way each is done.

Every path that stores answers (a save in the app, bulk saves, Excel imports, association member
imports, restores) goes through :func:`write` or :func:`write_row`, so each changed answer gets a new
revision and an :class:`~db.models.AnswerEvent` with its old and new values, and every answer is
checked by :func:`validate` against the one rule of :mod:`questionnaires.answer_rule` first.
The functions take an open :class:`~sqlalchemy.orm.Session`: the caller owns the transaction and
decides what else happens in it (an import also updates the profile; a member import also submits).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVarTuple

from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from db.models import Answer, AnswerEvent, Assessment, EventLog, Organisation, User, utcnow
from enums import AnswerSource, AssessmentStatus
from questionnaires import Questionnaire, get_questionnaire
from questionnaires.answer_rule import MAX_TEXT, AnswerFields, answer_problems
from services.access import Actor
from services.errors import InvalidInput, NotFound, Problem, StateError

__all__ = ["MAX_TEXT", "AnswerInputData", "AnswerValues", "AnswerView", "load", "load_rows", "stored",
           "submit", "validate", "values", "view", "write", "write_row"]

_Ts = TypeVarTuple("_Ts")
AnswerValues = tuple[int | None, bool, str, str]  # level, N/A, justification, note (as stored)


@dataclass(frozen=True)
class AnswerView:
    """One stored answer as shown: its values, its revision (the base of the next save) and who gave it."""

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
    """What a respondent gives for one question (the app, imports, bulk saves, the command line)."""

    question_id: str
    level: int | None = None
    na: bool = False
    justification: str = ""
    note: str = ""


def load(s: Session, actor: Actor, assessment_id: int, *, for_update: bool = False) -> Assessment:
    """The assessment if the actor may see it; NotFound otherwise (also for ids of other tenants).

    ``for_update`` locks the row on PostgreSQL (SQLite's write transactions are already serialised
    by BEGIN IMMEDIATE): every writer of an assessment's answers takes this lock first, so writes to
    one assessment queue behind each other and a read after it sees no concurrent change.
    """
    return _readable(s, actor, assessment_id, select(Assessment), for_update)[0]


def _readable(s: Session, actor: Actor, assessment_id: int, stmt: Select[Assessment, *_Ts],
              for_update: bool) -> Row[Assessment, *_Ts]:
    """The one row ``stmt`` (an assessment first, then what was selected with it) reads for ``assessment_id``,
    the assessment locked on PostgreSQL if ``for_update``; NotFound unless the actor may read it."""
    stmt = stmt.where(Assessment.id == assessment_id)
    if for_update and s.bind is not None and s.bind.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Assessment)
    row = s.execute(stmt).first()
    if row is None or not actor.can_read_org(row[0].organisation_id):
        raise NotFound(object="assessment", id=assessment_id)
    return row


def load_with_organisation(s: Session, actor: Actor, assessment_id: int, *,
                           for_update: bool = False) -> tuple[Assessment, Organisation]:
    """:func:`load` and the assessment's organisation in one statement (the lock, if any, is the assessment's)."""
    stmt = select(Assessment, Organisation).join(Organisation, Organisation.id == Assessment.organisation_id)
    a, org = _readable(s, actor, assessment_id, stmt, for_update)
    return a, org


def load_for_page(s: Session, actor: Actor, assessment_id: int, *,
                  for_update: bool = False) -> tuple[Assessment, Organisation, dict[str, Any] | None]:
    """:func:`load_with_organisation` plus the assessment's carry-forward record (its detail, or None), one statement.

    The record (an ``answers_carried_forward`` event, written when answers were carried from an
    assessment on another questionnaire version) is read as a scalar subquery of the same SELECT,
    so what the questionnaire page needs costs no extra statement.
    """
    carried = (select(EventLog.detail)
               .where(EventLog.action == "answers_carried_forward", EventLog.object_type == "assessment",
                      EventLog.object_id == Assessment.id)
               .order_by(EventLog.id.desc()).limit(1).scalar_subquery())
    stmt = select(Assessment, Organisation, carried).join(Organisation, Organisation.id == Assessment.organisation_id)
    a, org, detail = _readable(s, actor, assessment_id, stmt, for_update)
    return a, org, detail


def load_rows(s: Session, assessment_id: int) -> dict[str, tuple[Answer, str | None]]:
    """Every stored answer of an assessment with its author's name, in one statement (access is the caller's check)."""
    rows = s.execute(select(Answer, User.username).outerjoin(User, User.id == Answer.updated_by)
                     .where(Answer.assessment_id == assessment_id))
    return {a.question_id: (a, name) for a, name in rows}


def view(row: Answer, author: str | None) -> AnswerView:
    return AnswerView(row.question_id, row.level, bool(row.is_na), row.justification or "", row.note or "",
                      row.revision, row.updated_at, author)


def validate(q: Questionnaire, data: AnswerInputData) -> list[Problem]:
    """Every problem with one answer, each with its code and the field it is about (empty = valid)."""
    try:
        q.question(data.question_id)
    except KeyError:
        return [Problem("unknown_question", {"questionnaire": q.id, "version": q.version}, field="question_id", question=data.question_id)]
    fields = AnswerFields(data.level, data.na, data.justification or "", data.note or "")
    return [Problem(code, extra, field=name, question=data.question_id)
            for code, name, extra in answer_problems(fields)]


def values(d: AnswerInputData) -> AnswerValues:
    """The values an answer is stored with (texts stripped)."""
    return d.level, bool(d.na), (d.justification or "").strip(), (d.note or "").strip()


def stored(row: Answer) -> AnswerValues:
    return row.level, bool(row.is_na), row.justification or "", row.note or ""


def write(s: Session, actor: Actor, a: Assessment, answers: Iterable[AnswerInputData], source: AnswerSource) -> int:
    """Write answers and their audit events into a draft inside the caller's transaction; returns rows changed.

    The one way answers are written in bulk (bulk saves, Excel imports, association imports): the
    whole batch is validated first, an unchanged answer keeps its revision, a changed one gets a
    new revision and an :class:`AnswerEvent` with old and new values. Access is the caller's check.
    """
    if a.status != AssessmentStatus.DRAFT:
        raise StateError(reason="submitted_cannot_change", object="assessment", id=a.id)
    answers = list(answers)
    q = get_questionnaire(a.questionnaire_id, a.questionnaire_version)
    problems = [p for d in answers for p in validate(q, d)]
    if problems:
        raise InvalidInput(problems=problems)
    s.flush()  # a new assessment needs its id
    existing = {r.question_id: r for r in s.scalars(select(Answer).where(Answer.assessment_id == a.id))}
    changed = 0
    for d in answers:
        new = values(d)
        row = existing.get(d.question_id)
        if row is not None and stored(row) == new:
            continue
        existing[d.question_id] = write_row(s, actor, a.id, d.question_id, row, new, source)
        changed += 1
    if changed:
        a.updated_at = utcnow()
    return changed


def write_row(s: Session, actor: Actor, assessment_id: int, question_id: str, row: Answer | None,
              new: AnswerValues, source: AnswerSource) -> Answer:
    """Write one changed answer with a new revision and its audit event (old → new); the one row writer."""
    event = AnswerEvent(assessment_id=assessment_id, question_id=question_id, user_id=actor.user_id, source=source,
                        new_level=new[0], new_na=new[1], new_justification=new[2], new_note=new[3])
    if row is None:
        row = Answer(assessment_id=assessment_id, question_id=question_id, revision=1)
        s.add(row)
    else:
        event.old_level, event.old_na, event.old_justification, event.old_note = stored(row)
        row.revision += 1
    row.level, row.is_na, row.justification, row.note = new
    row.updated_at = utcnow()
    row.updated_by = actor.user_id
    s.add(event)
    return row


def submit(s: Session, actor: Actor, a: Assessment, org: Organisation) -> None:
    """Freeze ``a`` with a snapshot of the organisation's profile (caller checked access and state)."""
    a.status = AssessmentStatus.SUBMITTED
    a.submitted_at = utcnow()
    a.profile_snapshot = dict(org.profile or {})
    if a.target_preset is None:
        a.target_preset = org.target_preset
    s.add(EventLog(user_id=actor.user_id, action="assessment_submitted", object_type="assessment", object_id=a.id))
    s.flush()
