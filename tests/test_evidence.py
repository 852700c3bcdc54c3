"""Evidence files: what is accepted by content, what is refused (storing nothing), hashes, removal and audit."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from db.engine import read_session
from db.models import EventLog, EvidenceFile
from services.assessments import delete_assessment, submit
from services.errors import Forbidden, InvalidInput, Problem, StateError
from services.evidence import download_evidence, list_evidence, remove_evidence, upload_evidence
from services.storage import FileStore
from tests.support.evidence import small_evidence_store
from tests.test_actions import problem_codes
from tests.ui_flow import new_assessment, org_admin, q, respondent

QIDS = [x.id for x in q().questions()]

CT = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
      'wordprocessingml.document.main+xml"/>{extra}</Types>')


def _ooxml(parts: dict[str, bytes], extra: str = "") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", CT.format(extra=extra))
        for name, data in parts.items():
            z.writestr(name, data)
    return buf.getvalue()


DOCX = _ooxml({"word/document.xml": b"<w:document/>"})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

BAD_UPLOADS = [  # (file name, bytes, problem code, why)
    ("empty.pdf", b"", "evidence_empty", "an empty file"),
    ("big.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024 + 1), "evidence_too_large", "over the 1 MB test limit"),
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "evidence_unknown_type", "a Windows program named .pdf"),
    ("photo.pdf", PNG, "evidence_name_mismatch", "a PNG image named .pdf"),
    ("policy.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "evidence_legacy_office", "binary .doc"),
    ("bomb.docx", _ooxml({"word/document.xml": b"<w:document/>", "word/media/zeros.bin": b"\x00" * (3 * 1024 * 1024)}),
     "evidence_zip_bomb", "a zip bomb disguised as a Word file"),
    ("macro.docx", _ooxml({"word/document.xml": b"<w:document/>", "word/vbaProject.bin": b"\x00" * 10}),
     "evidence_macros", "a macro-enabled document renamed .docx"),
    ("archive.docx", b"PK\x03\x04" + b"\x00" * 40, "evidence_damaged", "a broken zip named .docx"),
    ("notes\x07.txt", b"hello", "evidence_name_control", "a control character in the name"),
    ("x" * 300 + ".txt", b"hello", "evidence_name_long", "a name of 300 characters"),
    ("binary.txt", bytes(range(256)), "evidence_unknown_type", "random bytes named .txt"),
]


def _plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "not an office file")
    return buf.getvalue()


BAD_UPLOADS.append(("contract.docx", _plain_zip(), "evidence_unknown_type", "a plain zip archive named .docx"))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileStore:
    return small_evidence_store(tmp_path, monkeypatch)


def _files_on_disk(store: FileStore) -> list[Path]:
    return [p for p in store.root.rglob("*") if p.is_file()] if store.root.exists() else []


def _rows(engine: Engine) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(EvidenceFile)) or 0


@pytest.mark.parametrize(("name", "data", "code", "why"), BAD_UPLOADS, ids=[b[3] for b in BAD_UPLOADS])
def test_bad_uploads_are_refused_with_a_message_and_nothing_is_stored(engine: Engine, store: FileStore, name: str,
                                                                      data: bytes, code: str, why: str) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    with pytest.raises(InvalidInput) as err:
        upload_evidence(engine, alice.actor(engine), aid, QIDS[0], name, data)
    assert problem_codes(err.value) == [code], why
    first = err.value.problems[0]
    assert isinstance(first, Problem) and first.text("zh") != first  # translated, not just English
    assert _rows(engine) == 0 and _files_on_disk(store) == [], f"{why}: something was stored"


def test_weakened_type_check_would_store_a_disguised_program(engine: Engine, store: FileStore,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The corpus has teeth: trusting the name (no content check) stores a program as a PDF."""
    import services.evidence as ev
    from services.filetypes import Detected

    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    monkeypatch.setattr(ev, "detect", lambda data: Detected("application/pdf"))
    upload_evidence(engine, alice.actor(engine), aid, QIDS[0], "setup.pdf", b"MZ\x90\x00\x03")
    assert _rows(engine) == 1


def test_good_files_are_stored_with_hash_uploader_and_time(engine: Engine, store: FileStore) -> None:
    alice = org_admin(engine)
    rita = respondent(engine, alice)
    aid = new_assessment(engine, alice)
    good = [("制度.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf"), ("org.docx", DOCX, None),
            ("scan.PNG", PNG, "image/png"), ("记录.txt", "治理委员会会议纪要\n".encode(), "text/plain")]
    for name, data, media in good:
        v = upload_evidence(engine, rita.actor(engine), aid, QIDS[0], name, data)
        assert v.sha256 == hashlib.sha256(data).hexdigest() and v.size == len(data) and v.uploaded_by == "rita"
        assert media is None or v.media_type == media
        view, back = download_evidence(engine, alice.actor(engine), v.id)
        assert back == data and view.filename == name
    listed = list_evidence(engine, alice.actor(engine), aid)[QIDS[0]]
    assert [e.filename for e in listed] == [g[0] for g in good]
    assert len(_files_on_disk(store)) == 4


