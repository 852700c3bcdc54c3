"""The action plan (改进行动计划): gaps turned into actions with an owner, a due date and a status.

An action belongs to an organisation, not to an assessment, so it outlives the assessment it was
created from: the next assessment's questionnaire shows, beside each question, the actions on it
that were completed since the previous submitted assessment. Every member of the organisation may
create and update actions; deleting one is for organisation administrators (dropping it, with a
reason, keeps the record and is what members do). Creating, completing, dropping and deleting are
written to the event log.

Another tenant's action id is "not found", like every other object (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import (
    ActionItem,
    ActionQuestion,
    Assessment,
    EventLog,
    Membership,
    User,
    utcnow,
)
from enums import ActionStatus, AssessmentStatus
from questionnaires import get_questionnaire
from scoring.types import AssessmentResult
from services.access import Actor
from services.answers import load as _load
from services.errors import Forbidden, InvalidInput, NotFound, Problem
from services.text import control_character

MAX_TITLE = 200
MAX_NOTES = 5000
MAX_ID = 2**63 - 1


def valid_id(value: int, kind: str) -> int:
    """``value`` if it can be a database id, else NotFound (a huge id is an unknown one, never a crash)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        raise NotFound(object=kind, id=str(value))
    return value


@dataclass(frozen=True)
class ActionView:
    id: int
    organisation_id: int
    title: str
    notes: str
    owner_id: int | None
    owner_name: str | None
    due_date: date | None
    status: ActionStatus
    drop_reason: str
    question_ids: tuple[str, ...]
    source_assessment_id: int | None
    origin_level: int | None
    origin_target: float | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    def overdue(self, today: date) -> bool:
        """Still open after its due date."""
        return self.is_open and self.due_date is not None and self.due_date < today


@dataclass(frozen=True)
class Owner:
    user_id: int
    username: str
    display_name: str

    @property
    def label(self) -> str:
        return f"{self.display_name} ({self.username})" if self.display_name else self.username


@dataclass(frozen=True)
class GapPrefill:
    """What a new action from a gap row starts with (the user may edit every text before saving)."""

    question_id: str
    level: int
    target: float
    title: str
    notes: str


def _views(s: Session, rows: Sequence[ActionItem]) -> list[ActionView]:
    ids = [a.id for a in rows]
    links: dict[int, list[str]] = {}
    if ids:
        for aid, qid in s.execute(select(ActionQuestion.action_id, ActionQuestion.question_id)
                                  .where(ActionQuestion.action_id.in_(ids))
                                  .order_by(ActionQuestion.question_id)):
            links.setdefault(aid, []).append(qid)
    owners = {a.owner_id for a in rows if a.owner_id is not None}
    names: dict[int, str] = ({uid: n for uid, n in s.execute(select(User.id, User.username).where(User.id.in_(owners)))}
             if owners else {})
    return [ActionView(a.id, a.organisation_id, a.title, a.notes or "", a.owner_id, names.get(a.owner_id) if a.owner_id is not None else None,
                       a.due_date, ActionStatus(a.status), a.drop_reason or "", tuple(links.get(a.id, ())),
                       a.source_assessment_id, a.origin_level, a.origin_target, a.created_at, a.updated_at,
                       a.completed_at) for a in rows]


def _sort_key(v: ActionView) -> tuple[int, date, int]:
    """Open actions first, soonest due first (no date last); then done and dropped, newest first."""
    if v.is_open:
        return (0, v.due_date or date.max, v.id)
    return (1, date.max, -v.id)


def _load_action(s: Session, actor: Actor, action_id: int) -> ActionItem:
    valid_id(action_id, "action")
    row = s.get(ActionItem, action_id)
    if row is None or not actor.can_read_org(row.organisation_id):
        raise NotFound(object="action", id=action_id)
    return row


# --- queries ----------------------------------------------------------------------------------------

