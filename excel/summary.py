"""The summary workbook of one assessment: what a manager reads, in Excel, with native charts.

Sheets: cover (organisation, questionnaire, dates, profile, target, overall score and level,
completeness, percent to target); scores by dimension and sub-dimension with two native radar
charts (current vs target, and the peer median when given); principles and lifecycle stages;
the ranked gap list with recommendations; every answer with its level, N/A justification, note
and question text; the answer history when given; metadata.

Numbers are the scoring engine's, written at full precision with a two-decimal display format,
so a cell equals what the app shows to the last digit (openpyxl stores 16 significant digits).
A not-scored unit's score cell is left empty and its level-name cell says "not scored": a chart
series must hold only numbers or blanks, since Excel plots a text as 0 but leaves a gap for a
blank. The answer sheet carries each question's weight, critical flag and target, so a reader
can redo a sub-dimension's weighted mean by hand. Written in ``write_only`` mode (fast, low
memory); every text goes through :mod:`excel.cells`.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Protocol

from openpyxl import Workbook
from openpyxl.chart import RadarChart, Reference
from openpyxl.styles import Alignment, Font, NamedStyle, PatternFill
from openpyxl.utils import get_column_letter

from enums import ActionStatus, AssessmentForm, AssessmentStatus
from excel.cells import write_only_cell, write_only_sheet
from excel.contract import NA_TEXT, AnswerLike
from i18n import LANGUAGE_NAMES, catalog, t
from questionnaires import Questionnaire
from scoring.display import citations_text, level_text, readiness_band_key
from scoring.frame import question_frame
from scoring.readiness import LISTED_BANDS, FrameworkReadiness
from scoring.targets import shown_target
from scoring.types import AssessmentResult, UnitScore

SCORE = "0.00"
PCT = "0.0%"
INT = "0"
WHEN = "yyyy-mm-dd hh:mm"
DAY = "yyyy-mm-dd"
SCALE_MAX = 5


class SummaryAnswer(AnswerLike, Protocol):
    """One stored answer (services.assessments.AnswerView fits)."""

    @property
    def question_id(self) -> str: ...
    @property
    def updated_at(self) -> datetime | None: ...
    @property
    def updated_by(self) -> str | None: ...


class SummaryChange(Protocol):
    """One audit-trail entry (services.assessments.AnswerChange fits)."""

    @property
    def at(self) -> datetime: ...
    @property
    def question_id(self) -> str: ...
    @property
    def user(self) -> str | None: ...
    @property
    def source(self) -> str: ...
    @property
    def old(self) -> Mapping[str, Any]: ...
    @property
    def new(self) -> Mapping[str, Any]: ...


class SummaryAction(Protocol):
    """One action of the organisation's plan (services.actions.ActionView fits)."""

    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def question_ids(self) -> tuple[str, ...]: ...
    @property
    def owner_name(self) -> str | None: ...
    @property
    def due_date(self) -> date | None: ...
    @property
    def status(self) -> ActionStatus: ...
    @property
    def notes(self) -> str: ...
    @property
    def drop_reason(self) -> str: ...
    @property
    def completed_at(self) -> datetime | None: ...
    def overdue(self, today: date) -> bool: ...


@dataclass(frozen=True)
class SummaryInfo:
    """Who and what the summary is about (everything the result itself does not carry)."""

    organisation: str
    assessment_id: int
    title: str
    status: AssessmentStatus
    created_at: datetime | None
    updated_at: datetime | None
    submitted_at: datetime | None
    generated_at: datetime
    generated_by: str


def _software() -> str:
    try:
        return f"aigov-maturity {version('aigov-maturity')}"
    except PackageNotFoundError:
        return "aigov-maturity"


