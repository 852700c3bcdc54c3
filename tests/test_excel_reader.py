"""Reading filled templates: what users type is understood, texts come back exactly, nothing is evaluated."""

from __future__ import annotations

import io
import zipfile

import openpyxl.xml
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from excel.cells import decode_text, encode_text, needs_guard, put, set_value, write_only_cell
from excel.problems import WorkbookRejected
from excel.reader import read_template, read_workbook_answers
from excel.safety import UnsafeXMLParser, require_defusedxml
from questionnaires import get_questionnaire
from tests.support.excel_workbooks import filled_template, rezip, save, sheet_part

Q = get_questionnaire()
FIRST = Q.questions()[0].id
INJECTIONS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A2)", "=cmd|' /C calc'!A0",
              "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize(("typed", "level", "na"), [
    (3, 3, False), (0, 0, False), (5.0, 5, False), ("4", 4, False), (" 2 ", 2, False), ("３", 3, False),
    ("N/A", None, True), ("n/a", None, True), ("NA", None, True), ("不适用", None, True), ("Ｎ／Ａ", None, True),
])
def test_levels_as_users_type_them(typed: object, level: int | None, na: bool) -> None:
    data = filled_template({FIRST: (typed, "不适用于本组织" if na else "", "")})
    a = read_template(data).answer(FIRST)
    assert a is not None and (a.level, a.na) == (level, na)


def test_na_typed_as_an_excel_error_value_is_understood() -> None:
    data = filled_template({FIRST: ("N/A", "理由", "")})
    part = sheet_part(data, "答题")
    xml = zipfile.ZipFile(io.BytesIO(data)).read(part)
    start = xml.index(b'<c r="F2"')
    end = xml.index(b"</c>", start) + 4
    data = rezip(data, replace={part: xml[:start] + b'<c r="F2" t="e"><v>#N/A</v></c>' + xml[end:]})
    a = read_template(data).answer(FIRST)
    assert a is not None and a.na


def test_a_formula_is_refused_even_with_a_valid_cached_value() -> None:
    """data_only=True would return the cached 3; the reader must see the formula and refuse it."""
    data = filled_template({FIRST: (1, "", "")})
    part = sheet_part(data, "答题")
    xml = zipfile.ZipFile(io.BytesIO(data)).read(part)
    start = xml.index(b'<c r="F2"')
    end = xml.index(b"</c>", start) + 4
    data = rezip(data, replace={part: xml[:start] + b'<c r="F2"><f>1+2</f><v>3</v></c>' + xml[end:]})
    with pytest.raises(WorkbookRejected) as info:
        read_template(data)
    assert [(p.code, p.cell, p.values["formula"]) for p in info.value.problems] == [("formula", "F2", "=1+2")]


def test_injection_strings_in_notes_are_accepted_as_text() -> None:
    answers = {x.id: (2, "", text) for x, text in zip(Q.questions(), INJECTIONS, strict=False)}
    filled = read_template(filled_template(answers))
    got = {a.question_id: a.note for a in filled.answers}
    for qid, (_, _, text) in answers.items():
        assert got[qid] == text.strip()  # surrounding whitespace is trimmed like every saved answer


def test_blank_rows_are_not_answers_and_note_only_rows_are() -> None:
    second = Q.questions()[1].id
    filled = read_template(filled_template({FIRST: (None, "", "只有备注"), second: (None, "", "")}))
    assert [(a.question_id, a.level, a.na, a.note) for a in filled.answers] == [(FIRST, None, False, "只有备注")]


def test_profile_accepts_labels_of_either_language_and_ids() -> None:
    def edit(wb: Workbook) -> None:
        ws = wb["组织画像"]
        for r in range(2, ws.max_row + 1):
            if ws.cell(row=r, column=1).value == "sector":
                ws.cell(row=r, column=4).value = "Finance"
            if ws.cell(row=r, column=1).value == "size":
                ws.cell(row=r, column=4).value = "large"
            if ws.cell(row=r, column=1).value == "high_impact":
                ws.cell(row=r, column=4).value = "yes"

    filled = read_template(filled_template(edit=edit))
    assert (filled.profile["sector"], filled.profile["size"], filled.profile["high_impact"]) == ("finance", "large", True)


def test_profile_with_no_role_chosen_is_a_gap_not_a_value() -> None:
    profile = {**Q.default_profile(), "ai_roles": []}
    filled = read_template(filled_template(profile=profile))
    assert "ai_roles" not in filled.profile
    assert [p.code for p in filled.profile_gaps] == ["profile_multi_none"]


def test_read_workbook_answers_gives_the_answers_file_shape() -> None:
    data = filled_template({FIRST: (4, "", "笔记"), Q.questions()[1].id: ("N/A", "不研发模型", "")})
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "filled.xlsx"
        path.write_bytes(data)
        got = read_workbook_answers(path)
    assert got["questionnaire"] == Q.id and got["version"] == Q.version and got["profile"] == Q.default_profile()
    assert got["answers"][FIRST] == {"level": 4, "note": "笔记"}
    assert got["answers"][Q.questions()[1].id] == {"na": True, "justification": "不研发模型"}


# --- the XML parser and the cell writer -----------------------------------------------------------------

def test_openpyxl_parses_with_defusedxml() -> None:
    from openpyxl.xml import functions

    require_defusedxml()
    assert openpyxl.xml.DEFUSEDXML is True
    assert functions.fromstring.__module__.startswith("defusedxml")
    assert functions.iterparse.__module__.startswith("defusedxml")


def test_uploads_are_refused_if_defusedxml_were_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    with pytest.raises(UnsafeXMLParser):
        read_template(filled_template())


@pytest.mark.parametrize("text", INJECTIONS)
def test_guarded_text_is_a_string_cell_with_quote_prefix(text: str) -> None:
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)
    put(ws, 1, 1, text)
    data = save(wb)
    assert b"<f>" not in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    c = load_workbook(io.BytesIO(data)).active["A1"]
    assert c.data_type == "s" and c.quotePrefix is True and decode_text(c.value) == text
    assert needs_guard(text)


def test_plain_text_gets_no_quote_prefix_and_write_only_cells_follow_the_same_rules() -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("x")
    ws.append([write_only_cell(ws, "普通文本"), write_only_cell(ws, "=1+1"), write_only_cell(ws, 2.5, number_format="0.00")])
    data = save(wb)
    row = next(load_workbook(io.BytesIO(data)).active.iter_rows())
    assert [(c.value, c.data_type, bool(c.quotePrefix)) for c in row] == [
        ("普通文本", "s", False), ("=1+1", "s", True), (2.5, "n", False)]
    assert row[2].number_format == "0.00"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=40))
def test_any_text_survives_an_xlsx_round_trip(text: str) -> None:
    assert decode_text(encode_text(text)) == text
    wb = Workbook()
    set_value(wb.active["A1"], text)
    back = load_workbook(io.BytesIO(save(wb))).active["A1"].value
    assert decode_text(back or "") == text


def test_a_level_cell_of_spaces_is_a_blank_row_not_an_answer() -> None:
    filled = read_template(filled_template({FIRST: ("   ", "", "")}))
    assert filled.answer(FIRST) is None
