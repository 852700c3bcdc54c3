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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.chart import BarChart, LineChart, RadarChart, Reference, Series
from openpyxl.formatting.rule import ColorScaleRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter

from benchmarking.labels import (
    estimate_note,
    question_text,
    segment_field_name,
    segment_value_name,
    unit_name,
)
from benchmarking.statistics import SEGMENT_FIELDS, DashboardStats, Dist, MemberStats
from excel.cells import write_only_cell, write_only_sheet
from i18n import t
from questionnaires import Questionnaire

SCORE_FORMAT = "0.00"
PCT_FORMAT = "0.0%"
HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
SUPPRESSED_FILL = PatternFill("solid", fgColor="EDEDED")
THIN = Side(style="thin", color="BFBFBF")


@dataclass(frozen=True)
class RoundInfo:
    """What the workbook says about the round it describes."""

    association: str
    round_name: str
    status: str
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
        self.cells: dict[int, dict[int, Cell]] = {}

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


def _score(ws: _Sheet, row: int, col: int, value: float | None) -> None:
    ws.put(row, col, value, number_format=SCORE_FORMAT, style="bm_cell")


def _dist_row(ws: _Sheet, row: int, label: str, d: Dist, lang: str) -> None:
    """A distribution row: label, organisations, P25, median, P75 (suppressed: text + blanks)."""
    ws.put(row, 1, label, style="bm_cell")
    if d.suppressed:
        ws.put(row, 2, t("benchmark.too_few", lang), style="bm_hidden")
        for c in range(3, 6):
            ws.put(row, c, None, style="bm_hidden")
        return
    ws.put(row, 2, d.count, style="bm_cell")
    for c, v in enumerate((d.p25, d.median, d.p75), 3):
        _score(ws, row, c, v)


def _stat_titles(lang: str) -> list[str]:
    return [t(f"benchmark.stat.{k}", lang) for k in ("count", "p25", "median", "p75")]


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
    row += 1
    _header(ws, row, [t("benchmark.xlsx.unit", lang), *_stat_titles(lang)])
    first = row + 1
    units = ["overall", *stats.dimension_ids]
    for i, u in enumerate(units):
        label = unit_name(q, u, lang) if u == "overall" else f"{u} {unit_name(q, u, lang)}"
        _dist_row(ws, first + i, label, stats.units.get(u, Dist.hidden()), lang)
    ws.ws.freeze_panes = f"A{first}"
    if not stats.suppressed:
        _overview_charts(ws, stats, first, lang)
    ws.close([30, 14, 10, 10, 10])


def _overview_charts(ws: _Sheet, stats: DashboardStats, first: int, lang: str) -> None:
    """A radar of P25/median/P75 per dimension and a bar chart of the quantiles, both on the table's cells."""
    dims_first, dims_last = first + 1, first + len(stats.dimension_ids)
    radar = RadarChart()
    radar.type = "marker"
    radar.title = t("benchmark.xlsx.radar_title", lang)
    for col, key in ((3, "p25"), (4, "median"), (5, "p75")):
        radar.series.append(Series(Reference(ws.ws, min_col=col, min_row=dims_first, max_row=dims_last),
                                   title=t(f"benchmark.stat.{key}", lang)))
    radar.set_categories(Reference(ws.ws, min_col=1, min_row=dims_first, max_row=dims_last))
    _radar_scale(radar)
    ws.ws.add_chart(radar, "J3")
    bars = BarChart()
    bars.type = "col"
    bars.title = t("benchmark.xlsx.bars_title", lang)
    bars.add_data(Reference(ws.ws, min_col=3, max_col=5, min_row=first - 1, max_row=dims_last), titles_from_data=True)
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
    ws = _Sheet(wb, t("benchmark.xlsx.sheet_segments", lang))
    ws.put(1, 1, t("benchmark.xlsx.segments_title", lang), style="bm_title")
    ws.put(2, 1, t("benchmark.xlsx.segments_help", lang, k=stats.min_group_size), style="bm_note")
    units = ["overall", *stats.dimension_ids]
    row = 4
    for field in SEGMENT_FIELDS:
        rows = stats.segment_rows(field)
        ws.put(row, 1, segment_field_name(field, lang), style="bm_title")
        row += 1
        _header(ws, row, [segment_field_name(field, lang), t("benchmark.stat.count", lang),
                          *[unit_name(q, u, lang) if u == "overall" else u for u in units]])
        top = row + 1
        for seg in rows:
            row += 1
            ws.put(row, 1, segment_value_name(q, field, seg.value, lang), style="bm_cell")
            if seg.suppressed:
                ws.put(row, 2, t("benchmark.too_few", lang), style="bm_hidden")
                for c in range(3, 3 + len(units)):
                    ws.put(row, c, None, style="bm_hidden")
                continue
            if seg.count is None:  # complementary suppression: it would give a hidden segment's count away
                ws.put(row, 2, t("benchmark.count_hidden", lang), style="bm_hidden")
            else:
                ws.put(row, 2, seg.count, style="bm_cell")
            for c, u in enumerate(units, 3):
                if seg.dist(u).suppressed:  # too few scored on this unit: the text, never a blank "not scored"
                    ws.put(row, c, t("benchmark.too_few", lang), style="bm_hidden")
                else:
                    _score(ws, row, c, seg.median(u))
        if rows:
            rng = f"C{top}:{get_column_letter(2 + len(units))}{row}"
            ws.ws.conditional_formatting.add(rng, ColorScaleRule(
                start_type="num", start_value=0, start_color="F8696B", mid_type="num", mid_value=2.5,
                mid_color="FFEB84", end_type="num", end_value=5, end_color="63BE7B"))
        row += 2
    ws.put(row, 1, t("benchmark.xlsx.unit_legend", lang), style="bm_title")
    for u in units[1:]:
        row += 1
        ws.put(row, 1, u, style="bm_cell")
        ws.put(row, 2, unit_name(q, u, lang), style="bm_cell")
    ws.close([22, 14, *[9] * len(units)])


