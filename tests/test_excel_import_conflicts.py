"""Offline editing while a colleague answers in the app: importing a pre-filled template back never
overwrites a newer answer silently (template format 3, docs/excel.md "Concurrent edits").

The service-level tests run on both backends (SQLite and a real PostgreSQL server).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import Engine, select

from db.engine import read_session
from db.models import EventLog
from excel.contract import META_SHEET, TEMPLATE_FORMAT_VERSION, TemplateBase
from excel.problems import WorkbookRejected
from excel.reader import read_template
from excel.template import build_template
from i18n import t
from questionnaires import get_questionnaire
from services import imports
from services.assessments import AnswerInputData, AnswerView, history, list_assessments, load_answers
from services.exports import org_template_xlsx, template_xlsx
from services.imports import CONFLICT, check_workbook, import_workbook
from tests.support.answers import save_answer
from tests.support.apptest import page_texts, shown
from tests.support.excel_workbooks import answer_rows, fill_answers, filled_template, save
from tests.ui_flow import Member, new_assessment, open_page, org_admin, respondent

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]
GOV1, GOV2, GOV3 = "GOV-INS-05", "GOV-INS-02", "GOV-INS-03"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def db_url(any_db_url: str) -> str:
    """Every database test of this module on both backends: SQLite and a real PostgreSQL server."""
    return any_db_url


@pytest.fixture
def team(engine: Engine) -> tuple[Member, Member]:
    """An organisation administrator (works offline) and a respondent (answers in the app)."""
    lead = org_admin(engine, "lead", "并发测试科技 Concurrency Ltd")
    return lead, respondent(engine, lead, "sam")


def _save(engine: Engine, who: Member, aid: int, data: AnswerInputData) -> AnswerView:
    current = load_answers(engine, who.actor(engine), aid).get(data.question_id)
    return save_answer(engine, who.actor(engine), aid, data, expected_revision=current.revision if current else None)


def _draft(engine: Engine, lead: Member) -> int:
    """A draft with two answers given in the app by the lead."""
    aid = new_assessment(engine, lead, title="草稿 draft")
    _save(engine, lead, aid, AnswerInputData(GOV1, 2))
    _save(engine, lead, aid, AnswerInputData(GOV2, 3, note="旧证据"))
    return aid


def _edit(data: bytes, answers: dict[str, tuple[Any, str, str]], lang: str = "zh") -> bytes:
    wb = load_workbook(io.BytesIO(data))
    fill_answers(wb, answers, lang)
    return save(wb)


def _snapshot(engine: Engine, lead: Member, aid: int) -> dict[str, tuple[Any, ...]]:
    return {k: (v.level, v.na, v.justification, v.note, v.revision, v.updated_by)
            for k, v in load_answers(engine, lead.actor(engine), aid).items()}


def _imports_logged(engine: Engine) -> list[dict[str, Any]]:
    with read_session(engine) as s:
        return [e.detail or {} for e in s.scalars(select(EventLog).where(EventLog.action == "excel_import"))]


def _row(data: bytes, qid: str, lang: str = "zh") -> int:
    return answer_rows(load_workbook(io.BytesIO(data)), lang)[qid]


# --- the template records what it was made from --------------------------------------------------------

def test_a_prefilled_template_records_its_draft_and_revisions(engine: Engine, team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    _save(engine, sam, aid, AnswerInputData(GOV1, 3))  # GOV1 now at revision 2
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid)
    meta = load_workbook(io.BytesIO(data))[META_SHEET]
    rows = {meta.cell(row=r, column=1).value: meta.cell(row=r, column=2).value for r in range(1, meta.max_row + 1)}
    assert rows["template_format_version"] == TEMPLATE_FORMAT_VERSION == "3"
    assert (rows["assessment_id"], rows["answer_revisions"]) == (str(aid), f"{GOV1}:2,{GOV2}:1")
    filled = read_template(data)
    assert (filled.base_assessment_id, filled.base_revisions) == (aid, {GOV1: 2, GOV2: 1})

    blank = read_template(filled_template())  # a blank template: no base
    assert (blank.base_assessment_id, blank.base_revisions) == (None, None)
    org_only = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "en")  # profile only: no base
    meta = load_workbook(io.BytesIO(org_only))[META_SHEET]
    assert {meta.cell(row=r, column=1).value for r in range(1, meta.max_row + 1)}.isdisjoint(
        {"assessment_id", "answer_revisions"})


def test_a_draft_without_answers_records_an_empty_revision_list() -> None:
    filled = read_template(build_template(Q, "en", base=TemplateBase(12, {})))
    assert (filled.base_assessment_id, filled.base_revisions) == (12, {})


# --- import: conflicts ------------------------------------------------------------------------------------

def test_answer_changed_in_the_app_since_the_download_is_refused(engine: Engine,
                                                                 team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid)
    _save(engine, sam, aid, AnswerInputData(GOV1, 4, note="新制度"))  # the colleague, meanwhile, in the app
    offline = _edit(data, {GOV1: (1, "", ""), GOV2: (5, "", "离线修改"), GOV3: (2, "", "")})
    before = _snapshot(engine, lead, aid)

    report = import_workbook(engine, lead.actor(engine), lead.org_id, offline, assessment_id=aid)
    assert not report.ok and report.from_target and report.conflicts == (GOV1,)
    [problem] = report.problems
    row = _row(offline, GOV1)
    assert (problem.code, problem.sheet, problem.cell) == (CONFLICT, "答题", f"F{row}")
    assert problem.text("en") == (
        f"Sheet 答题, cell F{row}: {GOV1} was changed in the app by sam after this workbook was downloaded: "
        "now level 4, note \"新制度\", the file says level 1; download a fresh copy, or import again choosing "
        "to overwrite the newer answers.")
    assert problem.text("zh") == (
        f"工作表 答题，单元格 F{row}：{GOV1} 在本工作簿下载后已由 sam 在应用中修改：现为 等级 4，备注“新制度”，"
        "文件中为 等级 1；请重新下载最新副本，或再次导入并选择覆盖这些较新的答案。")
    assert _snapshot(engine, lead, aid) == before  # nothing written: not even the rows without a conflict
    assert _imports_logged(engine) == []
    checked = check_workbook(engine, lead.actor(engine), lead.org_id, offline, assessment_id=aid)
    assert not checked.ok and [p.code for p in checked.problems] == [CONFLICT] and checked.conflicts == (GOV1,)


def test_the_untouched_download_would_revert_the_colleague_and_is_refused(engine: Engine,
                                                                          team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "en", assessment_id=aid)
    _save(engine, sam, aid, AnswerInputData(GOV2, None, True, "不适用"))
    report = import_workbook(engine, lead.actor(engine), lead.org_id, data, assessment_id=aid)
    assert not report.ok and report.conflicts == (GOV2,)
    assert report.problems[0].message("en").startswith(
        f"{GOV2} was changed in the app by sam after this workbook was downloaded: now N/A, justification "
        "\"不适用\", the file says level 3, note \"旧证据\";")
    assert load_answers(engine, lead.actor(engine), aid)[GOV2].na


def test_a_row_equal_to_the_changed_answer_is_not_a_conflict(engine: Engine, team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid)
    _save(engine, sam, aid, AnswerInputData(GOV1, 4, note="新制度"))
    offline = _edit(data, {GOV1: (4, "", "新制度"), GOV2: (5, "", "离线修改"), GOV3: (1, "", "")})
    report = import_workbook(engine, lead.actor(engine), lead.org_id, offline, assessment_id=aid)
    assert report.ok and report.from_target and report.conflicts == () and report.replaces == ()
    assert report.changed == 2  # GOV2 (the lead's own offline edit) and GOV3 (new); GOV1 untouched
    stored = load_answers(engine, lead.actor(engine), aid)
    assert (stored[GOV1].level, stored[GOV1].updated_by, stored[GOV1].revision) == (4, "sam", 2)
    assert (stored[GOV2].level, stored[GOV2].note, stored[GOV2].updated_by) == (5, "离线修改", "lead")


def test_an_answer_first_given_in_the_app_after_the_download_is_a_conflict(engine: Engine,
                                                                           team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid)
    _save(engine, sam, aid, AnswerInputData(GOV3, 5))  # no stored answer at download: revision 0 then
    report = import_workbook(engine, lead.actor(engine), lead.org_id, _edit(data, {GOV3: (1, "", "")}),
                             assessment_id=aid)
    assert not report.ok and report.conflicts == (GOV3,)
    assert "now level 5, the file says level 1" in report.problems[0].message("en")


def test_overwrite_newer_writes_and_the_audit_trail_has_the_change(engine: Engine,
                                                                   team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid)
    _save(engine, sam, aid, AnswerInputData(GOV1, 4, note="新制度"))
    offline = _edit(data, {GOV1: (1, "", "")})
    checked = check_workbook(engine, lead.actor(engine), lead.org_id, offline, assessment_id=aid,
                             overwrite_newer=True)
    assert checked.ok and checked.conflicts == (GOV1,)
    report = import_workbook(engine, lead.actor(engine), lead.org_id, offline, assessment_id=aid,
                             overwrite_newer=True)
    assert report.ok and report.conflicts == (GOV1,) and report.changed == 1
    stored = load_answers(engine, lead.actor(engine), aid)[GOV1]
    assert (stored.level, stored.note, stored.updated_by, stored.revision) == (1, "", "lead", 3)
    newest = next(c for c in history(engine, lead.actor(engine), aid) if c.question_id == GOV1)
    assert (newest.user, newest.source, newest.old["level"], newest.old["note"], newest.new["level"]) == (
        "lead", "import", 4, "新制度", 1)
    assert _imports_logged(engine) == [{"changed": 1, "profile_updated": False, "created": False,
                                        "overwrote_newer": [GOV1]}]


def test_an_answer_saved_between_the_check_and_the_write_is_caught(engine: Engine, team: tuple[Member, Member],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    offline = _edit(org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid),
                    {GOV1: (5, "", "")})
    checked = imports._check

    def check_then_colleague_saves(*args: Any, **kwargs: Any) -> Any:
        result = checked(*args, **kwargs)
        _save(engine, sam, aid, AnswerInputData(GOV1, 0, note="刚刚保存"))  # after the check, before the write
        return result

    monkeypatch.setattr(imports, "_check", check_then_colleague_saves)
    report = import_workbook(engine, lead.actor(engine), lead.org_id, offline, assessment_id=aid)
    assert not report.ok and report.conflicts == (GOV1,) and [p.code for p in report.problems] == [CONFLICT]
    stored = load_answers(engine, lead.actor(engine), aid)[GOV1]
    assert (stored.level, stored.note, stored.updated_by) == (0, "刚刚保存", "sam")
    assert _imports_logged(engine) == []


# --- files without a usable base: not checked, but the replaced answers are listed -------------------------

def test_overwrite_named_conflicts_only_refuses_a_conflict_the_user_was_not_shown(
        engine: Engine, team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    data = _edit(org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid),
                 {GOV1: (5, "", ""), GOV2: (0, "", "")})
    _save(engine, sam, aid, AnswerInputData(GOV1, 4))
    shown = check_workbook(engine, lead.actor(engine), lead.org_id, data, assessment_id=aid)
    assert shown.conflicts == (GOV1,)
    _save(engine, sam, aid, AnswerInputData(GOV2, 1))  # after the user saw the list
    before = _snapshot(engine, lead, aid)
    report = import_workbook(engine, lead.actor(engine), lead.org_id, data, assessment_id=aid,
                             overwrite_newer=frozenset(shown.conflicts))
    assert not report.ok and [p.values["qid"] for p in report.problems if p.code == CONFLICT] == [GOV2]
    assert _snapshot(engine, lead, aid) == before  # nothing written
    agreed = import_workbook(engine, lead.actor(engine), lead.org_id, data, assessment_id=aid,
                             overwrite_newer=frozenset({GOV1, GOV2}))
    assert agreed.ok and {q: a.level for q, a in load_answers(engine, lead.actor(engine), aid).items()
                          if q in (GOV1, GOV2)} == {GOV1: 5, GOV2: 0}


def test_a_file_made_from_another_assessment_is_not_checked_but_reports_replaces(
        engine: Engine, team: tuple[Member, Member]) -> None:
    lead, sam = team
    source = _draft(engine, lead)
    target = new_assessment(engine, lead, title="目标 target")
    _save(engine, sam, target, AnswerInputData(GOV1, 0))
    _save(engine, sam, target, AnswerInputData(GOV1, 1))  # revision 2, unlike anything the file records
    _save(engine, sam, target, AnswerInputData(GOV2, 3, note="旧证据"))  # equal to the file's row: not replaced
    _save(engine, sam, target, AnswerInputData(GOV3, None, note=""))  # a cleared answer: nothing to replace
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=source)
    data = _edit(data, {GOV3: (4, "", "")})
    checked = check_workbook(engine, lead.actor(engine), lead.org_id, data, assessment_id=target)
    assert checked.ok and not checked.from_target and checked.conflicts == () and checked.replaces == (GOV1,)
    report = import_workbook(engine, lead.actor(engine), lead.org_id, data, assessment_id=target)
    assert report.ok and report.replaces == (GOV1,) and report.changed == 2
    assert load_answers(engine, lead.actor(engine), target)[GOV1].level == 2


def test_a_file_from_a_deleted_draft_whose_id_was_reused_is_not_taken_for_the_new_one(
        engine: Engine, team: tuple[Member, Member]) -> None:
    """SQLite may give the id of a deleted newest draft to the next one: a file made before the new
    draft existed cannot have been made from it, so it is compared as a file without a record."""
    lead, sam = team
    target = new_assessment(engine, lead, title="新草稿 new draft")
    _save(engine, sam, target, AnswerInputData(GOV1, 1))
    created = next(a.created_at for a in list_assessments(engine, lead.actor(engine), lead.org_id) if a.id == target)
    old_file = build_template(Q, "zh", answers={}, base=TemplateBase(target, {}),
                              generated_at=created - timedelta(days=1))  # "made from" a draft with this id, earlier
    data = _edit(old_file, {GOV1: (4, "", "")})
    checked = check_workbook(engine, lead.actor(engine), lead.org_id, data, assessment_id=target)
    assert checked.ok and not checked.from_target and checked.conflicts == () and checked.replaces == (GOV1,)
    same_time = build_template(Q, "zh", answers={}, base=TemplateBase(target, {}), generated_at=created)
    made_now = check_workbook(engine, lead.actor(engine), lead.org_id, _edit(same_time, {GOV1: (4, "", "")}),
                              assessment_id=target)
    assert made_now.from_target and made_now.conflicts == (GOV1,)  # made from it: sam's newer answer is a conflict


def test_a_blank_template_into_a_draft_reports_replaces(engine: Engine, team: tuple[Member, Member]) -> None:
    lead, _ = team
    aid = _draft(engine, lead)
    data = filled_template({GOV1: (5, "", ""), GOV2: (3, "", "旧证据"), GOV3: (1, "", "")})
    report = check_workbook(engine, lead.actor(engine), lead.org_id, data, assessment_id=aid)
    assert report.ok and report.replaces == (GOV1,) and report.conflicts == ()
    new = check_workbook(engine, lead.actor(engine), lead.org_id, data)  # a new draft replaces nothing
    assert new.ok and new.replaces == ()


def test_format_2_files_still_import(engine: Engine, team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid)
    _save(engine, sam, aid, AnswerInputData(GOV1, 4))

    def format_2(wb: Workbook) -> None:  # what a file downloaded before format 3 looks like
        meta = wb[META_SHEET]
        for r in range(meta.max_row, 0, -1):
            if meta.cell(row=r, column=1).value in ("assessment_id", "answer_revisions"):
                meta.delete_rows(r)
            elif meta.cell(row=r, column=1).value == "template_format_version":
                meta.cell(row=r, column=2).value = "2"

    old = _edited(data, format_2)
    filled = read_template(old)
    assert (filled.base_assessment_id, filled.base_revisions) == (None, None)  # format 2 has no base
    report = import_workbook(engine, lead.actor(engine), lead.org_id, old, assessment_id=aid)
    assert report.ok and report.replaces == (GOV1,) and report.conflicts == ()
    assert load_answers(engine, lead.actor(engine), aid)[GOV1].level == 2


# --- malformed base keys ---------------------------------------------------------------------------------

def _edited(data: bytes, edit: Callable[[Workbook], None]) -> bytes:
    wb = load_workbook(io.BytesIO(data))
    edit(wb)
    return save(wb)


def _meta_row(wb: Workbook, key: str) -> int:
    meta = wb[META_SHEET]
    return next(r for r in range(1, meta.max_row + 1) if meta.cell(row=r, column=1).value == key)


def _set_meta(key: str, value: Any) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        wb[META_SHEET].cell(row=_meta_row(wb, key), column=2).value = value
    return edit


def _drop_meta(key: str) -> Callable[[Workbook], None]:
    def edit(wb: Workbook) -> None:
        wb[META_SHEET].delete_rows(_meta_row(wb, key))
    return edit


BASED = build_template(Q, "zh", answers={}, base=TemplateBase(7, {GOV1: 2, GOV2: 1}))


@pytest.mark.parametrize(("edit", "expected"), [
    (_set_meta("answer_revisions", f"{GOV1}:x"), ("meta_bad_base", "B8", f"{GOV1}:x")),
    (_set_meta("answer_revisions", "NOPE-01:1"), ("meta_bad_base", "B8", "NOPE-01:1")),
    (_set_meta("answer_revisions", f"{GOV1}:1,{GOV1}:2"), ("meta_bad_base", "B8", f"{GOV1}:2")),
    (_set_meta("answer_revisions", f"{GOV1}:0"), ("meta_bad_base", "B8", f"{GOV1}:0")),
    (_set_meta("answer_revisions", f"{GOV1}:1,,{GOV2}:1"), ("meta_bad_base", "B8", "—")),
    (_set_meta("answer_revisions", '{"GOV-INS-05": 1}'), ("meta_bad_base", "B8", '{"GOV-INS-05": 1}')),
    (_set_meta("assessment_id", "abc"), ("meta_bad_base", "B7", "abc")),
    (_set_meta("assessment_id", -3), ("meta_bad_base", "B7", "-3")),
    (_set_meta("assessment_id", 7.5), ("meta_bad_base", "B7", "7.5")),
    (_set_meta("assessment_id", None), ("meta_missing", "", None)),
    (_drop_meta("answer_revisions"), ("meta_missing", "", None)),
], ids=["not_a_number", "unknown_question", "duplicate", "zero", "empty_item", "json", "id_text", "id_negative",
        "id_fraction", "id_blank", "revisions_row_deleted"])
def test_malformed_base_keys_are_located_problems(edit: Callable[[Workbook], None],
                                                  expected: tuple[str, str, str | None]) -> None:
    with pytest.raises(WorkbookRejected) as rejected:
        read_template(_edited(BASED, edit))
    [problem] = rejected.value.problems
    code, cell, value = expected
    assert (problem.code, problem.sheet, problem.cell) == (code, META_SHEET, cell)
    if value is not None:
        assert problem.values["value"] == value
        assert problem.text("en").startswith(f"Sheet _meta, cell {cell}: '{value}' is not valid as the template "
                                             "information")
    for lang in ("zh", "en"):
        assert problem.text(lang)  # a message in both languages, never a crash


def test_malformed_base_is_refused_on_import_and_nothing_is_written(engine: Engine,
                                                                    team: tuple[Member, Member]) -> None:
    lead, _ = team
    aid = _draft(engine, lead)
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid)
    bad = _edited(_edit(data, {GOV1: (5, "", "")}), _set_meta("answer_revisions", f"{GOV1}:two"))
    before = _snapshot(engine, lead, aid)
    report = import_workbook(engine, lead.actor(engine), lead.org_id, bad, assessment_id=aid)
    assert not report.ok and [(p.code, p.sheet, p.cell) for p in report.problems] == [("meta_bad_base", "_meta", "B8")]
    assert _snapshot(engine, lead, aid) == before


# --- the command line ------------------------------------------------------------------------------------

def _cli(argv: list[str]) -> tuple[int, str, str]:
    from cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def test_command_line_refuses_conflicts_unless_overwrite_newer(app_db: str, engine: Engine,
                                                               team: tuple[Member, Member], tmp_path: Path) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    path = tmp_path / "offline.xlsx"  # downloaded pre-filled from the command line, as the app does
    assert _cli(["template", "--lang", "en", "--out", str(path), "--org", str(lead.org_id),
                 "--assessment", str(aid), "--as-user", "lead"])[0] == 0
    assert read_template(path.read_bytes()).base_assessment_id == aid
    _save(engine, sam, aid, AnswerInputData(GOV1, 4, note="新制度"))
    path.write_bytes(_edit(path.read_bytes(), {GOV1: (1, "", ""), GOV3: (2, "", "")}, "en"))
    before = _snapshot(engine, lead, aid)
    argv = ["import", str(path), "--org", str(lead.org_id), "--assessment", str(aid)]

    code, out, err = _cli(argv)
    assert code == 2 and out == ""
    row = _row(path.read_bytes(), GOV1, "en")
    assert (f"  - Sheet Answers, cell F{row}: {GOV1} was changed in the app by sam after this workbook was "
            "downloaded: now level 4, note \"新制度\", the file says level 1;") in err
    assert "--overwrite-newer" in err
    assert _snapshot(engine, lead, aid) == before

    code, out, err = _cli([*argv, "--overwrite-newer"])
    assert code == 0, err
    assert t("excel.cli.overwrote", "en", path=path, count=1, ids=GOV1) in out
    stored = load_answers(engine, lead.actor(engine), aid)
    assert (stored[GOV1].level, stored[GOV3].level) == (1, 2)
    newest = next(c for c in history(engine, lead.actor(engine), aid) if c.question_id == GOV1)
    assert (newest.source, newest.old["level"], newest.new["level"]) == ("cli", 4, 1)


def test_command_line_lists_the_answers_a_base_less_file_replaced(app_db: str, engine: Engine,
                                                                  team: tuple[Member, Member],
                                                                  tmp_path: Path) -> None:
    lead, _ = team
    aid = _draft(engine, lead)
    path = tmp_path / "blank.xlsx"
    path.write_bytes(filled_template({GOV1: (5, "", ""), GOV3: (1, "", "")}))
    code, out, err = _cli(["import", str(path), "--org", str(lead.org_id), "--assessment", str(aid)])
    assert code == 0, err
    assert t("excel.cli.replaced", "en", path=path, count=1, ids=GOV1) in out


def test_overwrite_newer_goes_with_org(app_db: str, tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(template_xlsx("zh"))
    code, _, err = _cli(["import", str(path), "--association", "1", "--overwrite-newer"])
    assert code == 2 and "--overwrite-newer goes with --org" in err


# --- the app page ----------------------------------------------------------------------------------------

PAGE = "import_export"


def _upload(at: Any, name: str, data: bytes) -> None:
    at.file_uploader(key="excel_upload_0").set_value((name, data, XLSX)).run()
    assert not at.exception, at.exception


def _overwrite_boxes(at: Any, lang: str) -> list[Any]:
    return [c for c in at.checkbox if c.label == t("excel.page.overwrite_newer", lang)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_import_page_shows_the_conflict_and_the_overwrite_checkbox(app_db: str, engine: Engine,
                                                                   team: tuple[Member, Member], lang: str) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    data = org_template_xlsx(engine, lead.actor(engine), lead.org_id, lang, assessment_id=aid)
    _save(engine, sam, aid, AnswerInputData(GOV1, 4, note="新制度"))
    offline = _edit(data, {GOV1: (1, "", "")}, lang)
    at = open_page(lead, PAGE, lang=lang)
    at.selectbox(key="excel_target").set_value(aid).run()
    _upload(at, "offline.xlsx", offline)

    assert t("excel.page.conflicts_found", lang, count=1) in [w.value for w in at.warning]
    table = at.dataframe[0].value
    sheet = "答题" if lang == "zh" else "Answers"
    row = _row(offline, GOV1, lang)
    assert list(table.iloc[:, 0]) == [t("excel.where.cell", lang, sheet=sheet, cell=f"F{row}")]
    assert "sam" in table.iloc[0, 1] and GOV1 in table.iloc[0, 1]
    assert not [b for b in at.button if b.key == "excel_import"]  # refused: no import button
    [box] = _overwrite_boxes(at, lang)
    assert not box.value

    box.check().run()
    assert not at.exception, at.exception
    assert t("excel.page.will_overwrite", lang, count=1, ids=GOV1) in page_texts(at)
    assert load_answers(engine, lead.actor(engine), aid)[GOV1].level == 4  # nothing written before the click
    at.button(key="excel_import").click().run()
    assert not at.exception, at.exception
    stored = load_answers(engine, lead.actor(engine), aid)[GOV1]
    assert (stored.level, stored.updated_by) == (1, "lead")


def test_import_page_without_conflicts_has_no_checkbox_and_lists_replaced_answers(
        app_db: str, engine: Engine, team: tuple[Member, Member]) -> None:
    lead, _ = team
    aid = _draft(engine, lead)
    at = open_page(lead, PAGE, lang="en")
    at.selectbox(key="excel_target").set_value(aid).run()
    _upload(at, "blank.xlsx", filled_template({GOV1: (5, "", ""), GOV2: (4, "", ""), GOV3: (1, "", "")}))
    assert not _overwrite_boxes(at, "en")
    assert t("excel.page.will_replace", "en", count=2, ids=f"{GOV1}, {GOV2}") in [shown(w.value) for w in at.warning]
    at.button(key="excel_import").click().run()
    assert not at.exception, at.exception
    assert load_answers(engine, lead.actor(engine), aid)[GOV1].level == 5


def test_import_page_offers_the_checkbox_when_a_save_lands_after_the_check(
        app_db: str, engine: Engine, team: tuple[Member, Member], monkeypatch: pytest.MonkeyPatch) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    offline = _edit(org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid),
                    {GOV1: (5, "", "")})
    at = open_page(lead, PAGE)
    at.selectbox(key="excel_target").set_value(aid).run()
    _upload(at, "offline.xlsx", offline)
    assert not _overwrite_boxes(at, "zh") and [b for b in at.button if b.key == "excel_import"]
    checked = imports.check_workbook

    def check_then_colleague_saves(*args: Any, **kwargs: Any) -> Any:  # in the run of the click
        report = checked(*args, **kwargs)
        _save(engine, sam, aid, AnswerInputData(GOV1, 0))
        return report

    monkeypatch.setattr(imports, "check_workbook", check_then_colleague_saves)  # the page imports it on each run
    at.button(key="excel_import").click().run()
    assert not at.exception, at.exception
    assert t("excel.page.conflicts_found", "zh", count=1) in [w.value for w in at.warning]
    assert _overwrite_boxes(at, "zh")
    stored = load_answers(engine, lead.actor(engine), aid)[GOV1]
    assert (stored.level, stored.updated_by) == (0, "sam")


def test_a_tick_agrees_to_the_answers_listed_and_a_new_conflict_asks_again(
        app_db: str, engine: Engine, team: tuple[Member, Member]) -> None:
    lead, sam = team
    aid = _draft(engine, lead)
    offline = _edit(org_template_xlsx(engine, lead.actor(engine), lead.org_id, "zh", assessment_id=aid),
                    {GOV1: (5, "", ""), GOV2: (0, "", "")})
    _save(engine, sam, aid, AnswerInputData(GOV1, 4))
    at = open_page(lead, PAGE)
    at.selectbox(key="excel_target").set_value(aid).run()
    _upload(at, "offline.xlsx", offline)
    [box] = _overwrite_boxes(at, "zh")
    box.check().run()
    assert [b for b in at.button if b.key == "excel_import"]
    _save(engine, sam, aid, AnswerInputData(GOV2, 1))  # a second change, after the tick
    at.run()
    assert not at.exception, at.exception
    assert t("excel.page.conflicts_found", "zh", count=2) in [w.value for w in at.warning]
    [again] = _overwrite_boxes(at, "zh")
    assert not again.value and not [b for b in at.button if b.key == "excel_import"]
    assert {q: a.level for q, a in load_answers(engine, lead.actor(engine), aid).items()
            if q in (GOV1, GOV2)} == {GOV1: 4, GOV2: 1}
