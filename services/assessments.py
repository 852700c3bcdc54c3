"""Assessments: create, read, answer (per-answer save with a revision check), submit, reopen, delete.

Saving is per answer, in its own short transaction, so an answer is durable the moment it is
given. Each answer row carries a ``revision``; a save names the revision the user saw, and a
save over a newer revision is refused with a :class:`~services.errors.ConflictError` holding the
other value, so two people answering at once never overwrite each other silently.

What the questionnaire shows of an assessment (its metadata, answers, result, and per question the
done actions and evidence files) is read in one transaction by :func:`assessment_state`, and a save
returns the same state as it stands after the save, read in the save's own transaction: one answer
change is one write transaction, not a write and re-reads.
The rules and writers of answers inside a transaction are :mod:`services.answers`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, snapshot_session, write_session
from db.models import (
    Answer,
    AnswerEvent,
    Assessment,
    BenchmarkRound,
    EventLog,
    EvidenceFile,
    Organisation,
    User,
    utcnow,
)
from enums import AnswerSource, AssessmentForm, AssessmentStatus, RoundStatus, Sharing
from questionnaires import DEFAULT_ID, Questionnaire, get_questionnaire
from questionnaires.migration import CarriedAnswer, CarryPlan, MigrationError, get_migration
from scoring.types import AssessmentResult
from services import answers, carry, evidence
from services.access import Actor
from services.answer_extras import QuestionExtras, question_extras
from services.answers import AnswerInputData, AnswerView
from services.carry import CarryReport
from services.errors import Conflict, ConflictError, Forbidden, InvalidInput, NotFound, Problem, StateError
from services.organisations import organisation_row
from services.results import score_stored
from services.storage import EvidenceStore, default_store
from services.text import clean_text


@dataclass(frozen=True)
class AssessmentView:
    id: int
    organisation_id: int
    organisation_name: str
    title: str
    questionnaire_id: str
    questionnaire_version: str
    form: AssessmentForm
    status: AssessmentStatus
    target_preset: str | None
    round_id: int | None
    sharing: Sharing | None
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    version_id: int


def assessment_view(a: Assessment, org_name: str) -> AssessmentView:
    """The view of a loaded assessment (the caller checked access); the stored texts become their enumerations."""
    return AssessmentView(
        a.id, a.organisation_id, org_name, a.title, a.questionnaire_id, a.questionnaire_version,
        AssessmentForm(a.form), AssessmentStatus(a.status), a.target_preset, a.round_id, sharing_of(a),
        a.created_at, a.updated_at, a.submitted_at, a.version_id,
    )


def sharing_of(a: Assessment) -> Sharing | None:
    """The assessment's sharing choice as the enumeration (None outside a round)."""
    return None if a.sharing is None else Sharing(a.sharing)


@dataclass(frozen=True)
class AssessmentState:
    """What the questionnaire and results pages show of one assessment, read in one transaction.

    The view, every stored answer (with its revision and author) and the scoring engine's result of
    exactly those answers: nothing on the page can come from two different moments. ``extras`` (per
    question, the actions done since the previous assessment and the evidence files) are read by the
    questionnaire's reads, :func:`assessment_state` and :func:`save_answer_and_read`; None where the
    reader does not show them (the results page, exports).
    """

    view: AssessmentView
    answers: dict[str, AnswerView]
    result: AssessmentResult
    carry: CarryReport | None = None  # answers carried from an assessment on another questionnaire version
    extras: QuestionExtras | None = None


def _state(a: Assessment, org: Organisation, rows: dict[str, tuple[Answer, str | None]],
           carried: dict[str, Any] | None = None, extras: QuestionExtras | None = None) -> AssessmentState:
    stored = {qid: answers.view(row, name) for qid, (row, name) in rows.items()}
    return AssessmentState(assessment_view(a, org.name), stored, score_stored(a, org, stored.values()),
                           carry.report(carried, {qid: x.revision for qid, x in stored.items()}), extras)


