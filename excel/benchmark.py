"""Benchmark workbooks: the association's round workbook and a member's one-page peer comparison.

Built only from a round's published release (:mod:`benchmarking.statistics` views of it) — the
same objects the pages show — so a workbook can never hold more than the dashboard: no anonymous
names, no answers, no exact statistic, and every hidden group is written as the text "too few to
show" with empty values. The file's dates are the release's, so one release always gives the
same bytes (a closed round's workbook can be reproduced years later).
Chart series reference only number or empty cells: Excel plots a text as 0 but leaves a gap for a
blank, so the words always sit outside the charted columns. Every text goes through :mod:`excel.cells`.

Written in openpyxl's ``write_only`` mode, like the summary: a 1,000-member round's workbook is
within 2× of writing its bare values (``python -m perf excel``). Each sheet is laid out by
(row, column) in a :class:`_Sheet` and streamed out in row order when it is complete.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell as SheetCell
from openpyxl.chart import BarChart, LineChart, RadarChart, Reference, Series
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from benchmarking.labels import close_first_help, estimate_note, group_name, segment_field_name
from benchmarking.statistics import SEGMENT_FIELDS, DashboardStats, MemberStats
from benchmarking.tables import (
    Cell,
    Table,
    close_first_table,
    distribution_table,
    gaps_table,
    identified_table,
    position_table,
    segment_table,
    trend_table,
)
from enums import AssessmentStatus, RoundStatus
from excel.cells import write_only_cell, write_only_sheet
from i18n import t
from questionnaires import Questionnaire

SCORE_FORMAT = "0.00"
PCT_FORMAT = "0.0%"
NUMBER_FORMATS = {"score": SCORE_FORMAT, "share": PCT_FORMAT, "date": "yyyy-mm-dd"}  # by table cell kind
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
SUPPRESSED_FILL = PatternFill("solid", fgColor="EDEDED")
THIN = Side(style="thin", color="BFBFBF")
QUANTILE_KEYS = ("benchmark.stat.p25", "benchmark.stat.median", "benchmark.stat.p75")  # the overview's charted columns
PEER_CHARTED = ("benchmark.peers.own", "benchmark.peers.peer_median")  # the peer radar's series


@dataclass(frozen=True)
class RoundInfo:
    """What the workbook says about the round it describes."""

    association: str
    round_name: str
    status: RoundStatus
    deadline: datetime | None
    questionnaire_id: str
    questionnaire_version: str
    generated_at: datetime  # the release's publication time (what the figures are as of)
    release_seq: int | None = None
    epsilon: float | None = None


def _styles(wb: Workbook) -> None:
    border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    wb.add_named_style(NamedStyle("bm_title", font=Font(bold=True, size=14)))
    wb.add_named_style(NamedStyle("bm_header", font=Font(bold=True), fill=HEADER_FILL, border=border,
                                  alignment=Alignment(wrap_text=True, vertical="center")))
    wb.add_named_style(NamedStyle("bm_cell", border=border, alignment=Alignment(vertical="top", wrap_text=True)))
    wb.add_named_style(NamedStyle("bm_hidden", border=border, fill=SUPPRESSED_FILL,
                                  font=Font(italic=True, color="595959")))
    wb.add_named_style(NamedStyle("bm_note", font=Font(italic=True, color="595959"),
                                  alignment=Alignment(wrap_text=True, vertical="top")))


class _Sheet:
    """A ``write_only`` worksheet filled by (row, column) in any order, streamed out row by row on close."""

    def __init__(self, wb: Workbook, title: str):
        self.ws: Any = write_only_sheet(wb, title)
        self.cells: dict[int, dict[int, SheetCell]] = {}

    def put(self, row: int, column: int, value: Any, *, number_format: str | None = None,
            style: str | None = None) -> None:
        self.cells.setdefault(row, {})[column] = write_only_cell(self.ws, value, number_format=number_format,
                                                                 style=style)

    def merge(self, row: int, first: int, last: int) -> None:
        self.ws.merged_cells.add(f"{get_column_letter(first)}{row}:{get_column_letter(last)}{row}")

    def close(self, widths: Sequence[float]) -> None:
        """Column widths, then every row in order (write-only sheets take widths before any row)."""
        for i, w in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = w
        for r in range(1, max(self.cells, default=0) + 1):
            row = self.cells.get(r, {})
            self.ws.append([row.get(c) for c in range(1, max(row, default=0) + 1)])


def _header(ws: _Sheet, row: int, titles: Sequence[str]) -> None:
    for c, title in enumerate(titles, 1):
        ws.put(row, c, title, style="bm_header")


def _cell(ws: _Sheet, row: int, column: int, cell: Cell) -> None:
    """One table cell: its value with its kind's number format (Excel shows what the page shows)."""
    if cell.kind == "hidden":
        ws.put(row, column, cell.text or None, style="bm_hidden")
    else:
        ws.put(row, column, cell.value, number_format=NUMBER_FORMATS.get(cell.kind), style="bm_cell")


