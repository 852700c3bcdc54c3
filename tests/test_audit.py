"""The audit trail of answers: every change through the web page, the Excel import and the command
line is recorded with who, when, the old and the new value; organisation administrators read it on
the members page, download it as CSV and find it in the Excel summary."""

from __future__ import annotations

import csv
import io
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.models import utcnow
from enums import AnswerSource
from excel import audit_csv
from i18n import t
from services import audit
from services.access import Actor
from services.assessments import (
    AnswerChange,
    AnswerInputData,
    create_assessment,
    history,
    load_answers,
)
from services.errors import Forbidden
from services.exports import org_template_xlsx, summary_xlsx
from services.imports import import_workbook
from tests.support.answers import save_answer
from tests.support.apptest import app_test, page_texts
from tests.ui_flow import Member, new_assessment, open_page, org_admin, respondent


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """Every test of this module on both backends: SQLite and a real PostgreSQL server."""
    return any_db_url


@pytest.fixture
def team(engine: Engine) -> tuple[Member, Member, Member]:
    """An organisation administrator and two respondents of the same organisation."""
    lead = org_admin(engine, "lead", "审计测试科技 Audit Ltd")
    return lead, respondent(engine, lead, "rita"), respondent(engine, lead, "sam")


def _changes(engine: Engine, lead: Member, aid: int, qid: str | None = None) -> list[AnswerChange]:
    rows = history(engine, lead.actor(engine), aid)
    return [c for c in rows if qid is None or c.question_id == qid]


# --- the web page ------------------------------------------------------------------------------------

def test_questionnaire_page_changes_are_recorded(app_db: str, engine: Engine, team: tuple[Member, ...]) -> None:
    lead, rita, _ = team
    aid = new_assessment(engine, lead, form="full")
    start = utcnow() - timedelta(seconds=1)
    at = open_page(rita, "questionnaire", assessment=aid)
    qid, other = [r.key[len("ans_"):] for r in at.radio if (r.key or "").startswith("ans_")][:2]
    at.radio(key=f"ans_{qid}").set_value(2).run()
    at.radio(key=f"ans_{qid}").set_value(4).run()
    at.text_area(key=f"note_{qid}").input("制度文件见 OA-2024-17").run()
    at.radio(key=f"ans_{other}").set_value(-1).run()  # N/A: waits for the justification
    at.text_input(key=f"na_{other}").input("我们不开发模型 We build no models").run()
    assert not at.exception, at.exception

    changes = list(reversed(_changes(engine, lead, aid, qid)))  # oldest first
    assert [(c.old["level"], c.new["level"]) for c in changes] == [(None, 2), (2, 4), (4, 4)]
    assert changes[-1].old["note"] == "" and changes[-1].new["note"] == "制度文件见 OA-2024-17"
    assert all(c.user == "rita" and c.source == "ui" and start <= c.at <= utcnow() for c in changes)
    na = _changes(engine, lead, aid, other)
    assert len(na) == 1 and na[0].new["na"] is True and na[0].new["level"] is None
    assert na[0].new["justification"] == "我们不开发模型 We build no models" and na[0].user == "rita"


def test_two_respondents_answers_carry_their_own_names(app_db: str, engine: Engine,
                                                       team: tuple[Member, ...]) -> None:
    lead, rita, sam = team
    aid = new_assessment(engine, lead)
    at_rita = open_page(rita, "questionnaire", assessment=aid)
    qids = [r.key[len("ans_"):] for r in at_rita.radio if (r.key or "").startswith("ans_")]
    at_rita.radio(key=f"ans_{qids[0]}").set_value(3).run()
    at_sam = open_page(sam, "questionnaire", assessment=aid)
    at_sam.radio(key=f"ans_{qids[1]}").set_value(1).run()
    at_sam.radio(key=f"ans_{qids[0]}").set_value(4).run()  # sam revises rita's answer (he saw it)

    answers = load_answers(engine, lead.actor(engine), aid)
    assert answers[qids[0]].updated_by == "sam" and answers[qids[0]].level == 4
    assert answers[qids[1]].updated_by == "sam"
    by_q = {(c.question_id, c.user, c.old["level"], c.new["level"]) for c in _changes(engine, lead, aid)}
    assert by_q == {(qids[0], "rita", None, 3), (qids[1], "sam", None, 1), (qids[0], "sam", 3, 4)}