class _Writer:
    def __init__(self, q: Questionnaire, result: AssessmentResult, lang: str):
        self.q, self.result, self.lang = q, result, lang
        self.wb = Workbook(write_only=True)
        for style in (
            NamedStyle("sum_title", font=Font(bold=True, size=14)),
            NamedStyle("sum_header", font=Font(bold=True), fill=PatternFill("solid", fgColor="DCE6F1"),
                       alignment=Alignment(wrap_text=True, vertical="center")),
            NamedStyle("sum_label", font=Font(bold=True)),
            NamedStyle("sum_wrap", alignment=Alignment(wrap_text=True, vertical="top")),
        ):
            self.wb.add_named_style(style)
        self.levels = {s.level: q.t(s.name, lang) for s in q.meta.scale}
        # the questionnaire's one rule (Questionnaire.unit_labels): cells "GOV 治理能力"; the scores sheets' name
        # column, which the radar charts take their axes from and which stands beside its own ID column, the name alone
        self.names = q.unit_labels(lang)
        self.axes = q.unit_labels(lang, with_code=False)

    def tr(self, key: str, **values: Any) -> str:
        return t(f"excel.summary.{key}", self.lang, **values)

    def sheet(self, kind: str, widths: Sequence[float]) -> Any:
        ws = write_only_sheet(self.wb, t(f"excel.sheet.{kind}", self.lang))
        for i, width in enumerate(widths):
            ws.column_dimensions[chr(ord("A") + i)].width = width
        return ws

    def cell(self, ws: Any, value: Any, fmt: str | None = None, style: str | None = None) -> Any:
        return write_only_cell(ws, value, number_format=fmt, style=style)

    def header(self, ws: Any, labels: Sequence[str]) -> None:
        ws.append([self.cell(ws, label, style="sum_header") for label in labels])

    def level_name(self, level: int | None) -> str:
        return "" if level is None else self.levels.get(level, str(level))

    def answer_level(self, level: int | None, na: bool | None) -> Any:
        return NA_TEXT if na else level


def _gap(u: UnitScore) -> float | None:
    return None if u.score is None or u.target is None else u.target - u.score


def _yes_no(w: _Writer, value: bool) -> str:
    return t("excel.template.yes" if value else "excel.template.no", w.lang)


# --- sheets -----------------------------------------------------------------------------------------

def _cover(w: _Writer, info: SummaryInfo) -> None:
    q, r = w.q, w.result
    ws = w.sheet("cover", (30, 60, 24))
    ws.append([w.cell(ws, w.tr("title"), style="sum_title")])
    ws.append([])
    preset = q.preset(r.target_preset)
    o = r.overall
    rows: list[tuple[str, Any, str | None, Any]] = [
        ("organisation", info.organisation, None, None),
        ("assessment", info.title or f"#{info.assessment_id}", None, None),
        ("assessment_id", info.assessment_id, INT, None),
        ("status", w.tr(f"status_{info.status}"), None, None),
        ("form", w.tr(f"form_{r.form}"), None, None),
        ("questionnaire", f"{q.t(q.meta.title, w.lang)} — {q.id} {q.version}", None, None),
        ("created_at", info.created_at, WHEN, None),
        ("updated_at", info.updated_at, WHEN, None),
        ("submitted_at", info.submitted_at, WHEN, None),
        ("target_preset", q.t(preset.name, w.lang), None, None),
        ("overall_score", o.score, SCORE, None),
        ("overall_level", o.level, INT, level_text(o.score, o.level, w.levels, w.lang, w.tr("not_scored"))),
        ("overall_target", o.target, SCORE, None),
        ("completeness", o.completeness, PCT, None),
        ("percent_to_target", r.percent_to_target, PCT, None),
        ("applicable", o.applicable, INT, None),
        ("answered", o.answered, INT, None),
        ("na_count", o.na, INT, None),
        ("to_answer", len(r.to_answer), INT, None),
        ("gap_count", len(r.gaps), INT, None),
    ]
    for key, value, fmt, extra in rows:
        if value is None and key in ("overall_score", "overall_level", "overall_target"):
            value, fmt = w.tr("not_scored"), None
        ws.append([w.cell(ws, w.tr(key), style="sum_label"), w.cell(ws, value, fmt),
                   w.cell(ws, extra) if extra is not None else None])
    ws.append([])
    ws.append([w.cell(ws, w.tr("profile"), style="sum_header"), w.cell(ws, "", style="sum_header")])
    for f in q.profile.fields:
        ws.append([w.cell(ws, q.t(f.label, w.lang), style="sum_label"),
                   w.cell(ws, _profile_text(w, f.id, r.profile.get(f.id)))])
    ws.append([])
    ws.append([w.cell(ws, w.tr("generated_at"), style="sum_label"), w.cell(ws, info.generated_at, WHEN)])
    ws.append([w.cell(ws, w.tr("generated_by"), style="sum_label"), w.cell(ws, info.generated_by)])


