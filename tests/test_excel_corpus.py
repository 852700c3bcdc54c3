"""A corpus of malformed and hostile workbooks: each is refused with the right message, naming its
sheet and cell, and importing it leaves the database exactly as it was (every row of every table)."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select

from db.engine import read_session
from db.models import Base
from enums import AnswerSource
from excel.problems import WorkbookRejected
from excel.reader import read_template
from questionnaires import get_questionnaire
from services.access import Actor
from services.assessments import AnswerInputData, create_assessment, save_answers_bulk
from services.imports import import_workbook
from services.organisations import create_organisation
from tests.support.excel_workbooks import filled_template, rezip, save, sheet_part, with_xlm_sheet

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]
ROW = {qid: i + 2 for i, qid in enumerate(IDS)}  # the template lists questions in questionnaire order
ANS, PROF, META = "答题", "组织画像", "_meta"
R = ROW[IDS[12]]  # the row most cases break


def _profile_row(field: str, option: str = "") -> int:
    row = 3  # row 2 holds the organisation's name
    for f in Q.profile.fields:
        for oid in ([o.id for o in f.options] if f.type == "multi" else [""]):
            if (f.id, oid) == (field, option):
                return row
            row += 1
    raise KeyError(field)


def edited(edit: Callable[[Workbook], None]) -> Callable[[], bytes]:
    return lambda: filled_template(edit=edit)


def cell(sheet: str, ref: str, value: Any) -> Callable[[], bytes]:
    def edit(wb: Workbook) -> None:
        wb[sheet][ref].value = value
    return edited(edit)


def _rename(old: str, new: str) -> Callable[[], bytes]:
    def edit(wb: Workbook) -> None:
        wb[old].title = new
    return edited(edit)


def _na_without_justification(wb: Workbook) -> None:
    wb[ANS][f"F{R}"].value = "N/A"
    wb[ANS][f"G{R}"].value = None


def _answer_without_id(wb: Workbook) -> None:
    wb[ANS][f"A{R}"].value = None


def _xml_bomb() -> bytes:
    data = filled_template()
    part = sheet_part(data, ANS)
    body = zipfile.ZipFile(io.BytesIO(data)).read(part)
    dtd = (b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
           b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>')
    return rezip(data, replace={part: dtd + body.split(b"?>", 1)[-1] if body.startswith(b"<?xml") else dtd + body})


def _with_prolog(prolog: bytes, part_of: Callable[[bytes], str] = lambda data: sheet_part(data, ANS),
                 encoding: str = "utf-8") -> Callable[[], bytes]:
    """The filled template with ``prolog`` (a document type declaration) before the root element of a part."""
    def make() -> bytes:
        data = filled_template()
        part = part_of(data)
        body = zipfile.ZipFile(io.BytesIO(data)).read(part)
        body = body.split(b"?>", 1)[-1] if body.startswith(b"<?xml") else body
        declaration = f'<?xml version="1.0" encoding="{encoding}"?>'.encode()
        return rezip(data, replace={part: (declaration + prolog + body).decode("utf-8").encode(encoding)})
    return make


def _damaged() -> bytes:
    data = filled_template()
    return rezip(data, replace={sheet_part(data, ANS): b"<worksheet><sheetData><row r='1'><c"})


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content in members.items():
            z.writestr(name, content)
    return out.getvalue()


def _encrypted() -> bytes:
    """The template with the "encrypted" flag set on every member (as a password-protected zip has)."""
    data = bytearray(filled_template())
    at = data.find(b"PK\x01\x02")
    while at != -1:  # central directory entries: general-purpose flags at offset 8
        data[at + 8] |= 0x1
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def _xlsm_content_type() -> bytes:
    data = filled_template()
    types = zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml").replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
    return rezip(data, replace={"[Content_Types].xml": types})


def _plain_workbook() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "题号"
    return save(wb)


NOISE = random.Random(6).randbytes

# (case, file, expected problems as (code, sheet, cell)); every case is rejected as a whole.
CORPUS: list[tuple[str, Callable[[], bytes], list[tuple[str, str, str]]]] = [
    ("wrong_version", cell(META, "B4", "0.9.0"), [("wrong_version", META, "B4")]),
    ("newer_template_format", cell(META, "B2", "4"), [("template_format", META, "B2")]),
    ("unknown_questionnaire", cell(META, "B3", "other-questionnaire"), [("unknown_questionnaire", META, "B3")]),
    ("meta_sheet_deleted", edited(lambda wb: wb.remove(wb[META])), [("not_template", "", "")]),
    ("renamed_answer_sheet", _rename(ANS, "我的答案"), [("sheet_missing", ANS, "")]),
    ("renamed_profile_sheet", _rename(PROF, "Profile 2"), [("sheet_missing", PROF, "")]),
    ("level_7", cell(ANS, f"F{R}", 7), [("level_not_valid", ANS, f"F{R}")]),
    ("text_in_level", cell(ANS, f"F{R}", "高"), [("level_not_valid", ANS, f"F{R}")]),
    ("fraction_level", cell(ANS, f"F{R}", 3.5), [("level_not_valid", ANS, f"F{R}")]),
    ("boolean_level", cell(ANS, f"F{R}", True), [("level_not_valid", ANS, f"F{R}")]),
    ("formula_in_level", cell(ANS, f"F{R}", "=1+2"), [("formula", ANS, f"F{R}")]),
    ("formula_in_note", cell(ANS, f"H{R}", '=HYPERLINK("http://evil.example","x")'), [("formula", ANS, f"H{R}")]),
    ("na_without_justification", edited(_na_without_justification), [("na_needs_justification", ANS, f"G{R}")]),
    ("duplicated_id", cell(ANS, "A3", IDS[0]), [("duplicate_question", ANS, "A3"), ("missing_question", ANS, "")]),
    ("unknown_id", cell(ANS, f"A{R}", "GOV-XXX-99"), [("unknown_question_id", ANS, f"A{R}"),
                                                      ("missing_question", ANS, "")]),
    ("deleted_row", edited(lambda wb: wb[ANS].delete_rows(R)), [("missing_question", ANS, "")]),
    ("answer_without_id", edited(_answer_without_id), [("no_question_id", ANS, f"A{R}")]),
    ("note_too_long", cell(ANS, f"H{R}", "长" * 5001), [("text_too_long", ANS, f"H{R}")]),
    ("thousands_of_rows", cell(ANS, "I5000", "x"), [("too_many_rows", ANS, "")]),
    ("inserted_column", edited(lambda wb: wb[ANS].insert_cols(2)), [("bad_heading", ANS, "B1")]),
    ("bad_profile_choice", cell(PROF, f"D{_profile_row('sector')}", "火星"),
     [("profile_bad_choice", PROF, f"D{_profile_row('sector')}")]),
    ("bad_profile_yes_no", cell(PROF, f"D{_profile_row('high_impact')}", "也许"),
     [("profile_bad_yes_no", PROF, f"D{_profile_row('high_impact')}")]),
    ("formula_in_profile", cell(PROF, f"D{_profile_row('size')}", '=IF(1,"大型")'),
     [("formula", PROF, f"D{_profile_row('size')}")]),
    ("empty_file", lambda: b"", [("empty_file", "", "")]),
    ("random_bytes_named_xlsx", lambda: NOISE(4000), [("not_xlsx", "", "")]),
    ("oversized_file", lambda: rezip(filled_template(), add={"xl/media/image1.png": NOISE(6 * 1024 * 1024)}),
     [("too_large", "", "")]),
    ("zip_bomb", lambda: rezip(filled_template(), add={"xl/media/image1.png": bytes(40 * 1024 * 1024)}),
     [("zip_bomb", "", "")]),
    ("macro_enabled_vba_project", lambda: rezip(filled_template(), add={"xl/vbaProject.bin": NOISE(2000)}),
     [("macros", "", "")]),
    ("xlsm_content_type", _xlsm_content_type, [("macros", "", "")]),
    # Excel 4.0 (XLM) macro sheets run without any VBA project; dialog sheets belong with them.
    ("xlm_macro_sheet", lambda: with_xlm_sheet(filled_template()), [("macro_sheets", "", "")]),
    ("xlm_intl_macro_sheet", lambda: with_xlm_sheet(filled_template(), "intlmacrosheet"), [("macro_sheets", "", "")]),
    ("xlm_macro_sheet_among_worksheets", lambda: with_xlm_sheet(filled_template(), part="xl/worksheets/sheet9.xml"),
     [("macro_sheets", "", "")]),
    ("xlm_macro_sheet_declared_only_by_its_relationship",
     lambda: with_xlm_sheet(filled_template(), part="xl/worksheets/sheet9.xml", declare_type=False),
     [("macro_sheets", "", "")]),
    ("dialog_sheet", lambda: with_xlm_sheet(filled_template(), "dialogsheet"), [("macro_sheets", "", "")]),
    ("non_xlsx_zip", lambda: _zip({"readme.txt": b"hello"}), [("not_workbook", "", "")]),
    ("word_document", lambda: _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}),
     [("not_workbook", "", "")]),
    ("old_xls_or_encrypted_ole", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + NOISE(2000), [("ole_file", "", "")]),
    ("encrypted_zip_members", _encrypted, [("encrypted", "", "")]),
    ("xml_entity_bomb", _xml_bomb, [("xml_entities", "", "")]),
    # Any document type declaration is refused (docs/excel.md): defusedxml alone lets these through.
    ("dtd_without_entities", _with_prolog(b"<!DOCTYPE worksheet [<!ELEMENT worksheet ANY>]>"),
     [("xml_entities", "", "")]),
    ("external_doctype", _with_prolog(b'<!DOCTYPE worksheet SYSTEM "https://evil.example/x.dtd">'),
     [("xml_entities", "", "")]),
    ("doctype_in_utf16_part", _with_prolog(b"<!DOCTYPE worksheet>", encoding="utf-16"), [("xml_entities", "", "")]),
    ("doctype_in_content_types", _with_prolog(b"<!DOCTYPE Types>", lambda _data: "[Content_Types].xml"),
     [("xml_entities", "", "")]),
    ("doctype_in_relationships", _with_prolog(b'<!DOCTYPE Relationships PUBLIC "-//x//EN" "x.dtd">',
                                              lambda _data: "xl/_rels/workbook.xml.rels"), [("xml_entities", "", "")]),
    ("damaged_sheet_xml", _damaged, [("damaged", "", "")]),
    ("plain_workbook_not_template", _plain_workbook, [("not_template", "", "")]),
]


@pytest.fixture(scope="module")
def corpus() -> dict[str, bytes]:
    return {name: make() for name, make, _ in CORPUS}


def test_the_corpus_is_large_enough() -> None:
    assert len(CORPUS) >= 20


@pytest.mark.parametrize(("name", "expected"), [(n, e) for n, _, e in CORPUS], ids=[n for n, _, _ in CORPUS])
def test_each_bad_workbook_is_rejected_with_its_place(corpus: dict[str, bytes], name: str,
                                                      expected: list[tuple[str, str, str]]) -> None:
    with pytest.raises(WorkbookRejected) as info:
        read_template(corpus[name])
    found = {(p.code, p.sheet, p.cell) for p in info.value.problems}
    for item in expected:
        assert item in found, f"{name}: expected {item}, got {found}"
    for p in info.value.problems:  # every message is complete in both languages: no placeholder left
        for lang in ("zh", "en"):
            assert "{" not in p.text(lang) and not p.text(lang).startswith("excel."), p.text(lang)


def test_level_message_names_sheet_cell_rule_and_fix(corpus: dict[str, bytes]) -> None:
    with pytest.raises(WorkbookRejected) as info:
        read_template(corpus["level_7"])
    assert [p.text("en") for p in info.value.problems] == [f"Sheet 答题, cell F{R}: 7 is not a level; use 0–5 or N/A"]
    assert info.value.problems[0].text("zh") == f"工作表 答题，单元格 F{R}：7 不是有效等级；请填写 0–5 或 N/A"


@pytest.mark.parametrize(("name", "part"), [
    ("xlm_macro_sheet", "xl/macrosheets/sheet1.xml"), ("dialog_sheet", "xl/dialogsheets/sheet1.xml"),
    ("xlm_macro_sheet_among_worksheets", "xl/worksheets/sheet9.xml"),
    ("xlm_macro_sheet_declared_only_by_its_relationship", "xl/_rels/workbook.xml.rels")])
def test_macro_sheet_message_names_the_part_and_the_fix(corpus: dict[str, bytes], name: str, part: str) -> None:
    with pytest.raises(WorkbookRejected) as info:
        read_template(corpus[name])
    [problem] = info.value.problems
    assert problem.text("en").startswith(f"The workbook contains an Excel 4.0 macro sheet or a dialog sheet ({part}).")
    assert "Delete that sheet" in problem.text("en") and part in problem.text("zh")


@pytest.mark.parametrize("name", ["dtd_without_entities", "external_doctype"])
def test_without_the_doctype_check_these_workbooks_were_read(corpus: dict[str, bytes], name: str,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth: defusedxml (the second line) accepts a DTD without entities and an external DOCTYPE, so the
    check in excel/safety.py is what makes docs/excel.md true."""
    from excel import safety

    monkeypatch.setattr(safety, "_has_doctype", lambda _zf, _info: False)
    assert read_template(corpus[name]).answers