# --- the Excel import --------------------------------------------------------------------------------

def test_import_changes_are_recorded_with_old_and_new_values(engine: Engine, team: tuple[Member, ...]) -> None:
    lead, rita, _ = team
    source = new_assessment(engine, lead, title="来源 source")
    target = new_assessment(engine, lead, title="目标 target")
    q1, q2 = "GOV-INS-05", "GOV-INS-02"
    for aid, level in ((source, 5), (target, 1)):
        save_answer(engine, rita.actor(engine), aid, AnswerInputData(q1, level=level, note=f"note {level}"),
                    expected_revision=None)
    save_answer(engine, rita.actor(engine), source, AnswerInputData(q2, na=True, justification="不适用理由"),
                expected_revision=None)
    workbook = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=source)
    report = import_workbook(engine, lead.actor(engine), lead.org_id, workbook, assessment_id=target)
    assert report.ok, report.problems

    imported = {c.question_id: c for c in _changes(engine, lead, target) if c.source == "import"}
    assert set(imported) == {q1, q2}
    assert imported[q1].user == "lead"
    assert (imported[q1].old["level"], imported[q1].new["level"]) == (1, 5)
    assert (imported[q1].old["note"], imported[q1].new["note"]) == ("note 1", "note 5")
    assert imported[q2].old["level"] is None and imported[q2].new == {
        "level": None, "na": True, "justification": "不适用理由", "note": ""}
    # The earlier web-page answer is still in the trail, under its own author.
    assert any(c.source == "ui" and c.user == "rita" and c.question_id == q1 for c in _changes(engine, lead, target))


# --- the command line --------------------------------------------------------------------------------

def _cli(argv: list[str]) -> tuple[int, str, str]:
    from cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_command_line_import_is_recorded(app_db: str, engine: Engine, team: tuple[Member, ...],
                                         tmp_path: Path) -> None:
    lead, rita, _ = team
    source = new_assessment(engine, lead)
    save_answer(engine, rita.actor(engine), source, AnswerInputData("GOV-CUL-01", level=3, note="CLI 证据"),
                expected_revision=None)
    path = tmp_path / "filled.xlsx"
    path.write_bytes(org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=source))
    target = new_assessment(engine, lead)
    code, out, err = _cli(["import", str(path), "--org", str(lead.org_id), "--assessment", str(target)])
    assert code == 0, err
    [change] = _changes(engine, lead, target)
    assert change.source == "cli" and change.question_id == "GOV-CUL-01"
    assert (change.old["level"], change.new["level"], change.new["note"]) == (None, 3, "CLI 证据")
    assert change.user is None  # the operator at the command line: shown as "system"
    # …and the command line reads the trail back, naming the operator as the system.
    code, out, err = _cli(["users", "history", str(target), "--lang", "en"])
    assert code == 0, err
    assert "GOV-CUL-01" in out and t("members.history.system", "en") in out
    assert t("members.history.source.cli", "en") in out


# --- reading the trail -------------------------------------------------------------------------------

def test_only_organisation_administrators_read_the_history(engine: Engine, team: tuple[Member, ...]) -> None:
    lead, rita, _ = team
    aid = new_assessment(engine, lead)
    with pytest.raises(Forbidden):
        history(engine, rita.actor(engine), aid)
    assert history(engine, lead.actor(engine), aid) == []


