"""The audit event every benchmarking action records (who did what to which object)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from db.models import EventLog
from services.access import Actor


def log_event(s: Session, actor: Actor, action: str, object_type: str, object_id: int, **detail: Any) -> None:
    s.add(EventLog(user_id=actor.user_id, action=action, object_type=object_type, object_id=object_id,
                   detail=detail or None))

