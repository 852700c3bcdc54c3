"""Evidence files (佐证材料) attached to answers: upload, list, download, remove.

Threat model. Uploaders are signed-in members of the organisation; readers are whoever may read
the answer (its organisation's members and platform administrators) and nobody else: an
association sees aggregates only, and anonymous benchmarking never reads this table. An upload may
be hostile or broken: a program renamed to .pdf, a zip bomb renamed to .docx, a macro-enabled
document, an empty file, a file too big, or a flood filling the disk. So:

* the type is detected from the content (services/filetypes.py) and must agree with the name's
  ending; Office packages pass the same zip checks as Excel uploads before anything is read;
* sizes are limited per file and per organisation (``AIGOV_EVIDENCE_MAX_FILE_MB``, default 20;
  ``AIGOV_EVIDENCE_MAX_ORG_MB``, default 500);
* a refused upload stores nothing (no row, no bytes); the bytes are written under a random key
  before the row, and removed again if the row cannot be written;
* each file keeps its SHA-256, uploader and time; removal is written to the event log with the
  file's name and hash, and deletes the bytes from the store.

Evidence belongs to one answer (assessment × question) and, like answers, is frozen once the
assessment is submitted (reopen it to change its evidence).

Carrying forward. A new assessment started from an earlier one (:func:`services.assessments.create_assessment`
with ``carry_forward_from``) gets the evidence files of the answers it carries (:func:`carry_evidence`): a file
follows the same mapping step as its answer and note — to the same question on the same version; across
versions to each question the answer (or its note alone) went to, so both parts of a split question get it and a
merged question gets every part's files. Files of a question whose answer is not carried (removed in the new
version, or never answered and without a note) stay behind. The same rules as an upload hold for each copy:

* a copy is a new row of the new assessment with its own random key, the bytes copied through the store, never
  shared, so removing one copy never touches another; name, type, size, SHA-256, uploader and upload time are
  the original's (it is the same document);
* the bytes read back must match the recorded SHA-256: a file whose bytes are missing or changed is skipped and
  reported, never copied corrupt;
* the organisation's limit holds for the copies together: if all of them would exceed it, none is copied (the
  answers still are) and the carry report says so — never a partial copy;
* the copies' bytes are written before their rows, and removed again by the caller if the transaction fails;
* what was copied (files, bytes) and skipped is written to the event log with the carry record
  (:mod:`services.carry`).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath, PureWindowsPath

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import Assessment, EventLog, EvidenceFile, User, utcnow
from enums import AssessmentStatus
from questionnaires import get_questionnaire
from services.access import Actor
from services.actions import valid_id
from services.answers import load as _load
from services.carry import EvidenceCarry, SkippedFile
from services.errors import Forbidden, InvalidInput, NotFound, Problem, StateError
from services.filetypes import detect, name_fits
from services.storage import EvidenceStore, StorageError, default_store
from services.text import control_character

DEFAULT_MAX_FILE_MB = 20
DEFAULT_MAX_ORG_MB = 500
MAX_NAME = 255
MB = 1024 * 1024


class EvidenceUnavailable(StateError):
    """The stored bytes are missing or no longer match their recorded SHA-256, or cannot be written."""

    key = "evidence.errors.unavailable"


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_org_bytes: int


def limits() -> Limits:
    """The configured size limits; a malformed setting is a clear error, not a silent default."""

    def read(var: str, default: int) -> int:
        raw = os.environ.get(var, "").strip()
        if not raw:
            return default * MB
        try:
            value = float(raw)
        except ValueError:
            value = -1
        if not value > 0:
            raise InvalidInput(problems=[Problem("evidence_config", {"var": var, "value": raw})])
        return int(value * MB)

    return Limits(read("AIGOV_EVIDENCE_MAX_FILE_MB", DEFAULT_MAX_FILE_MB),
                  read("AIGOV_EVIDENCE_MAX_ORG_MB", DEFAULT_MAX_ORG_MB))


@dataclass(frozen=True)
class EvidenceView:
    id: int
    assessment_id: int
    question_id: str
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str | None
    uploaded_at: datetime


def _view(e: EvidenceFile, name: str | None) -> EvidenceView:
    return EvidenceView(e.id, e.assessment_id, e.question_id, e.filename, e.media_type, e.size, e.sha256, name,
                        e.uploaded_at)


def clean_filename(filename: str | None) -> str:
    """The last path component of an uploaded name, normalised; refused when empty, too long or with
    control characters (the name is shown and offered back on download, never used as a path)."""
    raw = unicodedata.normalize("NFC", filename or "")
    name = PureWindowsPath(PurePosixPath(raw).name).name.strip()
    if not name or name in (".", ".."):
        raise InvalidInput(problems=[Problem("evidence_name")])
    if len(name) > MAX_NAME:
        raise InvalidInput(problems=[Problem("evidence_name_long", {"max": MAX_NAME})])
    if (char := control_character(name)) is not None:
        raise InvalidInput(problems=[Problem("evidence_name_control", {"char": char})])
    return name


def check_upload(filename: str, data: bytes, lim: Limits) -> tuple[str, str]:
    """(clean name, media type) for an acceptable upload; InvalidInput naming the file otherwise."""
    name = clean_filename(filename)
    if len(data) > lim.max_file_bytes:
        raise InvalidInput(problems=[Problem("evidence_too_large", {"file": name, "size_mb": f"{len(data) / MB:.1f}", "max_mb": f"{lim.max_file_bytes / MB:g}"})])
    found = detect(data)
    if found.media_type is None:
        raise InvalidInput(problems=[Problem(f"evidence_{found.problem}", {"file": name, "detail": found.detail})])
    if not name_fits(name, found.media_type):
        raise InvalidInput(problems=[Problem("evidence_name_mismatch", {"file": name, "media_type": found.media_type})])
    return name, found.media_type


def upload_evidence(engine: Engine, actor: Actor, assessment_id: int, question_id: str, filename: str,
                    data: bytes, *, store: EvidenceStore | None = None) -> EvidenceView:
    """Attach ``data`` to the answer of ``question_id``; refused uploads store nothing."""
    store = store or default_store()
    lim = limits()
    with read_session(engine) as s:
        a = _load(s, actor, valid_id(assessment_id, "assessment"))
        org_id, status = a.organisation_id, a.status
        questionnaire = get_questionnaire(a.questionnaire_id, a.questionnaire_version)
    if status != AssessmentStatus.DRAFT:
        raise StateError(reason="submitted_cannot_change", object="assessment", id=assessment_id)
    if question_id not in {x.id for x in questionnaire.questions()}:
        raise InvalidInput(problems=[Problem("evidence_question", {"question": str(question_id)[:40]})])
    name, media_type = check_upload(filename, data, lim)
    digest = hashlib.sha256(data).hexdigest()
    key = _new_key(org_id)
    try:
        store.put(key, data)
    except OSError as exc:
        raise EvidenceUnavailable("storage", file=name) from exc
    try:
        with write_session(engine) as s:
            a = _load(s, actor, assessment_id, for_update=True)
            if a.status != AssessmentStatus.DRAFT:
                raise StateError(reason="submitted_cannot_change", object="assessment", id=assessment_id)
            used = _used(s, org_id)
            if used + len(data) > lim.max_org_bytes:
                raise InvalidInput(problems=[Problem("evidence_quota", {"file": name, "used_mb": f"{used / MB:.1f}", "max_mb": f"{lim.max_org_bytes / MB:g}"})])
            row = EvidenceFile(organisation_id=org_id, assessment_id=assessment_id, question_id=question_id,
                               filename=name, media_type=media_type, size=len(data), sha256=digest,
                               storage_key=key, uploaded_by=actor.user_id, uploaded_at=utcnow())
            s.add(row)
            s.flush()
            s.add(EventLog(user_id=actor.user_id, action="evidence_uploaded", object_type="evidence",
                           object_id=row.id, detail={"assessment_id": assessment_id, "question_id": question_id,
                                                     "filename": name, "sha256": digest, "size": len(data)}))
            s.flush()
            return _view(row, actor.username if actor.user_id else None)
    except BaseException:
        store.delete(key)
        raise


def _new_key(org_id: int) -> str:
    """A fresh storage key in the organisation's folder (random, never derived from a file name)."""
    return f"{org_id}/{secrets.token_hex(16)}"