def list_actions(engine: Engine, actor: Actor, org_id: int) -> list[ActionView]:
    """The organisation's action plan: open actions by due date, then done and dropped ones."""
    actor.require_org(valid_id(org_id, "organisation"))
    with read_session(engine) as s:
        return actions_of(s, org_id)


def actions_of(s: Session, org_id: int) -> list[ActionView]:
    """:func:`list_actions` inside the caller's session, for an organisation it may read."""
    rows = list(s.scalars(select(ActionItem).where(ActionItem.organisation_id == org_id)))
    return sorted(_views(s, rows), key=_sort_key)


def owners_of(s: Session, org_id: int) -> list[Owner]:
    """Active members of the organisation, who may own an action (for an organisation the caller's session may read)."""
    rows = s.execute(select(User.id, User.username, User.display_name)
                     .join(Membership, Membership.user_id == User.id)
                     .where(Membership.organisation_id == org_id, User.is_active.is_(True))
                     .order_by(User.username))
    return [Owner(uid, name, display or "") for uid, name, display in rows]


class AssessmentLike(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def organisation_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def submitted_at(self) -> datetime | None: ...


def done_since(s: Session, a: AssessmentLike) -> dict[str, list[ActionView]]:
    """Per question: the organisation's actions completed since its previous submitted assessment, read in
    the caller's session for an assessment the caller may read (one statement when nothing was done, three
    otherwise).

    "Previous" is the latest assessment submitted before this one was created; without one, every
    completed action counts. For a submitted assessment, actions completed after its submission are
    left out (they belong to the next one).
    """
    previous = select(func.max(Assessment.submitted_at)).where(
        Assessment.organisation_id == a.organisation_id, Assessment.id != a.id,
        Assessment.status == AssessmentStatus.SUBMITTED, Assessment.submitted_at <= a.created_at).scalar_subquery()
    stmt = select(ActionItem).where(ActionItem.organisation_id == a.organisation_id, ActionItem.status == ActionStatus.DONE,
                                    or_(previous.is_(None), ActionItem.completed_at > previous))
    if a.status == AssessmentStatus.SUBMITTED and a.submitted_at is not None:
        stmt = stmt.where(ActionItem.completed_at <= a.submitted_at)
    views = _views(s, list(s.scalars(stmt.order_by(ActionItem.completed_at, ActionItem.id))))
    out: dict[str, list[ActionView]] = {}
    for v in views:
        for qid in v.question_ids:
            out.setdefault(qid, []).append(v)
    return out


def prefill_from(result: AssessmentResult, question_id: str, lang: str) -> GapPrefill:
    """A new action's prefill from a gap of ``result`` (read by the caller): the question, current level,
    target and the recommendation for that level. No database access."""
    gap = next((g for g in result.gaps if g.question_id == question_id), None)
    if gap is None:
        raise InvalidInput(problems=[Problem("action_not_a_gap", {"question": question_id})])
    q = get_questionnaire(result.questionnaire_id, result.questionnaire_version)
    question = q.question(question_id)
    advice = gap.recommendation or question.recommendations[gap.level]  # type: ignore[index]

    def text(value: dict[str, str]) -> str:
        return value.get(lang) or next(iter(value.values()))

    title = f"{question_id}: {text(advice)}"
    if len(title) > MAX_TITLE:
        title = title[:MAX_TITLE - 1] + "…"
    return GapPrefill(question_id, gap.level, gap.target, title, text(question.text))


# --- changes ----------------------------------------------------------------------------------------

def _check_text(title: str | None, notes: str | None, drop_reason: str | None) -> list[Problem]:
    problems: list[Problem] = []
    if title is not None:
        if not title.strip() or len(title.strip()) > MAX_TITLE:
            problems.append(Problem("action_title", {"max": MAX_TITLE}))
        elif (char := control_character(title)) is not None:
            problems.append(Problem("action_control_title", {"char": char}, field="title"))
    # One message per field (its name is part of the translated text, never an English word spliced in).
    if notes is not None:
        if len(notes) > MAX_NOTES:
            problems.append(Problem("action_too_long_notes", {"max": MAX_NOTES}, field="notes"))
        elif (char := control_character(notes)) is not None:
            problems.append(Problem("action_control_notes", {"char": char}, field="notes"))
    if drop_reason is not None:
        if len(drop_reason) > MAX_NOTES:
            problems.append(Problem("action_too_long_drop_reason", {"max": MAX_NOTES}, field="drop_reason"))
        elif (char := control_character(drop_reason)) is not None:
            problems.append(Problem("action_control_drop_reason", {"char": char}, field="drop_reason"))
    return problems


def _check_owner(s: Session, org_id: int, owner_id: int | None) -> list[Problem]:
    if owner_id is None:
        return []
    ok = s.scalar(select(User.id).join(Membership, Membership.user_id == User.id).where(
        Membership.organisation_id == org_id, User.id == owner_id, User.is_active.is_(True)))
    return [] if ok is not None else [Problem("action_owner", {"owner": str(owner_id)})]


def _org_questionnaire(s: Session, org_id: int) -> tuple[str, str] | None:
    """The questionnaire (id, version) of the organisation's newest assessment: the one its plan works
    towards (None: no assessment yet, the default questionnaire's newest version applies)."""
    row = s.execute(select(Assessment.questionnaire_id, Assessment.questionnaire_version)
                    .where(Assessment.organisation_id == org_id)
                    .order_by(Assessment.created_at.desc(), Assessment.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def _check_questions(question_ids: Iterable[str], source: tuple[str, str] | None) -> tuple[list[str], list[Problem]]:
    """Known ids of ``source``'s questionnaire version: the gap's assessment, or by hand the organisation's
    newest assessment (:func:`_org_questionnaire`); the default questionnaire's newest version without one."""
    q = get_questionnaire(*source) if source else get_questionnaire()
    known = {x.id for x in q.questions()}
    ids = sorted({str(x).strip() for x in question_ids if str(x).strip()})
    unknown = [x for x in ids if x not in known]
    return ids, [Problem("action_question", {"question": x, "questionnaire": q.id}) for x in unknown]


def _log(s: Session, actor: Actor, what: str, row: ActionItem, **detail: object) -> None:
    s.add(EventLog(user_id=actor.user_id, action=what, object_type="action", object_id=row.id,
                   detail={"organisation_id": row.organisation_id, "title": row.title, **detail}))


def create_action(engine: Engine, actor: Actor, org_id: int, *, title: str, question_ids: Iterable[str] = (),
                  owner_id: int | None = None, due_date: date | None = None, notes: str = "",
                  from_assessment: int | None = None) -> ActionView:
    """Add an action to the plan; ``from_assessment`` records the gap it came from (level and target then).

    With ``from_assessment`` the questions must be gaps of that assessment, and their level and
    target are read from its result here (never taken from the caller).
    """
    actor.require_org(valid_id(org_id, "organisation"))
    problems = _check_text(title, notes, None)
    origin_level: int | None = None
    origin_target: float | None = None
    source: tuple[str, str] | None = None
    ids = sorted({str(x).strip() for x in question_ids if str(x).strip()})
    if from_assessment is not None:
        from services.results import assessment_result

        with read_session(engine) as s:
            src = _load(s, actor, valid_id(from_assessment, "assessment"))
            if src.organisation_id != org_id:
                raise NotFound(object="assessment", id=from_assessment)
            source = (src.questionnaire_id, src.questionnaire_version)
        gaps = {g.question_id: g for g in assessment_result(engine, actor, from_assessment).gaps}
        problems += [Problem("action_not_a_gap", {"question": x}) for x in ids if x not in gaps]
        if len(ids) == 1 and ids[0] in gaps:
            origin_level, origin_target = gaps[ids[0]].level, gaps[ids[0]].target
    else:
        with read_session(engine) as s:
            source = _org_questionnaire(s, org_id)
    ids, unknown = _check_questions(ids, source)
    problems += unknown
    with write_session(engine) as s:
        problems += _check_owner(s, org_id, owner_id)
        if problems:
            raise InvalidInput(problems=problems)
        now = utcnow()
        row = ActionItem(organisation_id=org_id, title=title.strip(), notes=(notes or "").strip(), owner_id=owner_id,
                         due_date=due_date, status=ActionStatus.PLANNED, drop_reason="", source_assessment_id=from_assessment,
                         origin_level=origin_level, origin_target=origin_target, created_by=actor.user_id,
                         created_at=now, updated_at=now)
        s.add(row)
        s.flush()
        s.add_all(ActionQuestion(action_id=row.id, question_id=x) for x in ids)
        _log(s, actor, "action_created", row, questions=ids)
        s.flush()
        return _views(s, [row])[0]


_UNSET: object = object()


def update_action(engine: Engine, actor: Actor, action_id: int, *, title: str | None = None,
                  notes: str | None = None, owner_id: int | object | None = _UNSET,
                  due_date: date | object | None = _UNSET, status: str | None = None,
                  drop_reason: str | None = None, question_ids: Iterable[str] | None = None) -> ActionView:
    """Change what is given (``None``: unchanged; ``owner_id``/``due_date`` may be set to None).

    Completing stamps ``completed_at`` (what "done since the last assessment" reads); reopening
    a done action clears it. Dropping needs a reason. ``status`` is text (the page's choice), checked here.
    """
    if status is not None and status not in tuple(ActionStatus):
        raise InvalidInput(problems=[Problem("action_status", {"status": str(status)})])
    problems = _check_text(title, notes, drop_reason)
    with write_session(engine) as s:
        row = _load_action(s, actor, action_id)
        if owner_id is not _UNSET:
            problems += _check_owner(s, row.organisation_id, owner_id)  # type: ignore[arg-type]
        ids: list[str] | None = None
        if question_ids is not None:
            ids, unknown = _check_questions(question_ids, _org_questionnaire(s, row.organisation_id))
            problems += unknown
        new_status = ActionStatus(status or row.status)
        reason = (drop_reason if drop_reason is not None else row.drop_reason or "").strip()
        if new_status == ActionStatus.DROPPED and not reason:
            problems.append(Problem("action_drop_reason"))
        if problems:
            raise InvalidInput(problems=problems)
        if title is not None:
            row.title = title.strip()
        if notes is not None:
            row.notes = notes.strip()
        if owner_id is not _UNSET:
            row.owner_id = owner_id  # type: ignore[assignment]
        if due_date is not _UNSET:
            row.due_date = due_date  # type: ignore[assignment]
        row.drop_reason = reason if new_status == ActionStatus.DROPPED else ""
        if new_status != row.status:
            _log(s, actor, "action_status_changed", row, old=row.status, new=new_status,
                 **({"reason": reason} if new_status == ActionStatus.DROPPED else {}))
            row.completed_at = utcnow() if new_status == ActionStatus.DONE else None
            row.status = new_status
        if ids is not None:
            for link in s.scalars(select(ActionQuestion).where(ActionQuestion.action_id == row.id)):
                if link.question_id not in ids:
                    s.delete(link)
            have = set(s.scalars(select(ActionQuestion.question_id).where(ActionQuestion.action_id == row.id)))
            s.add_all(ActionQuestion(action_id=row.id, question_id=x) for x in ids if x not in have)
        row.updated_at = utcnow()
        s.flush()
        return _views(s, [row])[0]


def delete_action(engine: Engine, actor: Actor, action_id: int) -> None:
    """Remove an action for good (organisation administrators; members drop it with a reason instead)."""
    with write_session(engine) as s:
        row = _load_action(s, actor, action_id)
        if not actor.can_admin_org(row.organisation_id):
            raise Forbidden(object="action", id=action_id)
        _log(s, actor, "action_deleted", row, status=row.status)
        s.delete(row)