def test_organisation_quota_counts_every_file(engine: Engine, store: FileStore) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    chunk = b"%PDF-1.7\n" + b"0" * (900 * 1024)
    upload_evidence(engine, alice.actor(engine), aid, QIDS[0], "a.pdf", chunk)
    upload_evidence(engine, alice.actor(engine), aid, QIDS[1], "b.pdf", chunk)
    with pytest.raises(InvalidInput) as err:
        upload_evidence(engine, alice.actor(engine), aid, QIDS[2], "c.pdf", chunk)
    assert problem_codes(err.value) == ["evidence_quota"]
    assert _rows(engine) == 2 and len(_files_on_disk(store)) == 2


def test_removal_deletes_the_bytes_and_is_in_the_audit_trail(engine: Engine, store: FileStore) -> None:
    alice = org_admin(engine)
    rita = respondent(engine, alice)
    ruth = respondent(engine, alice, "ruth")
    aid = new_assessment(engine, alice)
    v = upload_evidence(engine, rita.actor(engine), aid, QIDS[0], "policy.txt", b"policy v1\n")
    assert len(_files_on_disk(store)) == 1
    with pytest.raises(Forbidden):  # another respondent may not remove rita's file
        remove_evidence(engine, ruth.actor(engine), v.id)
    remove_evidence(engine, alice.actor(engine), v.id)
    assert _files_on_disk(store) == [] and _rows(engine) == 0
    with read_session(engine) as s:
        event = s.scalars(select(EventLog).where(EventLog.action == "evidence_removed")).one()
    assert event.user_id == alice.user_id and event.object_id == v.id
    assert event.detail["filename"] == "policy.txt" and event.detail["sha256"] == v.sha256


def test_deleting_a_draft_deletes_its_evidence_files_from_disk(engine: Engine, store: FileStore) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    keep = new_assessment(engine, alice)  # another draft's file stays
    for i, qid in enumerate(QIDS[:2]):
        upload_evidence(engine, alice.actor(engine), aid, qid, f"policy-{i}.txt", f"policy {i}\n".encode())
    kept = upload_evidence(engine, alice.actor(engine), keep, QIDS[0], "other.txt", b"other\n")
    assert len(_files_on_disk(store)) == 3
    delete_assessment(engine, alice.actor(engine), aid)
    [left] = _files_on_disk(store)
    assert hashlib.sha256(left.read_bytes()).hexdigest() == kept.sha256 and _rows(engine) == 1
    with read_session(engine) as s:
        event = s.scalars(select(EventLog).where(EventLog.action == "assessment_deleted")).one()
    assert sorted(f["filename"] for f in event.detail["evidence"]) == ["policy-0.txt", "policy-1.txt"]


def test_submitted_assessment_evidence_is_frozen(engine: Engine, store: FileStore) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    v = upload_evidence(engine, alice.actor(engine), aid, QIDS[0], "policy.txt", b"policy\n")
    submit(engine, alice.actor(engine), aid)
    with pytest.raises(StateError):
        upload_evidence(engine, alice.actor(engine), aid, QIDS[0], "later.txt", b"later\n")
    with pytest.raises(StateError):
        remove_evidence(engine, alice.actor(engine), v.id)
    assert len(_files_on_disk(store)) == 1


def test_a_changed_file_on_disk_is_not_served(engine: Engine, store: FileStore) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    v = upload_evidence(engine, alice.actor(engine), aid, QIDS[0], "policy.txt", b"policy\n")
    _files_on_disk(store)[0].write_bytes(b"tampered\n")
    with pytest.raises(StateError):
        download_evidence(engine, alice.actor(engine), v.id)


def test_backup_carries_evidence_and_restore_puts_it_back(engine: Engine, store: FileStore, tmp_path: Path) -> None:
    import base64
    import gzip
    import json

    from db.engine import make_engine
    from services.backup import BackupError, dump, restore
    from tests.support.databases import empty_sqlite

    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    v = upload_evidence(engine, alice.actor(engine), aid, QIDS[0], "制度.pdf", b"%PDF-1.7\n policy\n")
    out = tmp_path / "backup.json.gz"
    report = dump(engine, out)
    assert report.evidence_files == 1 and report.evidence_missing == ()

    target_store = FileStore(tmp_path / "restored-evidence")
    target = make_engine(empty_sqlite(tmp_path / "new"))
    restored = restore(target, out, store=target_store)
    assert restored.evidence_files == 1
    view, data = download_evidence(target, alice.actor(target), v.id, store=target_store)
    assert data == b"%PDF-1.7\n policy\n" and view.sha256 == v.sha256

    doc = json.loads(gzip.decompress(out.read_bytes()))
    doc["evidence"][0]["data"] = base64.b64encode(b"%PDF-1.7\n forged\n").decode()
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(doc))
    other = make_engine(empty_sqlite(tmp_path / "other"))
    with pytest.raises(BackupError, match="SHA-256"):
        restore(other, forged, store=FileStore(tmp_path / "other-evidence"))
    assert not (tmp_path / "other-evidence").exists()
    target.dispose()
    other.dispose()