def questionnaire_for(view: AssessmentView | Assessment) -> Questionnaire:
    return get_questionnaire(view.questionnaire_id, view.questionnaire_version)


# --- queries ----------------------------------------------------------------------------------------

def get_assessment(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentView:
    with read_session(engine) as s:
        a, org = answers.load_with_organisation(s, actor, assessment_id)
        return assessment_view(a, org.name)


def assessment_state(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentState:
    """The assessment, its answers, its result, its carry-forward record and the questionnaire's extras (done
    actions and evidence per question) from one read snapshot (four statements, six if actions were done)."""
    with snapshot_session(engine) as s:
        a, org, carried = answers.load_for_page(s, actor, assessment_id)
        return _state(a, org, answers.load_rows(s, a.id), carried, question_extras(s, a))


def assessment_state_in(s: Session, a: Assessment, org: Organisation,
                        carried: dict[str, Any] | None = None) -> AssessmentState:
    """:func:`assessment_state` without the extras, inside the caller's read of ``a`` (access-checked): one
    statement, the answers."""
    return _state(a, org, answers.load_rows(s, a.id), carried)


def assessment_record(engine: Engine, actor: Actor,
                      assessment_id: int) -> tuple[AssessmentState, list[AnswerChange] | None]:
    """:func:`assessment_state` and the answer history (organisation administrators; else None) from one snapshot.

    What an export shows — answers, their scores, who changed what — then belongs to one moment,
    however many people are answering meanwhile: no re-reads, no retries.
    """
    with snapshot_session(engine) as s:
        a, org = answers.load_with_organisation(s, actor, assessment_id)
        state = _state(a, org, answers.load_rows(s, a.id))
        return state, (_history(s, a.id) if actor.can_admin_org(a.organisation_id) else None)


def list_assessments(engine: Engine, actor: Actor, org_id: int) -> list[AssessmentView]:
    """An organisation's assessments, newest first."""
    actor.require_org(org_id)
    with read_session(engine) as s:
        org = organisation_row(s, org_id)
        rows = s.scalars(select(Assessment).where(Assessment.organisation_id == org_id)
                         .order_by(Assessment.created_at.desc(), Assessment.id.desc()))
        return [assessment_view(a, org.name) for a in rows]


def load_answers(engine: Engine, actor: Actor, assessment_id: int) -> dict[str, AnswerView]:
    with read_session(engine) as s:
        answers.load(s, actor, assessment_id)
        return {qid: answers.view(row, name) for qid, (row, name) in answers.load_rows(s, assessment_id).items()}


# --- lifecycle --------------------------------------------------------------------------------------

def create_assessment(engine: Engine, actor: Actor, org_id: int, *, form: str = AssessmentForm.FULL, title: str = "",
                      carry_forward_from: int | None = None, round_id: int | None = None,
                      sharing: str | None = None, questionnaire_id: str | None = None,
                      source: AnswerSource = AnswerSource.UI, store: EvidenceStore | None = None) -> AssessmentView:
    """Start a draft; optionally copy the answers (not the audit trail) of an earlier assessment, with the
    evidence files of the answers it carries (:func:`services.evidence.carry_evidence`; their bytes are copied in
    ``store``, the configured one by default, and removed again if the new assessment cannot be stored).

    An organisation has one assessment per round; a second one (e.g. two clicks racing) is a StateError.
    ``form`` and ``sharing`` are text (a page's choice, ``aigov assessment carry --form``): this is where they are
    checked (InvalidInput ``form`` / ``sharing``) and become their enumerations.
    """
    actor.require_org(org_id)
    if form not in tuple(AssessmentForm):
        raise InvalidInput(problems=[Problem("form")])
    if sharing is not None and sharing not in tuple(Sharing):
        raise InvalidInput(problems=[Problem("sharing")])
    try:
        return _create_assessment(engine, actor, org_id, form=AssessmentForm(form), title=title,
                                  carry_forward_from=carry_forward_from, round_id=round_id,
                                  sharing=None if sharing is None else Sharing(sharing),
                                  questionnaire_id=questionnaire_id, source=source, store=store or default_store())
    except IntegrityError as exc:
        if round_id is None:
            raise
        raise StateError(reason="already_in_round", object="round", id=round_id) from exc


def _create_assessment(engine: Engine, actor: Actor, org_id: int, *, form: AssessmentForm, title: str,
                       carry_forward_from: int | None, round_id: int | None, sharing: Sharing | None,
                       questionnaire_id: str | None, source: AnswerSource, store: EvidenceStore) -> AssessmentView:
    written: list[str] = []  # evidence copies' keys: removed again if the transaction fails (as an upload does)
    try:
        return _create_in(engine, actor, org_id, form=form, title=title, carry_forward_from=carry_forward_from,
                          round_id=round_id, sharing=sharing, questionnaire_id=questionnaire_id, source=source,
                          store=store, written=written)
    except BaseException:
        for key in written:
            store.delete(key)
        raise


def _create_in(engine: Engine, actor: Actor, org_id: int, *, form: AssessmentForm, title: str,
               carry_forward_from: int | None, round_id: int | None, sharing: Sharing | None,
               questionnaire_id: str | None, source: AnswerSource,
               store: EvidenceStore, written: list[str]) -> AssessmentView:
    with write_session(engine) as s:
        org = organisation_row(s, org_id)
        qid, version = questionnaire_id, None
        if round_id is not None:
            rnd = s.get(BenchmarkRound, round_id)
            if rnd is None or not _org_in_association(s, org_id, rnd.association_id):
                raise NotFound(object="round", id=round_id)
            if rnd.status != RoundStatus.OPEN:
                raise StateError(reason="round_closed", object="round", id=round_id)
            qid, version = rnd.questionnaire_id, rnd.questionnaire_version
            sharing = sharing or Sharing.ANONYMOUS
        q = get_questionnaire(qid or DEFAULT_ID, version)
        a = Assessment(organisation_id=org_id, title=clean_text(title, problem="title_control", max_length=200),
                       questionnaire_id=q.id,
                       questionnaire_version=q.version, form=form, status=AssessmentStatus.DRAFT, round_id=round_id,
                       sharing=sharing, created_by=actor.user_id)
        s.add(a)
        s.flush()
        if carry_forward_from is not None:
            src = answers.load(s, actor, carry_forward_from)
            if src.organisation_id != org_id:
                raise NotFound(object="assessment", id=carry_forward_from)
            _carry_forward(s, actor, src, a, q, source, store, written)
        return assessment_view(a, org.name)


class NothingToCarry(StateError):
    """The earlier assessment is already on the version a new one would use: there is no mapping to carry through."""

    key = "assessments.carry_same_version"


class NoCarryMapping(StateError):
    """No declared mapping leads from the earlier assessment's version to the new one's (an older or unknown
    version): answers carry forward only along a shipped mapping, never back to an older version.

    ``problems`` says why no mapping could be used (none is shipped, or the shipped one is invalid), each located
    in the mapping file, for a caller to say in its language."""

    key = "assessments.carry_no_mapping"

    def __init__(self, problems: Sequence[Problem], **values: Any):
        self.problems = list(problems)
        super().__init__("", **values)


def carry_forward(engine: Engine, actor: Actor, assessment_id: int, *, title: str = "", form: str | None = None,
                  source: AnswerSource = AnswerSource.UI) -> AssessmentView:
    """A new draft in the organisation of assessment ``assessment_id``, on the newest version of its questionnaire,
    with its answers carried through the declared mapping (:func:`create_assessment` with ``carry_forward_from``).

    Refused (:class:`NothingToCarry`) when the earlier assessment is already on the newest version: re-assessing
    on the same version is "start from an earlier assessment" (a copy, nothing to confirm), not a carry across
    versions. ``form``: the earlier assessment's form unless given (text, checked by :func:`create_assessment`).
    """
    src = get_assessment(engine, actor, assessment_id)
    newest = get_questionnaire(src.questionnaire_id)
    if src.questionnaire_version == newest.version:
        raise NothingToCarry(f"assessment {src.id} is already on {newest.id} {newest.version}, the newest version: "
                             "there is nothing to carry forward", id=src.id, version=newest.version)
    return create_assessment(engine, actor, src.organisation_id, form=form or src.form, title=title,
                             carry_forward_from=src.id, questionnaire_id=src.questionnaire_id, source=source)


def _carry_forward(s: Session, actor: Actor, src: Assessment, a: Assessment, q: Questionnaire, source: AnswerSource,
                   store: EvidenceStore, written: list[str]) -> None:
    """Copy ``src``'s answers into ``a``. Across questionnaire versions the declared mapping decides
    (questionnaires/migration.py): unchanged questions keep their answer, reworded/split/merged ones get it flagged
    "carried, please confirm" (event source ``carried``), removed ones are recorded as dropped, new ones stay open
    (the record: :mod:`services.carry`). The evidence files follow the answers along the same steps, their copies' keys appended to ``written``
    (:func:`services.evidence.carry_evidence`)."""
    old = {x.question_id: x for x in s.scalars(select(Answer).where(Answer.assessment_id == src.id))}
    if src.questionnaire_id == q.id and src.questionnaire_version == q.version:
        asked = {y.id for y in q.questions()}
        plan = CarryPlan({qid: CarriedAnswer(x.level, bool(x.is_na), x.justification, x.note, False, (qid,))
                          for qid, x in old.items() if qid in asked}, (), ())
    else:
        try:
            mapping = get_migration(q.id, src.questionnaire_version, q.version)
        except MigrationError as exc:
            raise NoCarryMapping(exc.problems, id=src.id, old=src.questionnaire_version,
                                 new=q.version) from exc
        plan = mapping.carry({k: _Carry(v.level, bool(v.is_na), v.justification or "", v.note or "")
                              for k, v in old.items()})
    for qid, c in plan.carried.items():
        answers.write_row(s, actor, a.id, qid, None, (c.level, c.na, c.justification, c.note),
                          AnswerSource.CARRIED if c.confirm else source)
    files = evidence.carry_evidence(s, src.id, a, {qid: c.from_ids for qid, c in plan.carried.items()}, store, written)
    carry.record(s, actor, a, from_assessment=src.id, from_version=src.questionnaire_version,
                 carried=carry.lines(plan.carried), changed=set(plan.carried),
                 dropped=[carry.Dropped(k, old[k].level, bool(old[k].is_na)) for k in plan.dropped], new=plan.new,
                 evidence=files)


@dataclass(frozen=True)
class _Carry:
    level: int | None
    na: bool
    justification: str
    note: str


def carry_report(engine: Engine, actor: Actor, assessment_id: int) -> CarryReport | None:
    """The carry-forward record of an assessment, or None if it was not started from another one."""
    with snapshot_session(engine) as s:
        a, org, carried = answers.load_for_page(s, actor, assessment_id)
        return assessment_state_in(s, a, org, carried).carry


def confirm_carried(engine: Engine, actor: Actor, assessment_id: int, question_ids: Iterable[str]) -> int:
    """Confirm carried answers as they are (the user checked them against the new question): recorded in the
    answer history with source ``confirmed``; the answers themselves do not change. Returns how many."""
    with write_session(engine) as s:
        a = answers.load(s, actor, assessment_id, for_update=True)
        if a.status != AssessmentStatus.DRAFT:
            raise StateError(reason="submitted_cannot_change", object="assessment", id=assessment_id)
        detail = carry.latest(s, a.id)
        flagged = set((detail or {}).get("confirm", []))
        rows = {r.question_id: r for r in s.scalars(select(Answer).where(
            Answer.assessment_id == a.id, Answer.question_id.in_(flagged & set(question_ids))))}
        still = set(carry.pending(detail, {qid: r.revision for qid, r in rows.items()}))
        todo = sorted(qid for qid in rows if qid in still)  # carried and not saved or confirmed since
        for qid in todo:
            row = rows[qid]
            values = answers.stored(row)
            s.add(AnswerEvent(assessment_id=a.id, question_id=qid, user_id=actor.user_id, source=AnswerSource.CONFIRMED,
                              old_level=values[0], old_na=values[1], old_justification=values[2], old_note=values[3],
                              new_level=values[0], new_na=values[1], new_justification=values[2],
                              new_note=values[3]))
            row.revision += 1  # confirmed: no longer "carried, please confirm" (the answer itself is unchanged)
            row.updated_at = utcnow()
            row.updated_by = actor.user_id
        return len(todo)


def _org_in_association(s: Session, org_id: int, association_id: int) -> bool:
    from db.models import AssociationMember

    return s.get(AssociationMember, (association_id, org_id)) is not None


def submit(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentView:
    """Freeze the assessment with a snapshot of the organisation profile; nothing answered is lost."""
    with write_session(engine) as s:
        a = answers.load(s, actor, assessment_id, for_update=True)
        if a.status == AssessmentStatus.SUBMITTED:
            raise StateError(reason="submitted_cannot_change", object="assessment", id=assessment_id)
        if a.round_id is not None:
            rnd = s.get(BenchmarkRound, a.round_id)
            if rnd is not None and rnd.status != RoundStatus.OPEN:
                raise StateError(reason="round_closed", object="round", id=a.round_id)
        org = s.get(Organisation, a.organisation_id)
        assert org is not None
        answers.submit(s, actor, a, org)
        return assessment_view(a, org.name)


class RoundClosedReopen(StateError):
    """Reopening would take a submission out of a closed round for good (it could not be resubmitted)."""

    key = "assessments.reopen_round_closed"


def reopen(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentView:
    """Back to draft (organisation administrators only); the profile snapshot is dropped.

    Refused while the assessment's benchmarking round is closed: a closed round keeps what was
    submitted (docs/benchmarking.md), and a reopened draft could not be submitted into it again.
    """
    with write_session(engine) as s:
        a = answers.load(s, actor, assessment_id, for_update=True)
        if not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        if a.status != AssessmentStatus.SUBMITTED:
            raise StateError(reason="not_submitted", object="assessment", id=assessment_id)
        rnd = s.get(BenchmarkRound, a.round_id) if a.round_id is not None else None
        if rnd is not None and rnd.status != RoundStatus.OPEN:
            raise RoundClosedReopen(f"round {rnd.id} '{rnd.name}' is closed: reopening would take this submission out "
                                    "of it; ask the association to reopen the round first",
                                    object="round", id=rnd.id, round=rnd.name)
        a.status = AssessmentStatus.DRAFT
        a.submitted_at = None
        a.profile_snapshot = None
        s.add(EventLog(user_id=actor.user_id, action="assessment_reopened", object_type="assessment", object_id=a.id))
        s.flush()
        return assessment_view(a, s.get(Organisation, a.organisation_id).name)  # type: ignore[union-attr]


def delete_assessment(engine: Engine, actor: Actor, assessment_id: int, *,
                      store: EvidenceStore | None = None) -> None:
    """Delete a draft with its answers and evidence: the rows in one transaction, then the evidence
    files' bytes from the store (after the commit, so a failed transaction never loses a file)."""
    store = store or default_store()
    with write_session(engine) as s:
        a = answers.load(s, actor, assessment_id, for_update=True)
        if not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        if a.status != AssessmentStatus.DRAFT:  # a submitted one is a record (and may sit in a benchmarking round): reopen first
            raise StateError(reason="submitted_cannot_change", object="assessment", id=assessment_id)
        files = s.execute(select(EvidenceFile.storage_key, EvidenceFile.filename, EvidenceFile.sha256)
                          .where(EvidenceFile.assessment_id == a.id)).all()
        # The answers and their audit trail go with the assessment; the deletion itself stays on record,
        # with the evidence files that went with it.
        s.add(EventLog(user_id=actor.user_id, action="assessment_deleted", object_type="assessment", object_id=a.id,
                       detail={"organisation_id": a.organisation_id, "title": a.title, "status": a.status,
                               "evidence": [{"filename": f.filename, "sha256": f.sha256} for f in files]}))
        s.delete(a)
    for f in files:
        store.delete(f.storage_key)


# --- answers ----------------------------------------------------------------------------------------

def save_answer_and_read(engine: Engine, actor: Actor, assessment_id: int, data: AnswerInputData, *,
                         expected_revision: int | None, source: AnswerSource = AnswerSource.UI) -> AssessmentState:
    """Store one answer if nobody changed it since the caller read ``expected_revision``; returns the
    assessment's state right after the save, with the questionnaire's extras, from the same transaction.

    ``expected_revision`` is the revision the user saw (None: the user saw no stored answer). A
    mismatch raises ConflictError with the stored value; an identical value is a no-op. The page
    that saved needs nothing else to draw itself again (the questionnaire's autosave).
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
                      expected_revision: int | None, source: AnswerSource) -> AssessmentState:
    with write_session(engine) as s:
        # The assessment row is locked (PostgreSQL; SQLite's writers are serialised by BEGIN IMMEDIATE):
        # every writer of its answers takes this lock first, so the answers read next cannot change
        # before this transaction ends.
        a, org, carried = answers.load_for_page(s, actor, assessment_id, for_update=True)
        if a.status != AssessmentStatus.DRAFT:
            raise StateError(reason="submitted_cannot_change", object="assessment", id=assessment_id)
        problems = answers.validate(get_questionnaire(a.questionnaire_id, a.questionnaire_version), data)
        if problems:
            raise InvalidInput(problems=problems)
        rows = answers.load_rows(s, a.id)
        row, author = rows.get(data.question_id, (None, None))
        new = answers.values(data)
        if row is not None:
            if answers.stored(row) == new:
                return _state(a, org, rows, carried, question_extras(s, a))
            if expected_revision != row.revision:
                raise ConflictError(Conflict(data.question_id, row.level, bool(row.is_na), row.justification or "",
                                             row.note or "", row.revision, author))
        elif expected_revision not in (None, 0):
            # The user saw an answer that no longer exists (cleared by someone, then row removed).
            raise ConflictError(Conflict(data.question_id, None, False, "", "", 0, None))
        row = answers.write_row(s, actor, a.id, data.question_id, row, new, source)
        a.updated_at = utcnow()
        s.flush()
        rows[data.question_id] = (row, actor.username if actor.user_id else None)
        return _state(a, org, rows, carried, question_extras(s, a))


def save_answers_bulk(engine: Engine, actor: Actor, assessment_id: int, given: Iterable[AnswerInputData], *,
                      source: AnswerSource) -> int:
    """Replace answers in one transaction (imports, restore): all or nothing; returns rows changed."""
    with write_session(engine) as s:
        return answers.write(s, actor, answers.load(s, actor, assessment_id, for_update=True), given, source)


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
        a = answers.load(s, actor, assessment_id)
        if not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        return _history(s, a.id)


def _history(s: Session, assessment_id: int) -> list[AnswerChange]:
    rows = s.execute(select(AnswerEvent, User.username).outerjoin(User, User.id == AnswerEvent.user_id)
                     .where(AnswerEvent.assessment_id == assessment_id)
                     .order_by(AnswerEvent.at.desc(), AnswerEvent.id.desc()))
    return [
        AnswerChange(e.at, e.question_id, name, e.source,
                     {"level": e.old_level, "na": e.old_na, "justification": e.old_justification, "note": e.old_note},
                     {"level": e.new_level, "na": e.new_na, "justification": e.new_justification, "note": e.new_note})
        for e, name in rows
    ]