def _used(s: Session, org_id: int) -> int:
    """Bytes of evidence the organisation keeps now (what its limit counts)."""
    return s.scalar(select(func.coalesce(func.sum(EvidenceFile.size), 0))
                    .where(EvidenceFile.organisation_id == org_id)) or 0


def carry_evidence(s: Session, src_id: int, a: Assessment, sources: Mapping[str, Sequence[str]],
                   store: EvidenceStore, written: list[str]) -> EvidenceCarry | None:
    """Copy the evidence files of assessment ``src_id`` into the new assessment ``a`` of the same organisation,
    inside the caller's transaction (the module docstring says the rules).

    ``sources``: each carried question of ``a`` → the question(s) of ``src_id`` its answer came from (the carry
    plan's steps). Every key written is appended to ``written`` before its bytes are, so the caller removes the
    copies if its transaction fails. None when the carried answers have no evidence files."""
    targets: dict[str, list[str]] = {}
    for qid, froms in sources.items():
        for old in froms:
            targets.setdefault(old, []).append(qid)
    rows = list(s.scalars(select(EvidenceFile).where(EvidenceFile.assessment_id == src_id,
                                                     EvidenceFile.question_id.in_(sorted(targets)))
                          .order_by(EvidenceFile.uploaded_at, EvidenceFile.id)))
    if not rows:
        return None
    copies = [(row, qid) for row in rows for qid in targets[row.question_id]]
    need = sum(row.size for row, _ in copies)
    used, limit = _used(s, a.organisation_id), limits().max_org_bytes
    if used + need > limit:
        return EvidenceCarry(0, 0, (), {"count": len(copies), "need": need, "used": used, "max": limit})
    done, size, skipped = 0, 0, []
    for row in rows:
        try:
            data = store.get(row.storage_key)
        except StorageError:
            skipped.append(SkippedFile(row.question_id, row.filename, "missing"))
            continue
        if hashlib.sha256(data).hexdigest() != row.sha256:
            skipped.append(SkippedFile(row.question_id, row.filename, "changed"))
            continue
        for qid in targets[row.question_id]:
            key = _new_key(a.organisation_id)
            written.append(key)
            try:
                store.put(key, data)
            except OSError as exc:
                raise EvidenceUnavailable("storage", file=row.filename) from exc
            s.add(EvidenceFile(organisation_id=a.organisation_id, assessment_id=a.id, question_id=qid,
                               filename=row.filename, media_type=row.media_type, size=row.size, sha256=row.sha256,
                               storage_key=key, uploaded_by=row.uploaded_by, uploaded_at=row.uploaded_at))
            done, size = done + 1, size + row.size
    s.flush()
    return EvidenceCarry(done, size, tuple(skipped))


