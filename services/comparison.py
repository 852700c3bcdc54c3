"""Round-over-round comparison of two assessments of one organisation (对比上一轮评估).

Which answers changed (from → to, who, when), every unit's score then and now, and whether a
unit changed at all as the reader sees it: scores are shown with two decimals (scoring/display.py),
so a difference that disappears in that rounding is "no change", never "+0.00" or "−0.00".
The results page and the management report both call :func:`compare`, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.engine import snapshot_session
from db.models import AnswerEvent, Assessment, Organisation, User
from enums import AssessmentStatus
from scoring.display import format_score
from scoring.types import AssessmentResult, UnitScore
from services import answers
from services.access import Actor
from services.actions import valid_id
from services.answers import AnswerView
from services.answers import load as _load
from services.errors import NotFound
from services.results import score_stored

Change = Literal["up", "down", "no_change", "not_comparable"]


@dataclass(frozen=True)
class ChangedAnswer:
    question_id: str
    from_level: int | None
    from_na: bool
    to_level: int | None
    to_na: bool
    changed_by: str | None  # who gave the current answer (None: unknown or the operator)
    changed_at: datetime | None


@dataclass(frozen=True)
class UnitDelta:
    kind: str
    id: str
    previous: float | None
    current: float | None
    delta: float | None
    change: Change


@dataclass(frozen=True)
class Comparison:
    previous_id: int
    previous_title: str
    previous_submitted_at: datetime | None
    changed_answers: tuple[ChangedAnswer, ...]
    units: tuple[UnitDelta, ...]  # overall, dimensions, sub-dimensions (questionnaire order)

    def unit(self, kind: str, unit_id: str) -> UnitDelta:
        return next(u for u in self.units if u.kind == kind and u.id == unit_id)


def classify(previous: float | None, current: float | None) -> tuple[float | None, Change]:
    """The delta and whether it shows: equal after display rounding is "no_change"."""
    if previous is None or current is None:
        return None, "not_comparable"
    if format_score(previous) == format_score(current):
        return current - previous, "no_change"
    return current - previous, "up" if current > previous else "down"


def _previous_id(s: Session, a: Assessment) -> int | None:
    """The organisation's latest assessment submitted before ``a`` (by submission, else creation)."""
    cutoff = a.submitted_at if a.status == AssessmentStatus.SUBMITTED and a.submitted_at is not None else a.created_at
    return s.scalar(select(Assessment.id).where(
        Assessment.organisation_id == a.organisation_id, Assessment.id != a.id,
        Assessment.status == AssessmentStatus.SUBMITTED, Assessment.submitted_at < cutoff,
    ).order_by(Assessment.submitted_at.desc(), Assessment.id.desc()).limit(1))


def _stored(s: Session, assessment_id: int) -> dict[str, AnswerView]:
    return {qid: answers.view(row, name) for qid, (row, name) in answers.load_rows(s, assessment_id).items()}


def _deltas(prev: tuple[UnitScore, ...], cur: tuple[UnitScore, ...]) -> list[UnitDelta]:
    before = {u.id: u.score for u in prev}
    out = []
    for u in cur:
        delta, change = classify(before.get(u.id), u.score)
        out.append(UnitDelta(u.kind, u.id, before.get(u.id), u.score, delta, change))
    return out


def compare(engine: Engine, actor: Actor, assessment_id: int, previous_id: int | None = None) -> Comparison | None:
    """This assessment against ``previous_id`` (default: the previous submitted one); None without one.

    Both assessments, their answers and who gave them are read in one snapshot, so the comparison is
    of one moment."""
    with snapshot_session(engine) as s:
        cur, org = answers.load_with_organisation(s, actor, valid_id(assessment_id, "assessment"))
        new = _stored(s, cur.id)
        return compare_in(s, actor, cur, org, new, score_stored(cur, org, new.values()), previous_id)


def compare_in(s: Session, actor: Actor, cur: Assessment, org: Organisation, new: dict[str, AnswerView],
               r_cur: AssessmentResult, previous_id: int | None = None) -> Comparison | None:
    """:func:`compare` inside the caller's read of ``cur`` (access-checked), its answers ``new`` and their
    result ``r_cur``: one statement without a previous assessment, four with one."""
    if previous_id is None:
        previous_id = _previous_id(s, cur)
        if previous_id is None:
            return None
    prev = _load(s, actor, valid_id(previous_id, "assessment"))
    if prev.organisation_id != cur.organisation_id or prev.id == cur.id:
        raise NotFound(object="assessment", id=previous_id)
    stored_prev = _stored(s, prev.id)
    old = {qid: (x.level, x.na) for qid, x in stored_prev.items()}
    now = {qid: (x.level, x.na) for qid, x in new.items()}
    changed_ids = sorted(q for q in set(old) | set(now) if old.get(q, (None, False)) != now.get(q, (None, False)))
    # Who gave each current answer: the latest event of this assessment on that question.
    last: dict[str, tuple[str | None, datetime]] = {}
    if changed_ids:
        for qid, name, at in s.execute(
                select(AnswerEvent.question_id, User.username, AnswerEvent.at)
                .outerjoin(User, User.id == AnswerEvent.user_id)
                .where(AnswerEvent.assessment_id == cur.id, AnswerEvent.question_id.in_(changed_ids))
                .order_by(AnswerEvent.at, AnswerEvent.id)):
            last[qid] = (name, at)
    changes = [ChangedAnswer(q, *old.get(q, (None, False)), *now.get(q, (None, False)),
                             *last.get(q, (None, None))) for q in changed_ids]
    r_prev = score_stored(prev, org, stored_prev.values())
    order = {x: i for i, x in enumerate(r_cur.applicable + tuple(sorted(set(old) | set(now))))}
    changes.sort(key=lambda c: order.get(c.question_id, len(order)))
    units = _deltas((r_prev.overall,), (r_cur.overall,)) + _deltas(r_prev.dimensions, r_cur.dimensions) \
        + _deltas(r_prev.subdimensions, r_cur.subdimensions)
    return Comparison(prev.id, prev.title, prev.submitted_at, tuple(changes), tuple(units))