def _profile_text(w: _Writer, field_id: str, value: Any) -> str:
    f = w.q.profile_field(field_id)
    if value is None:
        return ""
    if f.type == "bool":
        return _yes_no(w, bool(value))
    labels = {o.id: w.q.t(o.label, w.lang) for o in f.options}
    values = value if isinstance(value, list) else [value]
    return t("excel.template.list_sep", w.lang).join(labels.get(str(v), str(v)) for v in values)


UNIT_COLUMNS = ("kind", "unit_id", "name", "score", "target", "gap", "level", "level_name", "applicable",
                "answered", "na_count", "completeness")


def _unit_rows(w: _Writer, ws: Any, kind: str, units: Sequence[UnitScore],
               peer: Mapping[str, float | None] | None) -> None:
    for u in units:
        # Score, target, gap (and peer median) stay numbers or blanks: the radar charts plot them.
        level_name = level_text(u.score, u.level, w.levels, w.lang, w.tr("not_scored"))
        # Principles and stages have internal ids (controllable, rd, …), not ids a reader uses: their name only.
        shown_id = u.id if kind in ("dimension", "subdimension") else None
        row = [w.cell(ws, w.tr(f"kind_{kind}")), w.cell(ws, shown_id), w.cell(ws, w.axes[(kind, u.id)]),
               w.cell(ws, u.score, SCORE), w.cell(ws, shown_target(w.q, w.result, u), SCORE),
               w.cell(ws, _gap(u), SCORE),
               w.cell(ws, u.level, INT), w.cell(ws, level_name), w.cell(ws, u.applicable, INT),
               w.cell(ws, u.answered, INT), w.cell(ws, u.na, INT), w.cell(ws, u.completeness, PCT)]
        if peer is not None:
            row.append(w.cell(ws, peer.get(u.id), SCORE))
        ws.append(row)


def _radar(w: _Writer, ws: Any, title: str, header_row: int, count: int, peer: bool) -> RadarChart:
    chart = RadarChart()
    chart.type = "marker"
    chart.title = title
    chart.height, chart.width = 10, 16
    first, last = header_row, header_row + count
    series_cols = [UNIT_COLUMNS.index("score") + 1, UNIT_COLUMNS.index("target") + 1]
    if peer:
        series_cols.append(len(UNIT_COLUMNS) + 1)
    for c in series_cols:
        chart.add_data(Reference(ws, min_col=c, min_row=first, max_row=last), titles_from_data=True)
    # Series differ in line style and marker, not only colour: current solid with circles,
    # target dashed, peer median dotted with diamonds.
    for series, (dash, symbol) in zip(chart.series, (("solid", "circle"), ("dash", "none"), ("sysDot", "diamond")),
                                      strict=False):
        series.graphicalProperties.line.dashStyle = dash
        series.graphicalProperties.line.width = 22000
        series.marker.symbol = symbol
    name_col = UNIT_COLUMNS.index("name") + 1
    chart.set_categories(Reference(ws, min_col=name_col, min_row=first + 1, max_row=last))
    chart.display_blanks = "gap"  # a unit not scored is a gap in the line, never a point at 0
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = SCALE_MAX
    chart.y_axis.majorUnit = 1
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    return chart


def _units(w: _Writer, peer: Mapping[str, float | None] | None) -> None:
    r = w.result
    widths = (14, 12, 28, 12, 10, 14, 8, 16, 10, 10, 8, 12, 12)
    ws = w.sheet("units", widths)
    labels = [w.tr(c) for c in UNIT_COLUMNS] + ([w.tr("peer_median")] if peer is not None else [])
    ws.freeze_panes = "D2"
    # Dimensions from row 1 (header) to 1 + n; sub-dimensions after one blank row.
    w.header(ws, labels)
    _unit_rows(w, ws, "dimension", r.dimensions, peer)
    ws.append([])
    sub_header = len(r.dimensions) + 3
    w.header(ws, labels)
    _unit_rows(w, ws, "subdimension", r.subdimensions, peer)
    anchor_col = chr(ord("A") + len(labels) + 1)
    ws.add_chart(_radar(w, ws, w.tr("radar_dimensions"), 1, len(r.dimensions), peer is not None), f"{anchor_col}2")
    ws.add_chart(_radar(w, ws, w.tr("radar_subdimensions"), sub_header, len(r.subdimensions), False),
                 f"{anchor_col}24")