def _gaps_sheet(wb: Workbook, q: Questionnaire, stats: DashboardStats, lang: str) -> None:
    ws = _Sheet(wb, t("benchmark.xlsx.sheet_gaps", lang))
    ws.put(1, 1, t("benchmark.gaps_heading", lang), style="bm_title")
    ws.put(2, 1, t("benchmark.gaps_help", lang), style="bm_note")
    ws.merge(2, 1, 7)
    ws.ws.row_dimensions[2].height = 36
    _header(ws, 4, [t("benchmark.col.question_id", lang), t("benchmark.col.question", lang),
                    t("benchmark.col.dimension", lang), t("benchmark.col.members_high", lang),
                    t("benchmark.col.share_high", lang)])
    if stats.suppressed:
        ws.put(5, 1, t("benchmark.too_few", lang), style="bm_hidden")
    elif not stats.gaps:
        ws.put(5, 1, t("benchmark.gaps_none", lang), style="bm_note")
    for i, g in enumerate(stats.gaps, 5):
        ws.put(i, 1, g.question_id, style="bm_cell")
        ws.put(i, 2, question_text(q, g.question_id, lang), style="bm_cell")
        ws.put(i, 3, unit_name(q, g.dimension_id, lang), style="bm_cell")
        ws.put(i, 4, g.count, style="bm_cell")
        ws.put(i, 5, g.share, number_format=PCT_FORMAT, style="bm_cell")
    if stats.gaps:
        chart = BarChart()
        chart.type = "bar"
        chart.title = t("benchmark.col.share_high", lang)
        last = 4 + len(stats.gaps)
        chart.add_data(Reference(ws.ws, min_col=5, min_row=4, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws.ws, min_col=1, min_row=5, max_row=last))
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
        chart.x_axis.scaling.orientation = "maxMin"
        chart.height, chart.width = 10, 14
        chart.legend = None
        ws.ws.add_chart(chart, "G4")
    ws.close([13, 60, 16, 14, 12])


def _identified_sheet(wb: Workbook, q: Questionnaire, stats: DashboardStats, lang: str) -> None:
    ws = _Sheet(wb, t("benchmark.xlsx.sheet_identified", lang))
    ws.put(1, 1, t("benchmark.identified_heading", lang), style="bm_title")
    ws.put(2, 1, t("benchmark.identified_help", lang), style="bm_note")
    ws.merge(2, 1, 8)
    ws.ws.row_dimensions[2].height = 32
    dims = stats.dimension_ids
    _header(ws, 4, [t("benchmark.col.organisation", lang), t("benchmark.col.submitted_at", lang),
                    unit_name(q, "overall", lang), *[unit_name(q, d, lang) for d in dims],
                    t("benchmark.col.percent_to_target", lang)])
    if not stats.identified:
        ws.put(5, 1, t("benchmark.identified_none", lang), style="bm_note")
    for i, r in enumerate(stats.identified, 5):
        ws.put(i, 1, r.organisation_name, style="bm_cell")
        ws.put(i, 2, r.submitted_at, number_format="yyyy-mm-dd", style="bm_cell")
        _score(ws, i, 3, r.overall)
        for c, d in enumerate(dims, 4):
            _score(ws, i, c, r.dimensions.get(d))
        ws.put(i, 4 + len(dims), r.percent_to_target, number_format=PCT_FORMAT, style="bm_cell")
    ws.close([34, 13, 10, *[12] * len(dims), 12])