def test_csv_download_is_complete_and_safe_in_spreadsheets(engine: Engine, team: tuple[Member, ...]) -> None:
    lead, rita, sam = team
    aid = new_assessment(engine, lead)
    save_answer(engine, rita.actor(engine), aid, AnswerInputData("GOV-INS-05", level=2, note="=HYPERLINK(\"x\")"),
                expected_revision=None)
    save_answer(engine, sam.actor(engine), aid, AnswerInputData("GOV-INS-05", level=3, note="@SUM(A1)"),
                expected_revision=1)
    changes = audit.audit_history(engine, lead.actor(engine), aid)
    data = audit_csv.history_csv(changes, audit.question_texts(engine, lead.actor(engine), aid, "zh"), "zh")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header = rows[0]
    assert header == list(audit_csv.history_headers("zh").values())
    body = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert len(body) == 2
    newest = body[0]
    cols = audit_csv.history_headers("zh")
    assert newest[cols["user"]] == "sam" and newest[cols["old_level"]] == "2" and newest[cols["new_level"]] == "3"
    assert newest[cols["old_note"]] == "'=HYPERLINK(\"x\")" and newest[cols["new_note"]] == "'@SUM(A1)"
    assert newest[cols["question_text"]]  # the question text, not only its id
    only_rita = audit.filter_changes(changes, users=["rita"])
    assert [c.user for c in only_rita] == ["rita"]
    assert audit.filter_changes(changes, sources=["import"]) == []


# Notes a spreadsheet would run if written as they are: at a field's start, and after a ";" where Excel
# (in comma-decimal locales such as de or fr) splits the line into cells.
FORMULA_NOTES = ("see annex;=cmd|' /C calc'!A0", "=HYPERLINK(\"https://evil.example\")", "+1+1", "-2+3",
                 "@SUM(A1)", "\t=1+1", "\r=1+1", "fine;\"=1+1\"", "a;;@SUM(A1)", "x;-1;+2")


def _cells(data: bytes, separator: str) -> list[str]:
    """The cells a spreadsheet makes of the CSV when ``separator`` is its list separator."""
    rows = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=separator)
    return [cell.lstrip('"') for row in rows for cell in row]


def _formula_cells(data: bytes) -> list[str]:
    from excel.cells import GUARDED_FIRST_CHARS

    return [c for sep in (",", ";") for c in _cells(data, sep) if c[:1] in GUARDED_FIRST_CHARS]


@pytest.fixture
def formula_history(engine: Engine, team: tuple[Member, ...]) -> bytes:
    lead, rita, _ = team
    aid = new_assessment(engine, lead)
    revision = None
    for i, note in enumerate(FORMULA_NOTES):
        save_answer(engine, rita.actor(engine), aid, AnswerInputData("GOV-INS-05", level=i % 6, note=note,
                                                                     justification=note), expected_revision=revision)
        revision = i + 1
    changes = audit.audit_history(engine, lead.actor(engine), aid)
    return audit_csv.history_csv(changes, audit.question_texts(engine, lead.actor(engine), aid, "en"), "en")


def test_no_field_of_the_csv_is_a_formula_in_comma_or_semicolon_locales(formula_history: bytes) -> None:
    assert _formula_cells(formula_history) == []
    text = formula_history.decode("utf-8-sig")
    assert "see annex;'=cmd|' /C calc'!A0" in text and "'=HYPERLINK(" in text  # guarded, nothing dropped


