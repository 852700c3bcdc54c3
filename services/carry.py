"""The carry-forward record of an assessment: which answers came through a version mapping, and which to confirm.

Answers reach an assessment across questionnaire versions in two ways, both through the declared mapping
(:mod:`questionnaires.migration`): a new assessment started from an earlier one on an older version
(:func:`services.assessments.create_assessment`), and an Excel workbook filled on an older version's
template imported into the assessment (:mod:`services.imports`). Either way the assessment gets one
``answers_carried_forward`` event whose detail is the record this module writes and reads:

- ``carried``: every answer written through the mapping (question, step kind, old question ids, level, N/A,
  whether it must be confirmed);
- ``confirm`` and ``revisions``: the answers flagged "carried, please confirm" and the revision each got when
  it was carried. An answer is still to confirm while its revision is the recorded one: saving it again
  (with a change) or confirming it as it is (:func:`services.assessments.confirm_carried`) moves it on;
- ``dropped``: answers of old questions removed in the new version; ``new``: questions with no predecessor,
  left unanswered;
- ``evidence`` (a new assessment started from an earlier one only): what carrying the evidence files did —
  how many files and bytes were copied, which files were skipped and why, and whether none was copied because
  the copies would exceed the organisation's limit (:func:`services.evidence.carry_evidence`).

A later record (a second import) keeps the earlier record's answers still to confirm that it does not
overwrite, so nothing flagged is forgotten. Records written before ``revisions`` existed flagged answers at
revision 1 (a new assessment), which is what a missing entry means.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Answer, Assessment, EventLog
from i18n import file_size
from questionnaires.migration import CarriedAnswer
from services.access import Actor

ACTION = "answers_carried_forward"  # EventLog.action of a carry-forward record


@dataclass(frozen=True)
class CarryLine:
    """One answer written through the mapping, as a report lists it."""

    question_id: str             # in the new version
    kind: str                    # same, reworded, split, merged
    from_ids: tuple[str, ...]    # the old question(s) it came from
    level: int | None
    na: bool
    confirm: bool                # flagged "carried, please confirm"

    @property
    def note_only(self) -> bool:
        """Carried for its note alone: the old question had no level (or a merged part had none), so the
        user still gives the level; nothing to confirm."""
        return self.level is None and not self.na


@dataclass(frozen=True)
class Dropped:
    """An answer of an old question that the new version removed (not carried)."""

    question_id: str
    level: int | None
    na: bool


@dataclass(frozen=True)
class SkippedFile:
    """An evidence file of the earlier assessment not carried: its stored bytes are missing or no longer match
    the SHA-256 recorded at upload (``reason``: ``missing`` or ``changed``), so no corrupt copy is made."""

    question_id: str  # in the earlier assessment
    filename: str
    reason: str


@dataclass(frozen=True)
class EvidenceCarry:
    """What carrying the evidence files of the carried answers into a new assessment did."""

    files: int                         # new evidence files (a file carried to two questions counts twice)
    bytes: int                         # their total size
    skipped: tuple[SkippedFile, ...]   # files left behind because their bytes are missing or changed
    over_quota: dict[str, Any] | None = None  # none copied: {count, need, used, max} in bytes; else None

    def messages(self) -> list[tuple[str, dict[str, Any]]]:
        """What to tell the user, as (catalog key, values) — the questionnaire page and ``aigov assessment
        carry/carried`` say the same."""
        if self.over_quota is not None:
            q = self.over_quota
            return [("evidence.carry.over_quota", {"count": q["count"], "need": file_size(q["need"]),
                                                   "used": file_size(q["used"]), "max": file_size(q["max"])})]
        out: list[tuple[str, dict[str, Any]]] = [("evidence.carry.copied", {"count": self.files,
                                                                            "size": file_size(self.bytes)})]
        out += [(f"evidence.carry.skipped_{x.reason}", {"file": x.filename, "question": x.question_id})
                for x in self.skipped]
        return out


@dataclass(frozen=True)
class CarryReport:
    """What carrying answers forward did, and what is still to confirm (shown until every flagged answer is)."""

    from_assessment: int | None   # the earlier assessment; None when the answers came from an imported workbook
    from_version: str
    to_version: str
    to_confirm: tuple[str, ...]   # carried across a changed question and neither saved nor confirmed since
    dropped: tuple[dict[str, Any], ...]  # answers of questions removed in this version ({question, level, na})
    new: tuple[str, ...]          # questions new in this version (start unanswered)
    carried: tuple[CarryLine, ...] = ()  # every answer written through the mapping (empty in records before 2026-12)
    evidence: EvidenceCarry | None = None  # evidence files carried with the answers (None: there were none)

    @property
    def from_workbook(self) -> bool:
        return self.from_assessment is None


def lines(plan: Mapping[str, CarriedAnswer]) -> tuple[CarryLine, ...]:
    """The report lines of a carry plan (new question id → carried answer), in the plan's order."""
    return tuple(CarryLine(qid, c.kind, c.from_ids, c.level, c.na, c.confirm) for qid, c in plan.items())