def _trend_sheet(wb: Workbook, q: Questionnaire, stats: DashboardStats, lang: str) -> None:
    ws = _Sheet(wb, t("benchmark.xlsx.sheet_trend", lang))
    ws.put(1, 1, t("benchmark.trend_heading", lang), style="bm_title")
    ws.put(2, 1, t("benchmark.trend_help", lang), style="bm_note")
    units = ["overall", *stats.dimension_ids]
    _header(ws, 4, [t("benchmark.col.round", lang), t("benchmark.submitted", lang),
                    *[unit_name(q, u, lang) for u in units]])
    note = 3 + len(units)  # right of the charted columns: a text there would be drawn as 0, a blank is a gap
    for i, p in enumerate(stats.trend, 5):
        ws.put(i, 1, p.round_name, style="bm_cell")
        ws.put(i, 2, p.submitted, style="bm_cell" if p.submitted is not None else "bm_hidden")
        hidden = False
        for c, u in enumerate(units, 3):
            d = p.units.get(u, Dist.hidden())
            if d.suppressed:
                ws.put(i, c, None, style="bm_hidden")
                hidden = True
            else:
                _score(ws, i, c, d.median)
        if hidden:
            ws.put(i, note, t("benchmark.too_few", lang), style="bm_hidden")
    if len(stats.trend) > 1:
        chart = LineChart()
        chart.title = t("benchmark.trend_heading", lang)
        last = 4 + len(stats.trend)
        chart.add_data(Reference(ws.ws, min_col=3, max_col=2 + len(units), min_row=4, max_row=last),
                       titles_from_data=True)
        chart.set_categories(Reference(ws.ws, min_col=1, min_row=5, max_row=last))
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 5
        chart.height, chart.width = 9, 16
        ws.ws.add_chart(chart, f"B{last + 3}")
    ws.close([34, 10, *[12] * len(units), 18])


# --- the member's one-page comparison --------------------------------------------------------------

def peer_workbook(q: Questionnaire, info: RoundInfo, organisation: str, status: str, stats: MemberStats,
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
    ws.put(row, 2, group_label(q, stats, lang), style="bm_cell")
    row += 2
    units = list(stats.own)
    _header(ws, row, [t("benchmark.xlsx.unit", lang), t("benchmark.peers.own", lang), t("benchmark.stat.p25", lang),
                      t("benchmark.stat.median", lang), t("benchmark.stat.p75", lang),
                      t("benchmark.peers.position", lang)])
    first = row + 1
    for i, u in enumerate(units):
        r = first + i
        ws.put(r, 1, unit_name(q, u, lang), style="bm_cell")
        _score(ws, r, 2, stats.own.get(u))
        d = stats.units.get(u, Dist.hidden())
        if d.suppressed:
            ws.put(r, 3, t("benchmark.too_few", lang), style="bm_hidden")
            for c in (4, 5, 6):
                ws.put(r, c, None, style="bm_hidden")
            continue
        for c, v in enumerate((d.p25, d.median, d.p75), 3):
            _score(ws, r, c, v)
        pos = stats.position.get(u)
        ws.put(r, 6, t(f"benchmark.position.{pos}", lang) if pos else None, style="bm_cell")
    last = first + len(units) - 1
    row = last + 2
    ws.put(row, 1, t("benchmark.peers.close_first_heading", lang), style="bm_title")
    row += 1
    ws.put(row, 1, close_first_help(stats, lang), style="bm_note")
    ws.merge(row, 1, 6)
    ws.ws.row_dimensions[row].height = 44
    row += 1
    _header(ws, row, [t("benchmark.col.question_id", lang), t("benchmark.col.question", lang),
                      t("benchmark.peers.own_level", lang), t("common.target", lang),
                      t("benchmark.peers.col_drop", lang)])
    if not stats.close_first:
        row += 1
        ws.put(row, 1, t("benchmark.peers.close_first_none", lang), style="bm_note")
    for item in stats.close_first:
        row += 1
        ws.put(row, 1, item.question_id, style="bm_cell")
        ws.put(row, 2, question_text(q, item.question_id, lang), style="bm_cell")
        ws.put(row, 3, item.own_level, style="bm_cell")
        _score(ws, row, 4, item.target)
        ws.put(row, 5, item.share, number_format=PCT_FORMAT, style="bm_cell")
    if not stats.suppressed:
        radar = RadarChart()
        radar.type = "marker"
        radar.title = t("benchmark.peers.radar_title", lang)
        # Row ``first`` is the overall score; the radar shows the dimensions below it.
        for col, key in ((2, "benchmark.peers.own"), (4, "benchmark.stat.median")):
            radar.series.append(Series(Reference(ws.ws, min_col=col, min_row=first + 1, max_row=last),
                                       title=t(key, lang)))
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


def group_label(q: Questionnaire, stats: MemberStats, lang: str) -> str:
    """The comparison group's name, with its released size when shown (the page and the workbook)."""
    group = segment_value_name(q, stats.segment, stats.segment_value, lang)
    label = group if stats.segment == "all" else t("benchmark.peers.group_label", lang,
                                                   field=segment_field_name(stats.segment, lang), value=group)
    return label if stats.suppressed or stats.peers is None else f"{label} · {t('benchmark.peers.n', lang, n=stats.peers)}"


def close_first_help(stats: MemberStats, lang: str) -> str:
    if stats.close_first_method == "trend":
        return t("benchmark.peers.close_first_trend", lang)
    return t("benchmark.peers.close_first_snapshot", lang)
