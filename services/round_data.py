"""Loading a round's submissions and answers into data frames: one SQL query each.

For anonymous members the queries never select the organisation's name; answers are read for
scoring only.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import and_, case, func, null, select
from sqlalchemy.orm import Session

from benchmarking.statistics import SUBMISSION_COLUMNS
from db.models import Answer, Assessment, AssociationMember, Organisation
from enums import AssessmentStatus, Sharing


def load_submissions(s: Session, association_id: int, round_ids: list[int], *, with_names: bool) -> pd.DataFrame:
    """Assessments of current members in the given rounds (drafts too), one row each.

    ``name`` is selected only for identified members, and only when ``with_names`` (the
    association's view); a member's view never loads any name.
    """
    name = (case((Assessment.sharing == Sharing.IDENTIFIED, Organisation.name), else_=None) if with_names
            else null()).label("name")
    stmt = (select(Assessment.round_id, Assessment.id.label("assessment_id"), Assessment.organisation_id,
                   Assessment.status, Assessment.sharing, Assessment.form,
                   func.coalesce(Assessment.target_preset, Organisation.target_preset).label("target_preset"),
                   Assessment.profile_snapshot, Organisation.profile.label("live_profile"),
                   Assessment.submitted_at, name)
            .join(Organisation, Organisation.id == Assessment.organisation_id)
            .join(AssociationMember, and_(AssociationMember.organisation_id == Assessment.organisation_id,
                                          AssociationMember.association_id == association_id))
            .where(Assessment.round_id.in_(round_ids or [-1])))
    rows = s.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["round_id", "assessment_id", "organisation_id", "status", "sharing", "form",
                                        "target_preset", "profile_snapshot", "live_profile", "submitted_at", "name"])
    return _with_profile(frame)


def _with_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """The profile scoring uses: the snapshot taken at submission, else the live profile (drafts)."""
    snap = frame["profile_snapshot"]
    frame["profile"] = snap.where(snap.notna() & (frame["status"] == AssessmentStatus.SUBMITTED), frame["live_profile"])
    frame["profile"] = [p if isinstance(p, dict) else {} for p in frame["profile"]]
    return frame[list(SUBMISSION_COLUMNS)]


def load_answers(s: Session, round_ids: list[int], *, extra_assessment: int | None = None) -> pd.DataFrame:
    """Answers (level, N/A) of every submitted assessment in the rounds: one query into a DataFrame."""
    cond = and_(Assessment.round_id.in_(round_ids or [-1]), Assessment.status == AssessmentStatus.SUBMITTED)
    if extra_assessment is not None:
        cond = cond | (Assessment.id == extra_assessment)
    stmt = (select(Answer.assessment_id, Answer.question_id, Answer.level, Answer.is_na.label("na"))
            .join(Assessment, Assessment.id == Answer.assessment_id).where(cond))
    frame = _read_frame(s, stmt)
    frame["level"] = frame["level"].astype("float64")
    frame["na"] = frame["na"].fillna(False).astype(bool)
    return frame


def _read_frame(s: Session, stmt: Any) -> pd.DataFrame:
    """Run a Core statement on the session's connection and read the rows straight into a DataFrame.

    A round's answers are hundreds of thousands of rows; building a SQLAlchemy ``Row`` per row costs
    twice the query itself, so the compiled statement goes to the driver's cursor and the tuples to
    pandas, as ``pandas.read_sql`` does with a bare DB-API connection (perf/bench_round_statistics.py).
    """
    conn = s.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = ([compiled.params[k] for k in compiled.positiontup] if compiled.positiontup is not None
                   else compiled.params)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, params)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()