def _principles(w: _Writer) -> None:
    r = w.result
    ws = w.sheet("principles", (16, 14, 30, 12, 10, 14, 8, 16, 10, 10, 8, 12))
    labels = [w.tr(c) for c in UNIT_COLUMNS]
    w.header(ws, labels)
    _unit_rows(w, ws, "principle", r.principles, None)
    ws.append([])
    w.header(ws, labels)
    _unit_rows(w, ws, "stage", r.stages, None)


def _gaps(w: _Writer) -> None:
    q, r = w.q, w.result
    ws = w.sheet("gaps", (7, 9, 13, 18, 20, 50, 8, 8, 8, 8, 9, 10, 60))
    ws.freeze_panes = "D2"  # before the first row: a write-only sheet writes its view with it
    w.header(ws, [w.tr(k) for k in ("rank", "band")] + [t(f"excel.col.{k}", w.lang) for k in
                                                         ("id", "dimension", "subdimension", "question")]
             + [w.tr(k) for k in ("level", "target", "gap", "weight", "critical", "priority", "recommendation")])
    _filtered(ws, 13, len(r.gaps))
    if not r.gaps:
        ws.append([None, None, w.cell(ws, w.tr("no_gaps"))])
    for rank, g in enumerate(r.gaps, 1):
        question = q.question(g.question_id)
        recommendation = q.t(g.recommendation, w.lang) if g.recommendation else ""
        ws.append([w.cell(ws, rank, INT), w.cell(ws, w.tr(f"band_{g.band}")), w.cell(ws, g.question_id),
                   w.cell(ws, w.names[("dimension", g.dimension_id)]),
                   w.cell(ws, w.names[("subdimension", g.subdimension_id)]),
                   w.cell(ws, q.t(question.text, w.lang), style="sum_wrap"), w.cell(ws, g.level, INT),
                   w.cell(ws, g.target, SCORE), w.cell(ws, g.gap, SCORE), w.cell(ws, g.weight, SCORE),
                   w.cell(ws, _yes_no(w, g.critical)), w.cell(ws, g.priority, SCORE),
                   w.cell(ws, recommendation, style="sum_wrap")])


def _actions(w: _Writer, actions: Sequence[SummaryAction], today: date) -> None:
    """The organisation's action plan: owners, due dates, statuses; overdue said in words."""
    ws = w.sheet("actions", (6, 50, 18, 16, 12, 16, 9, 17, 40))
    ws.freeze_panes = "C2"  # before the first row: a write-only sheet writes its view with it
    w.header(ws, [t(f"actions.col_{k}", w.lang) for k in ("id", "title", "questions", "owner", "due", "status",
                                                          "overdue", "completed", "notes")])
    _filtered(ws, 9, len(actions))
    if not actions:
        ws.append([None, w.cell(ws, t("actions.empty", w.lang))])
    for a in actions:
        ws.append([w.cell(ws, a.id, INT), w.cell(ws, a.title, style="sum_wrap"), w.cell(ws, ", ".join(a.question_ids)),
                   w.cell(ws, a.owner_name or t("actions.no_owner", w.lang)), w.cell(ws, a.due_date, DAY),
                   w.cell(ws, t(f"actions.status.{a.status}", w.lang)), w.cell(ws, _yes_no(w, a.overdue(today))),
                   w.cell(ws, a.completed_at, WHEN),
                   w.cell(ws, a.drop_reason if a.status == ActionStatus.DROPPED else a.notes, style="sum_wrap")])


def _applies(w: _Writer, question: Any, applicable: set[str]) -> str:
    """"Yes", or why the question was not asked: outside the short form, or not for this profile."""
    if question.id in applicable:
        return _yes_no(w, True)
    if w.result.form == AssessmentForm.CORE and not question.core:
        return w.tr("applies_not_core")
    return w.tr("applies_not_profile")


