"""Filling and breaking offline templates the way users (and attackers) do, for the Excel tests."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.cell import range_to_tuple

from excel.cells import put, set_value
from excel.contract import ANSWER_COLUMNS, NAME_ROW, PROFILE_COLUMNS, col, sheet_name
from excel.template import build_template
from questionnaires import Questionnaire, get_questionnaire

Answer = tuple[Any, str, str]  # (level or "N/A" or None, justification, note)


def answer_rows(wb: Workbook, lang: str = "zh") -> dict[str, int]:
    ws = wb[sheet_name("answers", lang)]
    return {str(ws.cell(row=r, column=1).value): r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value}


def profile_rows(wb: Workbook, lang: str = "zh") -> dict[tuple[str, str], int]:
    """{(field id, option id): row} of the profile fields (not the organisation-name row)."""
    ws = wb[sheet_name("profile", lang)]
    return {(str(ws.cell(row=r, column=1).value), str(ws.cell(row=r, column=2).value or "")): r
            for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value not in (None, NAME_ROW)}


def name_cell(wb: Workbook, lang: str = "zh") -> str:
    """The address of the organisation-name value cell on the profile sheet."""
    ws = wb[sheet_name("profile", lang)]
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == NAME_ROW)
    return f"{ws.cell(row=row, column=col(PROFILE_COLUMNS, 'value')).column_letter}{row}"


def fill_name(wb: Workbook, name: str, lang: str = "zh") -> None:
    set_value(wb[sheet_name("profile", lang)][name_cell(wb, lang)], name or None)


def fill_profile(wb: Workbook, q: Questionnaire, profile: Mapping[str, Any], lang: str = "zh") -> None:
    """Choose profile values from the drop-downs as a user would (labels in the template's language)."""
    ws = wb[sheet_name("profile", lang)]
    yes, no = ("是", "否") if lang == "zh" else ("Yes", "No")
    value_col = col(PROFILE_COLUMNS, "value")
    for (fid, oid), r in profile_rows(wb, lang).items():
        f = q.profile_field(fid)
        value = profile.get(fid)
        if f.type == "multi":
            text = yes if oid in (value or []) else no
        elif f.type == "bool":
            text = yes if value else no
        else:
            text = next(q.t(o.label, lang) for o in f.options if o.id == value)
        ws.cell(row=r, column=value_col).value = text


def fill_answers(wb: Workbook, answers: Mapping[str, Answer], lang: str = "zh") -> None:
    """Type answers into the unlocked cells; texts are stored as Excel stores typed text (never formulas)."""
    ws = wb[sheet_name("answers", lang)]
    rows = answer_rows(wb, lang)
    for qid, (level, justification, note) in answers.items():
        r = rows[qid]
        ws.cell(row=r, column=col(ANSWER_COLUMNS, "level")).value = level
        put(ws, r, col(ANSWER_COLUMNS, "justification"), justification or None)
        put(ws, r, col(ANSWER_COLUMNS, "note"), note or None)


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def filled_template(answers: Mapping[str, Answer] | None = None, *, profile: Mapping[str, Any] | None = None,
                    lang: str = "zh", edit: Callable[[Workbook], None] | None = None,
                    q: Questionnaire | None = None, organisation: str = "") -> bytes:
    """A template filled in like a user would (the name only when given), then optionally edited (to break it)."""
    q = q or get_questionnaire()
    wb = load_workbook(io.BytesIO(build_template(q, lang)))
    if organisation:
        fill_name(wb, organisation, lang)
    fill_profile(wb, q, profile if profile is not None else q.default_profile(), lang)
    fill_answers(wb, answers if answers is not None else default_answers(q), lang)
    if edit is not None:
        edit(wb)
    return save(wb)


def default_answers(q: Questionnaire | None = None) -> dict[str, Answer]:
    """Levels for every question, with one N/A (justified) and notes in Chinese."""
    q = q or get_questionnaire()
    out: dict[str, Answer] = {}
    for i, question in enumerate(q.questions()):
        out[question.id] = ("N/A", "本组织不研发模型", "") if i == 5 else (i % 6, "", f"证据 {i}")
    return out


def rezip(data: bytes, *, replace: Mapping[str, bytes] | None = None, add: Mapping[str, bytes] | None = None,
          drop: tuple[str, ...] = ()) -> bytes:
    """The same xlsx package with parts replaced, added or removed (for hostile files)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, content in (add or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def sheet_part(data: bytes, title: str) -> str:
    """The zip part name of the worksheet called ``title``."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    index = wb.sheetnames.index(title) + 1
    wb.close()
    return f"xl/worksheets/sheet{index}.xml"


# Excel 4.0 (XLM) macro sheets and dialog sheets, as Excel stores them in a package (ECMA-376 and
# [MS-XLSX] 2.1): the part, its content type, its relationship from the workbook and its <sheet>.
XLM_SHEETS: dict[str, tuple[str, str, str, bytes]] = {  # kind: (folder, content type, relationship type, root)
    "macrosheet": ("xl/macrosheets", "application/vnd.ms-excel.macrosheet+xml",
                   "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet", b"xm:macrosheet"),
    "intlmacrosheet": ("xl/macrosheets", "application/vnd.ms-excel.intlmacrosheet+xml",
                       "http://schemas.microsoft.com/office/2006/relationships/xlIntlMacrosheet", b"xm:macrosheet"),
    "dialogsheet": ("xl/dialogsheets", "application/vnd.openxmlformats-officedocument.spreadsheetml.dialogsheet+xml",
                    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/dialogsheet", b"dialogsheet"),
}


def with_xlm_sheet(data: bytes, kind: str = "macrosheet", *, part: str | None = None,
                   declare_type: bool = True) -> bytes:
    """``data`` with a hidden XLM macro sheet (or dialog sheet) whose A1 runs on open (Auto_Open).

    ``part``: store it under another name (e.g. among the worksheets) to dodge a folder check;
    ``declare_type=False``: leave its content type to the ``xml`` default, so that only the
    workbook's relationship says what it is.
    """
    folder, content_type, rel_type, root = XLM_SHEETS[kind]
    part = part or f"{folder}/sheet1.xml"
    body = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<' + root
            + b' xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            b' xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><sheetData><row r="1"><c r="A1">'
            b'<f>EXEC("calc.exe")</f></c></row><row r="2"><c r="A2"><f>HALT()</f></c></row></sheetData></'
            + root + b">")
    z = zipfile.ZipFile(io.BytesIO(data))
    types = z.read("[Content_Types].xml")
    if declare_type:
        types = types.replace(b"</Types>", f'<Override PartName="/{part}" ContentType="{content_type}" /></Types>'
                              .encode())
    rels = z.read("xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", f'<Relationship Type="{rel_type}" Target="/{part}" Id="rIdXlm" /></Relationships>'.encode())
    workbook = z.read("xl/workbook.xml").replace(
        b"</sheets>", b'<sheet name="Macro1" sheetId="99" state="hidden" r:id="rIdXlm" /></sheets>').replace(
        b"<definedNames>", b"<definedNames><definedName name=\"_xlnm.Auto_Open\">Macro1!$A$1</definedName>")
    return rezip(data, replace={"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": rels,
                                "xl/workbook.xml": workbook}, add={part: body})


CHART_NS = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
VALUE_REFS = ("val", "yVal", "xVal", "bubbleSize")  # the parts of a series that are plotted as numbers


def chart_series_cells(data: bytes) -> list[tuple[str, str, str, Any]]:
    """(chart part, series values reference, cell, value) for every cell a chart of ``data`` plots.

    Read from the saved package (the chart XML and the sheets as openpyxl loads them), so it sees
    what Excel sees: a text there is drawn as 0, a blank as a gap.
    """
    z = zipfile.ZipFile(io.BytesIO(data))
    wb = load_workbook(io.BytesIO(data))
    out: list[Any] = []
    for part in sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)):
        for ser in ET.fromstring(z.read(part)).iter(f"{CHART_NS}ser"):
            for kind in VALUE_REFS:
                f = ser.find(f"{CHART_NS}{kind}//{CHART_NS}f")
                if f is None or not f.text:
                    continue
                sheet_ref, _, cells = f.text.rpartition("!")
                if ":" not in cells:
                    cells = f"{cells}:{cells}"
                title, (min_col, min_row, max_col, max_row) = range_to_tuple(f"{sheet_ref}!{cells}")
                ws = wb[title.replace("''", "'")]
                for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
                    out.extend((part, f.text, c.coordinate, c.value) for c in row)
    return out


def plotted_text(data: bytes) -> list[tuple[str, str, str, Any]]:
    """The cells of :func:`chart_series_cells` that are neither a number nor empty (Excel plots them as 0)."""
    return [item for item in chart_series_cells(data)
            if not (item[3] is None or (isinstance(item[3], int | float) and not isinstance(item[3], bool)))]