def list_evidence(engine: Engine, actor: Actor, assessment_id: int) -> dict[str, list[EvidenceView]]:
    """The assessment's evidence files by question id, oldest first."""
    with read_session(engine) as s:
        _load(s, actor, valid_id(assessment_id, "assessment"))
        return evidence_of(s, assessment_id)


def evidence_of(s: Session, assessment_id: int) -> dict[str, list[EvidenceView]]:
    """:func:`list_evidence` inside the caller's session, for an assessment it may read (one statement)."""
    rows = s.execute(select(EvidenceFile, User.username).outerjoin(User, User.id == EvidenceFile.uploaded_by)
                     .where(EvidenceFile.assessment_id == assessment_id)
                     .order_by(EvidenceFile.uploaded_at, EvidenceFile.id))
    out: dict[str, list[EvidenceView]] = {}
    for e, name in rows:
        out.setdefault(e.question_id, []).append(_view(e, name))
    return out


def _load_file(s: Session, actor: Actor, evidence_id: int) -> EvidenceFile:
    row = s.get(EvidenceFile, valid_id(evidence_id, "evidence"))
    if row is None or not actor.can_read_org(row.organisation_id):
        raise NotFound(object="evidence", id=evidence_id)
    return row


def download_evidence(engine: Engine, actor: Actor, evidence_id: int, *,
                      store: EvidenceStore | None = None) -> tuple[EvidenceView, bytes]:
    """The file and its bytes, checked against the recorded SHA-256 (a changed file is not served)."""
    store = store or default_store()
    with read_session(engine) as s:
        row = _load_file(s, actor, evidence_id)
        view = _view(row, None)
        key = row.storage_key
    try:
        data = store.get(key)
    except StorageError as exc:
        raise EvidenceUnavailable("missing", file=view.filename) from exc
    if hashlib.sha256(data).hexdigest() != view.sha256:
        raise EvidenceUnavailable("changed", file=view.filename)
    return view, data


def remove_evidence(engine: Engine, actor: Actor, evidence_id: int, *, store: EvidenceStore | None = None) -> None:
    """Remove a file (its uploader or an organisation administrator), recorded in the event log."""
    store = store or default_store()
    with write_session(engine) as s:
        row = _load_file(s, actor, evidence_id)
        if not (actor.can_admin_org(row.organisation_id) or (actor.user_id and row.uploaded_by == actor.user_id)):
            raise Forbidden(object="evidence", id=evidence_id)
        a = _load(s, actor, row.assessment_id, for_update=True)
        if a.status != AssessmentStatus.DRAFT:
            raise StateError(reason="submitted_cannot_change", object="assessment", id=a.id)
        key = row.storage_key
        s.add(EventLog(user_id=actor.user_id, action="evidence_removed", object_type="evidence", object_id=row.id,
                       detail={"assessment_id": row.assessment_id, "question_id": row.question_id,
                               "filename": row.filename, "sha256": row.sha256, "size": row.size}))
        s.delete(row)
    store.delete(key)  # after the commit: a failed transaction never loses the bytes


def evidence_names(engine: Engine, actor: Actor, assessment_id: int) -> dict[str, list[str]]:
    """File names per question (for reports)."""
    return {q: [e.filename for e in files] for q, files in list_evidence(engine, actor, assessment_id).items()}
