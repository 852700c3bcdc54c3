"""The one way this package writes a value into a cell: text can never become a formula.

Formula injection: a text such as ``=HYPERLINK(...)`` or ``@SUM(...)`` that lands in a cell
Excel evaluates is an attack on whoever opens the export. openpyxl turns any str starting with
``=`` into a formula cell, so every writer in ``excel/`` goes through :func:`set_value` (normal
worksheets) or :func:`write_only_cell` (``write_only`` worksheets):

* the cell is a string cell (``t="inlineStr"``), never ``<f>``, whatever the text starts with;
* a text starting with ``=``, ``+``, ``-``, ``@``, tab or CR also gets the cell style flag
  ``quotePrefix="1"``. That flag is what Excel itself stores when a user types a leading
  apostrophe: Excel and LibreOffice show the text as text, and re-editing the cell (F2, Enter)
  keeps it text instead of evaluating it. A literal leading ``'`` in the value would instead be
  shown to the reader and break the round trip, so the value itself is never changed.

Speed: resolving a named style and a number format on every cell costs more than writing the cell
(openpyxl looks the style up by name and re-registers the format each time). The resolved style of
each (workbook, style, number format) is therefore kept and copied onto the next cells that use it.

Lossless text: XML cannot hold most control characters, and XML parsers turn CR into LF. Texts
are therefore escaped the OOXML way (``ST_Xstring``: ``_xHHHH_``), exactly as Excel escapes them
in files it saves, and :func:`decode_text` reverses it when reading. A literal ``_x0041_`` typed
by a user is protected as ``_x005F_x0041_``, again as Excel does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from copy import copy
from typing import Any
from weakref import WeakKeyDictionary

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.worksheet import Worksheet

GUARDED_FIRST_CHARS = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_XML = re.compile("[\x00-\x08\x0b\x0c\x0d\x0e-\x1f\ufffe\uffff]")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def needs_guard(text: str) -> bool:
    """Whether Excel could read ``text`` as the start of a formula (or a CSV-injection payload)."""
    return bool(text) and text[0] in GUARDED_FIRST_CHARS


# Where a spreadsheet may begin a cell inside one CSV field: the field's start, and after every ";" —
# the list separator of locales whose decimal mark is a comma (de, fr, …), where Excel splits a
# comma-separated file at ";" and a note such as "see annex;=cmd|…" becomes a formula cell. Quotes a
# CSV reader removes may stand in between.
_CSV_CELL_START = re.compile("(^|;)(\"*)(?=[" + re.escape("".join(GUARDED_FIRST_CHARS)) + "])")


def csv_text(text: object) -> str:
    """A value for a CSV field that no spreadsheet runs as a formula, in any locale.

    The workbook rule (:func:`needs_guard`) applied wherever a cell may begin: at the field's start and
    after each ``;``. A CSV file has no cell style, so the guard is the apostrophe a user would type: it
    is shown, and the text is never evaluated.
    """
    s = "" if text is None else str(text)
    return _CSV_CELL_START.sub(lambda m: f"{m.group(1)}'{m.group(2)}", s)


def encode_text(text: str) -> str:
    """``text`` escaped for an xlsx string: literal ``_xHHHH_`` protected, CR and control chars escaped."""
    if "_x" in text:
        text = _ESCAPE.sub(r"_x005F_x\1_", text)
    return _UNSAFE_XML.sub(lambda m: f"_x{ord(m.group()):04X}_", text) if _UNSAFE_XML.search(text) else text


def decode_text(text: str) -> str:
    """The text a user sees in Excel for a stored xlsx string (reverses :func:`encode_text`)."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


_RESOLVED: WeakKeyDictionary[Any, dict[tuple[str | None, str | None], StyleArray]] = WeakKeyDictionary()


def _format(cell: Cell, number_format: str | None, style: str | None) -> None:
    """Give the cell the named style, then the number format; resolved once per workbook and pair."""
    if not style and cell.has_style:  # a format on top of the cell's own formatting: nothing to reuse
        if number_format:
            cell.number_format = number_format
        return
    resolved = _RESOLVED.setdefault(cell.parent.parent, {})
    known = resolved.get((style, number_format))
    if known is not None:
        cell._style = copy(known)  # type: ignore[attr-defined]  # openpyxl's style array; the stubs omit it
        return
    if style:
        cell.style = style  # first: a named style replaces the whole cell format
    if number_format:
        cell.number_format = number_format
    resolved[(style, number_format)] = copy(cell._style)  # type: ignore[attr-defined]


def _apply(cell: Cell, value: Any, number_format: str | None, style: str | None) -> None:
    if style or number_format:
        _format(cell, number_format, style)
    if isinstance(value, str):
        cell.value = encode_text(value)
        cell.data_type = "s"  # openpyxl made "=…" a formula on assignment; it is text
        if needs_guard(value):
            cell.quotePrefix = True
    else:
        cell.value = value


def set_value(cell: Cell, value: Any, *, number_format: str | None = None, style: str | None = None) -> Cell:
    """Write ``value`` into an existing cell; texts are stored as text, never as formulas."""
    _apply(cell, value, number_format, style)
    return cell


def put(ws: Worksheet, row: int, column: int, value: Any, *, number_format: str | None = None,
        style: str | None = None) -> Cell:
    """:func:`set_value` on ``ws.cell(row, column)``."""
    cell = ws.cell(row=row, column=column)
    if not isinstance(cell, Cell):  # a merged cell's value is its top-left cell's
        raise ValueError(f"{cell.coordinate} is inside a merged range; write its top-left cell")
    return set_value(cell, value, number_format=number_format, style=style)


def write_only_cell(ws: Any, value: Any, *, number_format: str | None = None,
                    style: str | None = None) -> Cell:
    """A cell for ``ws.append`` on a ``write_only`` worksheet, with the same text rules."""
    cell = WriteOnlyCell(ws)
    _apply(cell, value, number_format, style)
    return cell


def write_only_sheet(wb: Workbook, title: str) -> Any:
    """A new ``write_only`` worksheet whose ``append`` takes :func:`write_only_cell` cells as they are.

    openpyxl converts each appended value by first trying to store it as the value of a scratch
    cell, which for a cell object raises and catches a ValueError: for styled cells that is about a
    third of the cost of writing them. Rows appended here skip that; a plain value is written
    through :func:`write_only_cell`, so it gets the same text rules. (Should a later openpyxl stop
    calling ``_values_to_row``, rows simply take openpyxl's own, slower path.)
    """
    ws = wb.create_sheet(title)

    def to_row(values: Iterable[Any], row: int) -> Iterator[Cell]:
        for column, value in enumerate(values, 1):
            if value is None:
                continue
            cell = value if isinstance(value, Cell) else write_only_cell(ws, value)
            cell.column, cell.row = column, row
            yield cell

    ws._values_to_row = to_row
    return ws