def _table(ws: _Sheet, top: int, table: Table, *, charted: Collection[str] = ()) -> int:
    """``table`` with its header on row ``top``; returns the row of its first line.

    Columns named in ``charted`` feed a chart, which draws a text as 0 and an empty cell as a gap:
    a hidden cell there is left empty, and if that takes the reason out of its row, the reason goes
    to a note right of the table. Without rows, the table's ``empty`` words stand under the header.
    """
    _header(ws, top, table.titles)
    plotted = {table.index(key) for key in charted}
    for r, cells in enumerate(table.rows, top + 1):
        shown: set[str] = set()
        moved: list[str] = []
        for c, cell in enumerate(cells):
            if cell.kind == "hidden" and c in plotted:
                ws.put(r, c + 1, None, style="bm_hidden")
                moved.append(cell.text)
                continue
            _cell(ws, r, c + 1, cell)
            if cell.kind == "hidden":
                shown.add(cell.text)
        note = [reason for reason in dict.fromkeys(moved) if reason and reason not in shown]
        if note:
            ws.put(r, len(cells) + 1, " ".join(note), style="bm_hidden")
    if not table.rows and table.empty:
        ws.put(top + 1, 1, table.empty, style="bm_note")
    return top + 1


def _reproducible(data: bytes, when: datetime) -> bytes:
    """The same workbook bytes for the same content: every zip entry and the document dates set to ``when``.

    openpyxl stamps the save time into each zip entry and into docProps/core.xml.
    """
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    date_time = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, when.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            body = src.read(item.filename)
            if item.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    start = text.find(f"<{tag}")
                    if start >= 0:
                        open_end = text.index(">", start) + 1
                        close = text.index(f"</{tag}>", open_end)
                        text = text[:open_end] + stamp + text[close:]
                body = text.encode("utf-8")
            info = zipfile.ZipInfo(item.filename, date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = item.external_attr
            dst.writestr(info, body)
    return out.getvalue()


def _info(ws: _Sheet, info: RoundInfo, min_group: int, lang: str, title_key: str, note_key: str,
          error: float | None = None) -> int:
    """Title, the round's facts, the release and the privacy rule; returns the next free row."""
    ws.put(1, 1, t(title_key, lang), style="bm_title")
    rows = [
        ("benchmark.xlsx.association", info.association),
        ("benchmark.xlsx.round", info.round_name),
        ("benchmark.xlsx.status", t(f"benchmark.status.{info.status}", lang)),
        ("benchmark.xlsx.deadline", info.deadline.strftime("%Y-%m-%d") if info.deadline else "—"),
        ("benchmark.xlsx.questionnaire", f"{info.questionnaire_id} v{info.questionnaire_version}"),
        ("benchmark.xlsx.threshold", t("benchmark.xlsx.threshold_value", lang, k=min_group)),
        ("benchmark.xlsx.generated", info.generated_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("benchmark.xlsx.release", "—" if info.release_seq is None else
         t("benchmark.xlsx.release_value", lang, seq=info.release_seq, epsilon=f"{info.epsilon:g}")),
    ]
    for i, (key, value) in enumerate(rows, 3):
        ws.put(i, 1, t(key, lang), style="bm_header")
        ws.put(i, 2, value, style="bm_cell")
    note = 3 + len(rows)
    ws.put(note, 1, " ".join(x for x in (t(note_key, lang, k=min_group), estimate_note(lang, info.epsilon, error)) if x),
           style="bm_note")
    ws.merge(note, 1, 8)
    ws.ws.row_dimensions[note].height = 80
    return note + 2


# --- the association's workbook ---------------------------------------------------------------------

def benchmark_workbook(q: Questionnaire, info: RoundInfo, stats: DashboardStats, lang: str) -> bytes:
    """The round's benchmark workbook: overview, segments, common gaps, identified members, trend."""
    wb = Workbook(write_only=True)
    _styles(wb)
    _overview_sheet(wb, q, info, stats, lang)
    _segments_sheet(wb, q, stats, lang)
    _gaps_sheet(wb, q, stats, lang)
    _identified_sheet(wb, q, stats, lang)
    _trend_sheet(wb, q, stats, lang)
    out = io.BytesIO()
    wb.save(out)
    return _reproducible(out.getvalue(), info.generated_at)


def _overview_sheet(wb: Workbook, q: Questionnaire, info: RoundInfo, stats: DashboardStats, lang: str) -> None:
    ws = _Sheet(wb, t("benchmark.xlsx.sheet_overview", lang))
    row = _info(ws, info, stats.min_group_size, lang, "benchmark.xlsx.title", "benchmark.privacy_rule",
                stats.typical_error)
    p = stats.participation
    ws.put(row, 1, t("benchmark.participation", lang), style="bm_header")
    for c, (key, value) in enumerate((("invited", p.invited), ("started", p.started), ("submitted", p.submitted)), 2):
        ws.put(row, c, f"{t('benchmark.' + key, lang)}: {value}", style="bm_cell")
    row += 2
    ws.put(row, 1, t("benchmark.xlsx.distribution", lang), style="bm_title")
    table = distribution_table(q, stats, lang)
    first = _table(ws, row + 1, table, charted=QUANTILE_KEYS)
    ws.ws.freeze_panes = f"A{first}"
    if not stats.suppressed:
        _overview_charts(ws, table, stats, first, lang)
    ws.close([30, 14, 10, 10, 10])


def _overview_charts(ws: _Sheet, table: Table, stats: DashboardStats, first: int, lang: str) -> None:
    """A radar of P25/median/P75 per dimension and a bar chart of the quantiles, both on the table's cells."""
    dims_first, dims_last = first + 1, first + len(stats.dimension_ids)
    p25, p75 = (table.index(k) + 1 for k in (QUANTILE_KEYS[0], QUANTILE_KEYS[-1]))
    radar = RadarChart()
    radar.type = "marker"
    radar.title = t("benchmark.xlsx.radar_title", lang)
    for key in QUANTILE_KEYS:
        radar.series.append(Series(Reference(ws.ws, min_col=table.index(key) + 1, min_row=dims_first,
                                             max_row=dims_last), title=t(key, lang)))
    radar.set_categories(Reference(ws.ws, min_col=1, min_row=dims_first, max_row=dims_last))
    _radar_scale(radar)
    ws.ws.add_chart(radar, "J3")
    bars = BarChart()
    bars.type = "col"
    bars.title = t("benchmark.xlsx.bars_title", lang)
    bars.add_data(Reference(ws.ws, min_col=p25, max_col=p75, min_row=first - 1, max_row=dims_last),
                  titles_from_data=True)
    bars.set_categories(Reference(ws.ws, min_col=1, min_row=first, max_row=dims_last))
    bars.y_axis.scaling.min, bars.y_axis.scaling.max = 0, 5
    bars.height, bars.width = 8, 16
    ws.ws.add_chart(bars, "J22")


def _radar_scale(chart: RadarChart) -> None:
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 5
    chart.y_axis.majorUnit = 1
    chart.y_axis.delete = False
    chart.height, chart.width = 9, 14


def _segments_sheet(wb: Workbook, q: Questionnaire, stats: DashboardStats, lang: str) -> None:
    ws = _titled(wb, lang, "benchmark.xlsx.sheet_segments", "benchmark.xlsx.segments_title",
                 "benchmark.xlsx.segments_help", k=stats.min_group_size)
    row = 4
    width = 0
    for field in SEGMENT_FIELDS:
        table = segment_table(q, stats, field, lang)
        width = len(table.columns)
        ws.put(row, 1, segment_field_name(field, lang), style="bm_title")
        first = _table(ws, row + 1, table)
        row = first + max(len(table.rows), 1) - 1
        if table.rows:  # a colour scale over the medians (it ignores the words of hidden cells)
            rng = f"C{first}:{get_column_letter(width)}{row}"
            ws.ws.conditional_formatting.add(rng, ColorScaleRule(
                start_type="num", start_value=0, start_color="F8696B", mid_type="num", mid_value=2.5,
                mid_color="FFEB84", end_type="num", end_value=5, end_color="63BE7B"))
        row += 2
    ws.close([22, 14, *[14] * (width - 2)])


def _titled(wb: Workbook, lang: str, sheet: str, title: str, note: str, *, merge: int = 0, height: float = 0,
            **values: object) -> _Sheet:
    """A sheet with a title on row 1 and an explaining note on row 2 (merged over ``merge`` columns
    and ``height`` points high when it is long); its table starts on row 4."""
    ws = _Sheet(wb, t(sheet, lang))
    ws.put(1, 1, t(title, lang), style="bm_title")
    ws.put(2, 1, t(note, lang, **values), style="bm_note")
    if merge:
        ws.merge(2, 1, merge)
    if height:
        ws.ws.row_dimensions[2].height = height
    return ws


def _gaps_sheet(wb: Workbook, q: Questionnaire, stats: DashboardStats, lang: str) -> None:
    ws = _titled(wb, lang, "benchmark.xlsx.sheet_gaps", "benchmark.gaps_heading", "benchmark.gaps_help",
                 merge=7, height=36)
    table = gaps_table(q, stats, lang)
    first = _table(ws, 4, table)
    if table.rows:
        share = table.index("benchmark.col.share_high") + 1
        chart = BarChart()
        chart.type = "bar"
        chart.title = t("benchmark.col.share_high", lang)
        last = first + len(table.rows) - 1
        chart.add_data(Reference(ws.ws, min_col=share, min_row=first - 1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws.ws, min_col=1, min_row=first, max_row=last))
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.x_axis.scaling.orientation = "maxMin"
        chart.height, chart.width = 10, 14
        chart.legend = None
        ws.ws.add_chart(chart, "G4")
    ws.close([13, 60, 16, 14, 12])


def _identified_sheet(wb: Workbook, q: Questionnaire, stats: DashboardStats, lang: str) -> None:
    ws = _titled(wb, lang, "benchmark.xlsx.sheet_identified", "benchmark.identified_heading",
                 "benchmark.identified_help", merge=8, height=32)
    _table(ws, 4, identified_table(q, stats, lang))
    ws.close([34, 13, 10, *[12] * len(stats.dimension_ids), 12])


def _trend_sheet(wb: Workbook, q: Questionnaire, stats: DashboardStats, lang: str) -> None:
    ws = _titled(wb, lang, "benchmark.xlsx.sheet_trend", "benchmark.trend_heading", "benchmark.trend_help")
    units = ["overall", *stats.dimension_ids]
    table = trend_table(q, stats, lang)
    first = _table(ws, 4, table, charted=units)
    if len(table.rows) > 1:
        chart = LineChart()
        chart.title = t("benchmark.trend_heading", lang)
        last = first + len(table.rows) - 1
        chart.add_data(Reference(ws.ws, min_col=table.index(units[0]) + 1, max_col=table.index(units[-1]) + 1,
                                 min_row=first - 1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws.ws, min_col=1, min_row=first, max_row=last))
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 5
        chart.height, chart.width = 9, 16
        ws.ws.add_chart(chart, f"B{last + 3}")
    ws.close([34, 10, *[12] * len(units), 18])


# --- the member's one-page comparison --------------------------------------------------------------

def peer_workbook(q: Questionnaire, info: RoundInfo, organisation: str, status: AssessmentStatus, stats: MemberStats,
                  min_group: int, lang: str) -> bytes:
    """One printable page: own scores against the released peer figures, own position, close-first."""
    wb = Workbook(write_only=True)
    _styles(wb)
    ws = _Sheet(wb, t("benchmark.xlsx.sheet_peer", lang))
    row = _info(ws, info, min_group, lang, "benchmark.xlsx.peer_title", "benchmark.peers.privacy_note",
                stats.typical_error)
    ws.put(row, 1, t("benchmark.col.organisation", lang), style="bm_header")
    ws.put(row, 2, f"{organisation} ({t('common.' + status, lang)})", style="bm_cell")
    row += 1
    ws.put(row, 1, t("benchmark.peers.group", lang), style="bm_header")
    size = "" if stats.suppressed or stats.peers is None else f" · {t('benchmark.peers.n', lang, n=stats.peers)}"
    ws.put(row, 2, group_name(q, stats, lang) + size, style="bm_cell")
    row += 2
    table = position_table(q, stats, lang)
    first = _table(ws, row, table, charted=PEER_CHARTED)
    last = first + len(table.rows) - 1
    row = last + 2
    ws.put(row, 1, t("benchmark.peers.close_first_heading", lang), style="bm_title")
    row += 1
    ws.put(row, 1, close_first_help(stats, lang), style="bm_note")
    ws.merge(row, 1, 6)
    ws.ws.row_dimensions[row].height = 44
    row += 1
    close_first = close_first_table(q, stats, lang)
    row = _table(ws, row, close_first) + max(len(close_first.rows), 1) - 1
    if not stats.suppressed:
        radar = RadarChart()
        radar.type = "marker"
        radar.title = t("benchmark.peers.radar_title", lang)
        # Row ``first`` is the overall score; the radar shows the dimensions below it.
        for key in PEER_CHARTED:
            radar.series.append(Series(Reference(ws.ws, min_col=table.index(key) + 1, min_row=first + 1,
                                                 max_row=last), title=t(key, lang)))
        radar.set_categories(Reference(ws.ws, min_col=1, min_row=first + 1, max_row=last))
        _radar_scale(radar)
        ws.ws.add_chart(radar, "H3")
    ws.ws.page_setup.orientation = "landscape"
    ws.ws.page_setup.fitToWidth = 1
    ws.ws.page_setup.fitToHeight = 1
    ws.ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.ws.print_area = f"A1:O{max(row, 30)}"
    ws.close([24, 46, 10, 10, 12, 16])
    out = io.BytesIO()
    wb.save(out)
    return _reproducible(out.getvalue(), info.generated_at)