def _filtered(ws: Any, columns: int, rows: int) -> None:
    """Long sheets: the header row stays in view and every column can be filtered."""
    ws.auto_filter.ref = f"A1:{get_column_letter(columns)}{max(rows, 1) + 1}"


ANSWER_SHEET_COLUMNS = ("id", "dimension", "subdimension", "question", "applies", "level", "level_name",
                        "question_target", "question_weight", "critical", "justification", "note", "changed_at",
                        "updated_by")


def _answers(w: _Writer, answers: Mapping[str, SummaryAnswer]) -> None:
    q, r = w.q, w.result
    ws = w.sheet("all_answers", (13, 16, 18, 55, 8, 9, 14, 9, 9, 8, 36, 36, 17, 14))
    frame = question_frame(q)  # the engine's own weights and per-question targets, not recomputed here
    targets = frame.preset_targets[frame.preset_index(r.target_preset)]
    labels = []
    for key in ANSWER_SHEET_COLUMNS:
        labels.append(t(f"excel.col.{key}", w.lang) if key in ("id", "dimension", "subdimension", "question",
                                                                "level", "justification", "note")
                      else w.tr(key))
    ws.freeze_panes = "B2"  # before the first row: a write-only sheet writes its view with it
    w.header(ws, labels)
    _filtered(ws, len(labels), len(q.questions()))
    applicable = set(r.applicable)
    for d in q.dimensions:
        for s in d.subdimensions:
            for question in s.questions:
                a = answers.get(question.id)
                level = w.answer_level(a.level, a.na) if a is not None else None
                pos = frame.position[question.id]
                ws.append([
                    w.cell(ws, question.id), w.cell(ws, w.names[("dimension", d.id)]),
                    w.cell(ws, w.names[("subdimension", s.id)]), w.cell(ws, q.t(question.text, w.lang), style="sum_wrap"),
                    w.cell(ws, _applies(w, question, applicable)),
                    w.cell(ws, level, INT if isinstance(level, int) else None),
                    w.cell(ws, w.tr("na") if a is not None and a.na else w.level_name(a.level if a else None)),
                    w.cell(ws, float(targets[pos]), SCORE), w.cell(ws, float(frame.weight[pos]), SCORE),
                    w.cell(ws, _yes_no(w, question.critical)),
                    w.cell(ws, a.justification if a else None, style="sum_wrap"),
                    w.cell(ws, a.note if a else None, style="sum_wrap"),
                    w.cell(ws, a.updated_at if a else None, WHEN), w.cell(ws, a.updated_by if a else None),
                ])


def _history(w: _Writer, history: Sequence[SummaryChange]) -> None:
    ws = w.sheet("history", (17, 13, 14, 9, 9, 9, 30, 30, 30, 30))
    def col(key: str) -> str:
        return t(f"excel.col.{key}", w.lang)

    ws.freeze_panes = "A2"  # before the first row: a write-only sheet writes its view with it
    w.header(ws, [w.tr("changed_at"), col("id"), w.tr("updated_by"), w.tr("source"),
                  f"{w.tr('old')}: {col('level')}", f"{w.tr('new')}: {col('level')}",
                  f"{w.tr('old')}: {col('justification')}", f"{w.tr('new')}: {col('justification')}",
                  f"{w.tr('old')}: {col('note')}", f"{w.tr('new')}: {col('note')}"])
    _filtered(ws, 10, len(history))
    for c in history:
        old_level = w.answer_level(c.old.get("level"), c.old.get("na"))
        new_level = w.answer_level(c.new.get("level"), c.new.get("na"))
        ws.append([w.cell(ws, c.at, WHEN), w.cell(ws, c.question_id), w.cell(ws, c.user),
                   w.cell(ws, _source(w, c.source)),
                   w.cell(ws, old_level), w.cell(ws, new_level),
                   w.cell(ws, c.old.get("justification"), style="sum_wrap"),
                   w.cell(ws, c.new.get("justification"), style="sum_wrap"),
                   w.cell(ws, c.old.get("note"), style="sum_wrap"), w.cell(ws, c.new.get("note"), style="sum_wrap")])