def test_the_first_character_rule_alone_leaves_semicolon_locales_open(
        engine: Engine, team: tuple[Member, ...], monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth: the rule the CSV had before (guard a field's first character only) fails this check."""
    from excel.cells import needs_guard

    monkeypatch.setattr(audit_csv, "csv_text", lambda v: "'" + str(v) if needs_guard(str(v)) else str(v))
    lead, rita, _ = team
    aid = new_assessment(engine, lead)
    save_answer(engine, rita.actor(engine), aid, AnswerInputData("GOV-INS-05", level=1, note=FORMULA_NOTES[0]),
                expected_revision=None)
    data = audit_csv.history_csv(audit.audit_history(engine, lead.actor(engine), aid), {}, "en")
    assert _formula_cells(data) == ["=cmd|' /C calc'!A0"]


def test_members_page_shows_filters_and_downloads_the_history(app_db: str, engine: Engine,
                                                              team: tuple[Member, ...]) -> None:
    lead, rita, sam = team
    aid = new_assessment(engine, lead, title="年度自评 2026")
    save_answer(engine, rita.actor(engine), aid, AnswerInputData("GOV-INS-05", level=2, note="rita 的备注"),
                expected_revision=None)
    save_answer(engine, sam.actor(engine), aid, AnswerInputData("GOV-INS-02", level=4), expected_revision=None)
    at = open_page(lead, "members", assessment=aid)
    frame = at.dataframe[-1].value
    cols = audit_csv.history_headers("zh")
    assert sorted(frame[cols["user"]]) == ["rita", "sam"]
    assert "rita 的备注" in set(frame[cols["new_note"]])
    assert t("members.history.count", "zh", shown=2, total=2) in page_texts(at)
    at.multiselect(key="history_users").set_value(["sam"]).run()
    frame = at.dataframe[-1].value
    assert list(frame[cols["user"]]) == ["sam"] and list(frame[cols["question"]]) == ["GOV-INS-02"]
    download = at.get("download_button")[-1]
    assert download.proto.label == t("members.history.download")


def test_history_travels_with_the_excel_summary(engine: Engine, team: tuple[Member, ...]) -> None:
    lead, rita, _ = team
    aid = new_assessment(engine, lead)
    save_answer(engine, rita.actor(engine), aid, AnswerInputData("GOV-INS-05", level=2, note="审计备注 XJ-42"),
                expected_revision=None)
    data = summary_xlsx(engine, lead.actor(engine), aid, "zh")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith("xl/"))
    assert b"rita" in xml and "审计备注 XJ-42".encode() in xml


def test_carried_forward_answers_start_a_new_trail(engine: Engine, team: tuple[Member, ...]) -> None:
    lead, rita, _ = team
    first = new_assessment(engine, lead)
    save_answer(engine, rita.actor(engine), first, AnswerInputData("GOV-INS-05", level=3), expected_revision=None)
    second = create_assessment(engine, lead.actor(engine), lead.org_id, carry_forward_from=first).id
    [change] = _changes(engine, lead, second)
    assert change.user == "lead" and change.old["level"] is None and change.new["level"] == 3


def test_system_actor_changes_are_attributed_to_the_system(engine: Engine, team: tuple[Member, ...],
                                                           system: Actor) -> None:
    lead, _, _ = team
    aid = new_assessment(engine, lead)
    save_answer(engine, system, aid, AnswerInputData("GOV-INS-05", level=1), expected_revision=None, source=AnswerSource.CLI)
    rows = audit_csv.history_rows(audit.audit_history(engine, lead.actor(engine), aid),
                                  audit.question_texts(engine, lead.actor(engine), aid, "en"), "en")
    assert rows[0]["user"] == t("members.history.system", "en") and rows[0]["source"] == "Command line"


def test_history_page_is_not_shown_to_a_respondent(app_db: str, engine: Engine, team: tuple[Member, ...]) -> None:
    _, rita, _ = team
    at = app_test(rita.user_id, org_id=rita.org_id).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/members.py")


def test_submission_reopening_and_deletion_stay_on_record(engine: Engine, team: tuple[Member, ...],
                                                          system: Actor) -> None:
    from services.assessments import delete_assessment, reopen, submit

    lead, rita, _ = team
    aid = new_assessment(engine, lead, title="将被删除 to delete")
    submit(engine, rita.actor(engine), aid)
    reopen(engine, lead.actor(engine), aid)
    delete_assessment(engine, lead.actor(engine), aid)
    events = [(e.action, e.user, e.object_id) for e in audit.recent_events(engine, system, limit=10)
              if e.object_type == "assessment"]
    assert events == [("assessment_deleted", "lead", aid), ("assessment_reopened", "lead", aid),
                      ("assessment_submitted", "rita", aid)]
    [deleted] = audit.recent_events(engine, system, actions=["assessment_deleted"])
    assert deleted.detail["title"] == "将被删除 to delete"
