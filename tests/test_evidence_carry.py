"""Evidence files carried into a new assessment started from an earlier one (services/evidence.py carry_evidence).

What a user notices: the documents attached as proof are in the new assessment, on the question the answer went
to (both parts of a split question), as copies of their own (removing one leaves the other), readable by the
organisation only; a file whose stored bytes are missing or changed is not copied and is named; over the
organisation's limit nothing is copied and the carry says so; a carry that fails leaves no stray bytes.
Expected values come from the uploaded bytes and the mapping file (YAML read directly), not from the code under test.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func, select

from db.engine import make_engine, read_session
from db.models import Assessment, EventLog, EvidenceFile, Organisation
from demo.seed import DEMO_ORG_NAME, seed_demo
from i18n import file_size, t
from services.access import Actor
from services.assessments import (
    AnswerInputData,
    carry_report,
    create_assessment,
    load_answers,
    reopen,
)
from services.carry import EvidenceCarry, SkippedFile
from services.errors import NotFound
from services.evidence import (
    EvidenceUnavailable,
    download_evidence,
    list_evidence,
    remove_evidence,
    upload_evidence,
)
from services.rounds import reopen_round
from services.storage import FileStore
from tests.support.answers import save_answer
from tests.support.cli import run_cli
from tests.support.evidence import small_evidence_store
from tests.ui_flow import Member, new_assessment, org_admin, q, respondent

QIDS = [x.id for x in q().questions()]
MAPPING = Path(__file__).resolve().parents[1] / "questionnaires" / "caict-aigov" / "migrations" / "1.0.0-1.1.0.yml"
POLICY = "人工智能治理制度 v3\n".encode()
MINUTES = b"%PDF-1.7\n% ethics committee minutes\n%%EOF\n"
SCAN = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FileStore:
    return small_evidence_store(tmp_path, monkeypatch)


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    """A migrated empty database on SQLite and on PostgreSQL."""
    eng = make_engine(any_db_url)
    yield eng
    eng.dispose()


def _on_disk(store: FileStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


def _rows(engine: Engine, assessment_id: int) -> list[EvidenceFile]:
    with read_session(engine) as s:
        return list(s.scalars(select(EvidenceFile).where(EvidenceFile.assessment_id == assessment_id)
                              .order_by(EvidenceFile.id)))


def _answer(engine: Engine, member: Member, aid: int, qid: str, level: int = 2) -> None:
    save_answer(engine, member.actor(engine), aid, AnswerInputData(qid, level=level), expected_revision=None)


def _record(engine: Engine, assessment_id: int) -> dict:
    with read_session(engine) as s:
        log = s.scalars(select(EventLog).where(EventLog.action == "answers_carried_forward",
                                               EventLog.object_id == assessment_id)).one()
        return dict(log.detail or {})


def test_same_version_carry_copies_each_file_under_its_own_key(db: Engine, store: FileStore) -> None:
    alice = org_admin(db)
    rita = respondent(db, alice)
    old = new_assessment(db, alice)
    _answer(db, alice, old, QIDS[0])
    _answer(db, alice, old, QIDS[1], 3)
    up = [upload_evidence(db, rita.actor(db), old, QIDS[0], "制度.txt", POLICY),
          upload_evidence(db, rita.actor(db), old, QIDS[0], "minutes.pdf", MINUTES),
          upload_evidence(db, rita.actor(db), old, QIDS[1], "scan.png", SCAN)]
    upload_evidence(db, rita.actor(db), old, QIDS[2], "unanswered.txt", b"no answer here\n")  # no answer: stays

    new = create_assessment(db, alice.actor(db), alice.org_id, carry_forward_from=old).id

    files = list_evidence(db, alice.actor(db), new)
    assert sorted(files) == [QIDS[0], QIDS[1]]
    got = [(e.question_id, e.filename, e.media_type, e.size, e.sha256, e.uploaded_by, e.uploaded_at)
           for qid in (QIDS[0], QIDS[1]) for e in files[qid]]
    assert got == [(u.question_id, u.filename, u.media_type, u.size, u.sha256, "rita", u.uploaded_at) for u in up]
    old_keys = {r.storage_key for r in _rows(db, old)}
    new_rows = _rows(db, new)
    assert len(new_rows) == 3 and not old_keys & {r.storage_key for r in new_rows}
    assert all(r.organisation_id == alice.org_id and r.storage_key.startswith(f"{alice.org_id}/") for r in new_rows)
    for e, data in zip((e for qid in (QIDS[0], QIDS[1]) for e in files[qid]), (POLICY, MINUTES, SCAN), strict=True):
        assert download_evidence(db, alice.actor(db), e.id)[1] == data
    assert len(_on_disk(store)) == 4 + 3

    # the copy is its own file: removing it leaves the earlier assessment's file as it was
    copy = files[QIDS[0]][0]
    remove_evidence(db, alice.actor(db), copy.id)
    assert download_evidence(db, alice.actor(db), up[0].id)[1] == POLICY
    assert len(_on_disk(store)) == 4 + 2

    size = len(POLICY) + len(MINUTES) + len(SCAN)
    report = carry_report(db, alice.actor(db), new)
    assert report is not None and report.evidence == EvidenceCarry(3, size, ())
    assert _record(db, new)["evidence"] == {"files": 3, "bytes": size, "skipped": [], "over_quota": None}


def _demo_with_files(engine: Engine) -> tuple[Actor, int, int]:
    """The demo; org1's 1.0.0 assessment (in the closed 2025 round) reopened with files on GOV-INS-01 (split in
    1.1.0) and GOV-INS-02 (reworded). (operator, organisation, assessment)."""
    seed_demo(engine)
    actor = Actor.system()
    with read_session(engine) as s:
        org = s.scalars(select(Organisation).where(Organisation.name == DEMO_ORG_NAME)).one()
        old = s.scalars(select(Assessment).where(Assessment.organisation_id == org.id,
                                                 Assessment.questionnaire_version == "1.0.0")).one()
        org_id, old_id, round_id = org.id, old.id, old.round_id
    assert round_id is not None
    reopen_round(engine, actor, round_id)
    reopen(engine, actor, old_id)
    upload_evidence(engine, actor, old_id, "GOV-INS-01", "治理团队任命.pdf", MINUTES)
    upload_evidence(engine, actor, old_id, "GOV-INS-02", "policy.txt", POLICY)
    return actor, org_id, old_id


def test_a_note_carried_without_its_level_takes_its_files_along(engine: Engine, store: FileStore) -> None:
    """The evidence follows the same steps as notes: a question carried for its note alone keeps its files."""
    actor, org_id, old_id = _demo_with_files(engine)
    stored = load_answers(engine, actor, old_id)["GOV-INS-03"]
    save_answer(engine, actor, old_id, AnswerInputData("GOV-INS-03", level=None, note="清单起草中"),
                expected_revision=stored.revision)
    upload_evidence(engine, actor, old_id, "GOV-INS-03", "draft-list.txt", b"draft list\n")
    new = create_assessment(engine, actor, org_id, carry_forward_from=old_id).id
    [to] = _mapped_to("GOV-INS-03")
    assert load_answers(engine, actor, new)[to].level is None
    assert [e.filename for e in list_evidence(engine, actor, new)[to]] == ["draft-list.txt"]


def _mapped_to(old_qid: str) -> list[str]:
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    [step] = [s for s in doc["steps"] if old_qid in s.get("from", [])]
    return list(step["to"])


def test_across_versions_a_split_question_gets_the_file_on_both_parts(engine: Engine, store: FileStore) -> None:
    actor, org_id, old_id = _demo_with_files(engine)
    assert load_answers(engine, actor, old_id)["GOV-INS-01"].answered  # the answer the files go with
    parts = _mapped_to("GOV-INS-01")
    assert len(parts) == 2

    new = create_assessment(engine, actor, org_id, carry_forward_from=old_id)
    assert new.questionnaire_version == "1.1.0"

    files = list_evidence(engine, actor, new.id)
    assert {qid: [e.filename for e in v] for qid, v in files.items()} == {
        parts[0]: ["治理团队任命.pdf"], parts[1]: ["治理团队任命.pdf"], _mapped_to("GOV-INS-02")[0]: ["policy.txt"]}
    split = [files[p][0] for p in parts]
    assert split[0].id != split[1].id and split[0].sha256 == split[1].sha256 == hashlib.sha256(MINUTES).hexdigest()
    assert {r.storage_key for r in _rows(engine, new.id)}.isdisjoint({r.storage_key for r in _rows(engine, old_id)})
    remove_evidence(engine, actor, split[0].id)  # one part's copy gone, the other part keeps its own
    assert download_evidence(engine, actor, split[1].id)[1] == MINUTES
    report = carry_report(engine, actor, new.id)
    assert report is not None and report.evidence == EvidenceCarry(3, 2 * len(MINUTES) + len(POLICY), ())


def test_a_file_with_missing_or_changed_bytes_is_skipped_and_named(engine: Engine, store: FileStore) -> None:
    alice = org_admin(engine)
    old = new_assessment(engine, alice)
    for qid in QIDS[:3]:
        _answer(engine, alice, old, qid)
    upload_evidence(engine, alice.actor(engine), old, QIDS[0], "good.txt", POLICY)
    changed = upload_evidence(engine, alice.actor(engine), old, QIDS[1], "changed.pdf", MINUTES)
    gone = upload_evidence(engine, alice.actor(engine), old, QIDS[2], "gone.png", SCAN)
    keys = {r.id: r.storage_key for r in _rows(engine, old)}
    (store.root / keys[changed.id]).write_bytes(b"%PDF-1.7\n% forged minutes\n%%EOF\n")
    (store.root / keys[gone.id]).unlink()

    new = create_assessment(engine, alice.actor(engine), alice.org_id, carry_forward_from=old).id

    rows = _rows(engine, new)
    assert [(r.question_id, r.filename) for r in rows] == [(QIDS[0], "good.txt")]
    assert download_evidence(engine, alice.actor(engine), rows[0].id)[1] == POLICY
    assert len(_on_disk(store)) == 2 + 1  # no copy of the forged or the missing file
    assert set(load_answers(engine, alice.actor(engine), new)) == set(QIDS[:3])  # the answers are all carried
    report = carry_report(engine, alice.actor(engine), new)
    assert report is not None and report.evidence == EvidenceCarry(1, len(POLICY), (
        SkippedFile(QIDS[1], "changed.pdf", "changed"), SkippedFile(QIDS[2], "gone.png", "missing")))
    said = {lang: [t(k, lang, **v) for k, v in report.evidence.messages()] for lang in ("zh", "en")}
    for lang in ("zh", "en"):
        assert said[lang][0] == t("evidence.carry.copied", lang, count=1, size=file_size(len(POLICY)))
        assert "changed.pdf" in said[lang][1] and "SHA-256" in said[lang][1] and "gone.png" in said[lang][2]


def test_over_the_organisation_limit_no_file_is_copied_and_it_is_said(engine: Engine, store: FileStore) -> None:
    alice = org_admin(engine)
    old = new_assessment(engine, alice)
    chunk = b"%PDF-1.7\n" + b"0" * (700 * 1024)
    for qid in QIDS[:2]:
        _answer(engine, alice, old, qid)
        upload_evidence(engine, alice.actor(engine), old, qid, f"{qid}.pdf", chunk)  # 1.4 MB of the 2 MB

    new = create_assessment(engine, alice.actor(engine), alice.org_id, carry_forward_from=old).id

    assert _rows(engine, new) == [] and len(_on_disk(store)) == 2  # not one copy, not half the copies
    assert set(load_answers(engine, alice.actor(engine), new)) == set(QIDS[:2])  # the answers still are carried
    report = carry_report(engine, alice.actor(engine), new)
    assert report is not None and report.evidence is not None
    assert report.evidence.files == 0 and report.evidence.over_quota == {
        "count": 2, "need": 2 * len(chunk), "used": 2 * len(chunk), "max": 2 * 1024 * 1024}
    for lang in ("zh", "en"):
        [line] = [t(k, lang, **v) for k, v in report.evidence.messages()]
        assert line == t("evidence.carry.over_quota", lang, count=2, need=file_size(2 * len(chunk)),
                         used=file_size(2 * len(chunk)), max="2.0 MB")
        assert "AIGOV_EVIDENCE_MAX_ORG_MB" in line


class _FullAfterOne(FileStore):
    """A store whose disk fills up after one file: the second copy cannot be written."""

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.puts = 0

    def put(self, key: str, data: bytes) -> None:
        self.puts += 1
        if self.puts > 1:
            raise OSError(28, "No space left on device")
        super().put(key, data)


def test_a_carry_that_fails_after_writing_a_copy_removes_it_and_stores_nothing(engine: Engine,
                                                                               store: FileStore) -> None:
    alice = org_admin(engine)
    old = new_assessment(engine, alice)
    for qid, (name, data) in zip(QIDS[:2], (("a.txt", POLICY), ("b.pdf", MINUTES)), strict=True):
        _answer(engine, alice, old, qid)
        upload_evidence(engine, alice.actor(engine), old, qid, name, data)
    before = _on_disk(store)
    full = _FullAfterOne(store.root)
    with pytest.raises(EvidenceUnavailable):
        create_assessment(engine, alice.actor(engine), alice.org_id, carry_forward_from=old, store=full)
    assert full.puts == 2  # one copy was written before the failure ...
    assert _on_disk(store) == before  # ... and removed again
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Assessment)) == 1  # no half-made assessment
        assert s.scalar(select(func.count()).select_from(EvidenceFile)) == 2


def test_another_organisation_can_neither_read_the_copies_nor_carry_them_away(db: Engine, store: FileStore) -> None:
    alice = org_admin(db)
    bob = org_admin(db, "bob", "Rival AI Ltd")
    old = new_assessment(db, alice)
    _answer(db, alice, old, QIDS[0])
    upload_evidence(db, alice.actor(db), old, QIDS[0], "制度.txt", POLICY)
    new = create_assessment(db, alice.actor(db), alice.org_id, carry_forward_from=old).id
    [copy] = _rows(db, new)
    with pytest.raises(NotFound):
        download_evidence(db, bob.actor(db), copy.id)
    with pytest.raises(NotFound):
        list_evidence(db, bob.actor(db), new)
    disk = _on_disk(store)
    with pytest.raises(NotFound):  # starting his own assessment from alice's would copy her files into his
        create_assessment(db, bob.actor(db), bob.org_id, carry_forward_from=old)
    assert _on_disk(store) == disk and not any(p.parent.name == str(bob.org_id) for p in disk)
    with read_session(db) as s:
        assert s.scalar(select(func.count()).select_from(EvidenceFile)
                        .where(EvidenceFile.organisation_id == bob.org_id)) == 0


def test_a_backup_holds_the_carried_copies_and_restores_them(engine: Engine, store: FileStore,
                                                             tmp_path: Path) -> None:
    from services.backup import dump, restore
    from tests.support.databases import empty_sqlite

    alice = org_admin(engine)
    old = new_assessment(engine, alice)
    _answer(engine, alice, old, QIDS[0])
    upload_evidence(engine, alice.actor(engine), old, QIDS[0], "制度.txt", POLICY)
    new = create_assessment(engine, alice.actor(engine), alice.org_id, carry_forward_from=old).id
    [copy] = _rows(engine, new)
    out = tmp_path / "backup.json.gz"
    assert dump(engine, out).evidence_files == 2
    target_store = FileStore(tmp_path / "restored")
    target = make_engine(empty_sqlite(tmp_path / "restored-db"))
    assert restore(target, out, store=target_store).evidence_files == 2
    view, data = download_evidence(target, alice.actor(target), copy.id, store=target_store)
    assert data == POLICY and view.assessment_id == new
    remove_evidence(target, alice.actor(target), copy.id, store=target_store)  # the restored copy is its own too
    [original] = _rows(target, old)
    assert download_evidence(target, alice.actor(target), original.id, store=target_store)[1] == POLICY
    target.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """An empty migrated database on each backend, with DATABASE_URL pointing `aigov` at it."""
    url = request.getfixturevalue("db_url" if request.param == "sqlite" else "pg_url")
    engine = make_engine(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield engine
    engine.dispose()


def test_cli_carry_and_carried_say_how_many_evidence_files_came_along(demo_engine: Engine, store: FileStore) -> None:
    _, _, old_id = _demo_with_files(demo_engine)
    size = file_size(2 * len(MINUTES) + len(POLICY))
    code, out, err = run_cli(["assessment", "carry", str(old_id), "--lang", "en"])
    assert code == 0, err
    assert t("evidence.carry.copied", "en", count=3, size=size) in out
    with read_session(demo_engine) as s:
        new = s.scalars(select(Assessment.id).order_by(Assessment.id.desc())).first()
    code, out, err = run_cli(["assessment", "carried", str(new), "--lang", "zh"])
    assert code == 0, err
    assert t("evidence.carry.copied", "zh", count=3, size=size) in out and "3 个" in out
