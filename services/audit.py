"""Audit trails: the history of an assessment's answers and the installation's security events.

:func:`log_admin_event` is the one way an administrative action (role, membership, account change) is
recorded, with who did it. Reading the answer history needs organisation administration of the
assessment's organisation; reading security events needs platform administration. Turning the answer
history into a CSV file is presentation and lives in :mod:`excel.audit_csv`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Assessment, EventLog, User
from questionnaires import QuestionnaireError, get_questionnaire
from services.access import Actor
from services.assessments import AnswerChange, history
from services.errors import NotFound

EVENT_LIMIT = 500


def log_admin_event(s: Session, actor: Actor, action: str, object_type: str, object_id: int, **detail: Any) -> None:
    """Record an administrative action by ``actor`` inside the caller's transaction."""
    s.add(EventLog(user_id=actor.user_id, action=action, object_type=object_type, object_id=object_id,
                   detail={"by": actor.username, **detail}))


# --- audit history of answers ----------------------------------------------------------------------

def audit_history(engine: Engine, actor: Actor, assessment_id: int) -> list[AnswerChange]:
    """An assessment's answer changes, newest first (organisation administrators)."""
    return history(engine, actor, assessment_id)


def filter_changes(changes: Iterable[AnswerChange], *, question_ids: Iterable[str] = (),
                   users: Iterable[str] = (), sources: Iterable[str] = ()) -> list[AnswerChange]:
    """The changes matching every non-empty filter; ``users`` holds user names, "" for the system actor."""
    qs, us, ss = set(question_ids), set(users), set(sources)
    return [c for c in changes
            if (not qs or c.question_id in qs) and (not us or (c.user or "") in us) and (not ss or c.source in ss)]


def question_texts(engine: Engine, actor: Actor, assessment_id: int, lang: str) -> dict[str, str]:
    """Question id → question text in ``lang`` for the assessment's questionnaire (NotFound outside the actor's
    organisations; empty when the questionnaire version is no longer shipped)."""
    with read_session(engine) as s:
        a = s.get(Assessment, assessment_id)
        if a is None or not actor.can_read_org(a.organisation_id):
            raise NotFound(object="assessment", id=assessment_id)
        qid, version = a.questionnaire_id, a.questionnaire_version
    try:
        q = get_questionnaire(qid, version)
    except QuestionnaireError:
        return {}
    return {x.id: q.t(x.text, lang) for x in q.questions()}


# --- security events -------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventView:
    at: datetime
    user: str | None
    action: str
    object_type: str | None
    object_id: int | None
    detail: dict[str, Any]


def recent_events(engine: Engine, actor: Actor, *, limit: int = 200, actions: Iterable[str] = ()) -> list[EventView]:
    """The latest security events (sign-ins, failures, lock-outs, account and role changes), newest first."""
    actor.require_platform_admin()
    limit = max(1, min(int(limit), EVENT_LIMIT))
    with read_session(engine) as s:
        stmt = (select(EventLog, User.username).outerjoin(User, User.id == EventLog.user_id)
                .order_by(EventLog.at.desc(), EventLog.id.desc()).limit(limit))
        wanted = list(actions)
        if wanted:
            stmt = stmt.where(EventLog.action.in_(wanted))
        return [EventView(e.at, name, e.action, e.object_type, e.object_id, dict(e.detail or {}))
                for e, name in s.execute(stmt)]


def event_actions(engine: Engine, actor: Actor) -> list[str]:
    """The kinds of events recorded so far (for a filter)."""
    actor.require_platform_admin()
    with read_session(engine) as s:
        return sorted(s.scalars(select(EventLog.action).distinct()))