def _source(w: _Writer, source: str) -> str:
    """Where a change came from, in words (the app, an Excel import, the command line, …)."""
    key = f"excel.summary.source_{source}"
    return t(key, w.lang) if key in catalog(w.lang) else source


def _readiness(w: _Writer, readiness: Sequence[FrameworkReadiness]) -> None:
    """One block per framework: the summary counts, then every item with its coverage, level and questions."""
    ws = w.sheet("readiness", (16, 60, 16, 10, 22, 60))
    ws.append([w.cell(ws, w.tr("readiness_note"), style="sum_wrap")])
    for fw in readiness:
        s = fw.summary
        ws.append([])
        ws.append([w.cell(ws, w.tr("readiness_framework"), style="sum_label"),
                   w.cell(ws, fw.name.get(w.lang) or fw.name["en"], style="sum_label")])
        for key, value in (("readiness_items", s.items), ("readiness_full", s.covered_fully),
                           ("readiness_partial", s.covered_partly), ("readiness_none", s.not_covered),
                           *((f"readiness_{b}", s.counts[b]) for b in LISTED_BANDS)):
            ws.append([w.cell(ws, w.tr(key)), w.cell(ws, value)])
        ws.append([w.cell(ws, w.tr("readiness_share")), w.cell(ws, s.ready_share, PCT)])
        w.header(ws, [w.tr("readiness_item"), w.tr("readiness_title"), w.tr("readiness_coverage"),
                      w.tr("readiness_level"), w.tr("readiness_band"), w.tr("readiness_questions")])
        for item in fw.items:
            cites = citations_text(item.citations, w.lang)
            coverage = {"full": "readiness_full", "partial": "readiness_partial", "none": "readiness_none"}
            ws.append([w.cell(ws, item.id), w.cell(ws, item.title if w.lang == "zh" else item.title_en, style="sum_wrap"),
                       w.cell(ws, w.tr(coverage[item.coverage])), w.cell(ws, item.level),
                       w.cell(ws, t(readiness_band_key(item.band), w.lang)),
                       w.cell(ws, cites, style="sum_wrap")])


def _metadata(w: _Writer, info: SummaryInfo) -> None:
    q, r = w.q, w.result
    ws = w.sheet("metadata", (28, 90))
    w.header(ws, [w.tr("key"), w.tr("value")])
    rows = [
        ("generator", _software()), ("generated_at", info.generated_at), ("generated_by", info.generated_by),
        ("assessment_id", info.assessment_id), ("questionnaire", f"{q.id} {q.version}"),
        ("language", LANGUAGE_NAMES.get(w.lang, w.lang)), ("target_preset", q.t(q.preset(r.target_preset).name, w.lang)),
        ("form", w.tr(f"form_{r.form}")), ("status", w.tr(f"status_{info.status}")),
        ("scoring_method", w.tr("scoring_method_value")),
        ("precision", w.tr("precision_value")), ("template_hint", w.tr("template_hint_value")),
    ]
    for key, value in rows:
        ws.append([w.cell(ws, w.tr(key), style="sum_label"),
                   w.cell(ws, value, WHEN if isinstance(value, datetime) else None)])


def build_summary(result: AssessmentResult, q: Questionnaire, answers: Mapping[str, SummaryAnswer],
                  info: SummaryInfo, lang: str, *, peer_median: Mapping[str, float | None] | None = None,
                  history: Sequence[SummaryChange] | None = None,
                  readiness: Sequence[FrameworkReadiness] | None = None, actions: Sequence[SummaryAction] | None = None,
                  today: date | None = None) -> bytes:
    """The summary workbook as .xlsx bytes (``peer_median``: per dimension id, when a peer group exists;
    ``readiness``: the framework-readiness view, scoring/readiness.py; ``actions``: the organisation's
    action plan, overdue as of ``today``)."""
    w = _Writer(q, result, lang)
    _cover(w, info)
    _units(w, peer_median)
    _principles(w)
    _gaps(w)
    if actions is not None:
        _actions(w, actions, today or date.today())
    _answers(w, answers)
    if readiness is not None:
        _readiness(w, readiness)
    if history is not None:
        _history(w, history)
    _metadata(w, info)
    out = io.BytesIO()
    w.wb.save(out)
    return out.getvalue()