def test_every_problem_is_listed_not_just_the_first() -> None:
    def edit(wb: Workbook) -> None:
        wb[ANS]["F2"].value = 9
        wb[ANS]["F3"].value = "N/A"
        wb[ANS]["G3"].value = None
        wb[ANS]["H4"].value = "=1+1"
        wb[PROF][f"D{_profile_row('sector')}"].value = "火星"

    with pytest.raises(WorkbookRejected) as info:
        read_template(filled_template(edit=edit))
    assert {(p.code, p.cell) for p in info.value.problems} == {
        ("level_not_valid", "F2"), ("na_needs_justification", "G3"), ("formula", "H4"),
        ("profile_bad_choice", f"D{_profile_row('sector')}")}


# --- the database is untouched ----------------------------------------------------------------------

def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the test database is small)."""
    with read_session(engine) as s:
        return {t.name: sorted((tuple(r) for r in s.execute(select(t))), key=repr) for t in Base.metadata.sorted_tables}


@pytest.fixture
def stored(engine: Engine, system: Actor) -> tuple[int, int]:
    org = create_organisation(engine, system, "演示科技有限公司", Q.default_profile())
    draft = create_assessment(engine, system, org.id, title="草稿")
    save_answers_bulk(engine, system, draft.id, [AnswerInputData(IDS[0], 2, note="已有答案"),
                                                 AnswerInputData(IDS[1], None, True, "不适用理由")], source=AnswerSource.UI)
    return org.id, draft.id


@pytest.mark.parametrize("name", [n for n, _, _ in CORPUS], ids=[n for n, _, _ in CORPUS])
def test_importing_a_bad_workbook_changes_nothing(engine: Engine, system: Actor, stored: tuple[int, int],
                                                  corpus: dict[str, bytes], name: str) -> None:
    org_id, draft_id = stored
    before = snapshot(engine)
    for target in (None, draft_id):
        report = import_workbook(engine, system, org_id, corpus[name], assessment_id=target, update_profile=True)
        assert not report.ok and report.problems
        assert report.assessment_id in (None, target) and report.changed == 0
    assert snapshot(engine) == before