def report(detail: dict[str, Any] | None, revisions: Mapping[str, int]) -> CarryReport | None:
    """The record as shown, given the answers' current revisions (None: the assessment has no record)."""
    if not detail:
        return None
    return CarryReport(
        int(detail["from_assessment"]) if detail.get("from_assessment") is not None else None,
        str(detail["from_version"]), str(detail["to_version"]), pending(detail, revisions),
        tuple(detail.get("dropped", [])), tuple(detail.get("new", [])),
        tuple(CarryLine(str(x["question"]), str(x["kind"]), tuple(x["from"]), x["level"], bool(x["na"]),
                        bool(x["confirm"])) for x in detail.get("carried", [])),
        _evidence(detail.get("evidence")))


def _evidence(detail: Mapping[str, Any] | None) -> EvidenceCarry | None:
    if not detail:
        return None
    return EvidenceCarry(int(detail["files"]), int(detail["bytes"]),
                         tuple(SkippedFile(str(x["question"]), str(x["file"]), str(x["reason"]))
                               for x in detail.get("skipped", [])),
                         dict(detail["over_quota"]) if detail.get("over_quota") else None)


def pending(detail: Mapping[str, Any] | None, revisions: Mapping[str, int]) -> tuple[str, ...]:
    """The flagged answers still at the revision they were carried with (not saved or confirmed since)."""
    if not detail:
        return ()
    carried_at = detail.get("revisions", {})
    return tuple(q for q in detail.get("confirm", []) if revisions.get(q) == carried_at.get(q, 1))


def latest(s: Session, assessment_id: int) -> dict[str, Any] | None:
    """The detail of the assessment's newest carry-forward record, or None."""
    log = s.scalars(select(EventLog).where(EventLog.action == ACTION, EventLog.object_type == "assessment",
                                           EventLog.object_id == assessment_id)
                    .order_by(EventLog.id.desc())).first()
    return dict(log.detail or {}) if log is not None else None


def record(s: Session, actor: Actor, a: Assessment, *, from_assessment: int | None, from_version: str,
           carried: Iterable[CarryLine], changed: Collection[str], dropped: Iterable[Dropped],
           new: Iterable[str], evidence: EvidenceCarry | None = None) -> None:
    """Record what was carried into ``a``, after the answers were written, in the same transaction.

    ``carried``: every answer of the carry (also those equal to what was stored); ``changed``: the questions
    whose stored answer the carry wrote. A flagged answer is to confirm only if the carry wrote it; one it
    left as it was keeps its own state, and answers still to confirm from an earlier record stay so unless
    this carry wrote them. ``evidence``: what carrying the evidence files did (a new assessment started from an
    earlier one that had evidence files on the carried answers), recorded with the answers in this one entry.
    """
    s.flush()
    rows = {r.question_id: r.revision for r in s.scalars(select(Answer).where(Answer.assessment_id == a.id))}
    before = latest(s, a.id)
    carried = tuple(carried)
    flagged = {q: (before or {}).get("revisions", {}).get(q, 1) for q in pending(before, rows) if q not in changed}
    flagged.update({x.question_id: rows[x.question_id] for x in carried
                    if x.confirm and x.question_id in changed and x.question_id in rows})
    s.add(EventLog(user_id=actor.user_id, action=ACTION, object_type="assessment", object_id=a.id, detail={
        "from_assessment": from_assessment, "from_version": from_version, "to_version": a.questionnaire_version,
        "confirm": sorted(flagged), "revisions": dict(sorted(flagged.items())),
        "carried": [{"question": x.question_id, "kind": x.kind, "from": list(x.from_ids), "level": x.level,
                     "na": x.na, "confirm": x.confirm} for x in carried],
        "dropped": [{"question": d.question_id, "level": d.level, "na": d.na} for d in dropped],
        "new": list(new),
        **({"evidence": {"files": evidence.files, "bytes": evidence.bytes,
                         "skipped": [{"question": x.question_id, "file": x.filename, "reason": x.reason}
                                     for x in evidence.skipped],
                         "over_quota": evidence.over_quota}} if evidence is not None else {})}))
