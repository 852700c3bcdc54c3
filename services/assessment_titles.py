"""Renaming an assessment (its title is how people find it in lists, reports and exports).

Members may rename a draft; once submitted, only organisation administrators may (the title is on
record in reports already sent). The change is written to the event log with both titles.
"""

from __future__ import annotations

from sqlalchemy import Engine

from db.engine import write_session
from db.models import EventLog, Organisation, utcnow
from enums import AssessmentStatus
from services.access import Actor
from services.actions import valid_id
from services.answers import load as _load
from services.assessments import AssessmentView, assessment_view
from services.errors import Forbidden
from services.text import clean_name


def rename_assessment(engine: Engine, actor: Actor, assessment_id: int, title: str) -> AssessmentView:
    new = clean_name(title, problem="assessment_title")
    with write_session(engine) as s:
        a = _load(s, actor, valid_id(assessment_id, "assessment"), for_update=True)
        if a.status != AssessmentStatus.DRAFT and not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        org = s.get(Organisation, a.organisation_id)
        assert org is not None
        if a.title != new:
            s.add(EventLog(user_id=actor.user_id, action="assessment_renamed", object_type="assessment",
                           object_id=a.id, detail={"old": a.title, "new": new}))
            a.title = new
            a.updated_at = utcnow()
            s.flush()
        return assessment_view(a, org.name)
