"""The management report (管理层报告) of one assessment: words, tables and charts from the service's data.

Sections: cover; executive summary (overall level, the three strongest and weakest sub-dimensions
in words); radar charts; gap list with recommendations; action plan; what changed since the
previous assessment; framework readiness (per framework the summary, then every item a question
covers with the citing questions, their relationship to the item and their level); answers with notes
and evidence file names; method appendix. Every number is
formatted with scoring.display, as the results page formats it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from enums import ActionStatus, AssessmentForm, AssessmentStatus
from i18n import t
from questionnaires import Questionnaire
from reports.charts import radar_svg
from reports.render import html_to_pdf, render_html, svg_uri
from scoring.display import (
    citations_text,
    format_delta,
    format_percent,
    format_score,
    level_text,
    readiness_band_key,
)
from scoring.readiness import LISTED_BANDS, FrameworkReadiness
from scoring.types import AssessmentResult, UnitScore


@dataclass(frozen=True)
class ActionLine:
    id: int
    title: str
    question_ids: tuple[str, ...]
    owner: str | None
    due_date: date | None
    status: ActionStatus
    overdue: bool
    drop_reason: str


@dataclass(frozen=True)
class AnswerLine:
    question_id: str
    level: int | None
    na: bool
    justification: str
    note: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class ChangeLine:
    question_id: str
    from_level: int | None
    from_na: bool
    to_level: int | None
    to_na: bool
    by: str | None
    at: datetime | None


@dataclass(frozen=True)
class UnitChange:
    kind: str
    id: str
    previous: float | None
    current: float | None
    delta: float | None
    change: str


@dataclass(frozen=True)
class ComparisonPart:
    previous_id: int
    previous_submitted_at: datetime | None
    units: tuple[UnitChange, ...]
    changes: tuple[ChangeLine, ...]


@dataclass(frozen=True)
class ManagementReportData:
    lang: str
    organisation: str
    assessment_id: int
    assessment_title: str
    status: AssessmentStatus
    submitted_at: datetime | None
    form: AssessmentForm
    generated_at: datetime
    questionnaire: Questionnaire
    result: AssessmentResult
    strongest: tuple[UnitScore, ...]
    weakest: tuple[UnitScore, ...]
    actions: tuple[ActionLine, ...]
    answers: tuple[AnswerLine, ...]
    comparison: ComparisonPart | None = None
    readiness: tuple[FrameworkReadiness, ...] = ()
    today: date = field(default_factory=date.today)


def _text(value: dict[str, str], lang: str) -> str:
    return value.get(lang) or next(iter(value.values()))


class _Words:
    """Labels in the report's language (one place for the helpers every section uses)."""

    def __init__(self, data: ManagementReportData) -> None:
        self.lang = data.lang
        self.q = data.questionnaire
        self.scale = {s.level: s.name for s in self.q.meta.scale}
        # the questionnaire's one rule (Questionnaire.unit_labels): tables "GOV 治理能力", chart axes the name alone
        overall = {("overall", "overall"): self.t("results.overall")}
        self.names = {**overall, **self.q.unit_labels(self.lang)}
        self.axes = {**overall, **self.q.unit_labels(self.lang, with_code=False)}

    def t(self, key: str, **values: Any) -> str:
        return t(key, self.lang, **values)

    def score(self, x: float | None) -> str:
        return format_score(x, self.t("common.not_scored"))

    def level(self, level: int | None) -> str:
        if level is None:
            return self.t("common.not_scored")
        return f"{level} {_text(self.scale[level], self.lang)}" if level in self.scale else str(level)

    def unit_level(self, u: UnitScore) -> str:
        """A unit's level in the same words as the results page (scoring.display.level_text)."""
        names = {k: _text(v, self.lang) for k, v in self.scale.items()}
        return level_text(u.score, u.level, names, self.lang, self.t("common.not_scored"))

    def answer(self, level: int | None, na: bool) -> str:
        if na:
            return self.t("compare.na")
        return self.t("compare.unanswered") if level is None else self.level(level)

    def time(self, value: datetime | None) -> str:
        return value.strftime("%Y-%m-%d %H:%M UTC") if value else "—"


def _units(w: _Words, units: tuple[UnitScore, ...]) -> list[dict[str, str]]:
    return [{"name": w.names[(u.kind, u.id)], "score": w.score(u.score), "level": w.unit_level(u),
             "target": w.score(u.target), "completeness": format_percent(u.completeness)} for u in units]


def _charts(w: _Words, r: AssessmentResult, comparison: ComparisonPart | None, current_id: int) -> dict[str, str]:
    def radar(units: tuple[UnitScore, ...], title: str) -> str:
        shown = [u for u in units if u.applicable]
        return svg_uri(radar_svg([w.axes[(u.kind, u.id)] for u in shown], [
            ("current", w.t("results.series_current"), [u.score for u in shown]),
            ("target", w.t("results.series_target"), [u.target for u in shown])], title=title))

    charts = {"dimensions": radar(r.dimensions, w.t("results.radar_dimensions")),
              "subdimensions": radar(r.subdimensions, w.t("results.radar_subdimensions")),
              "principles": radar(r.principles, w.t("results.radar_principles"))}
    if comparison is not None:
        dims = [u for u in comparison.units if u.kind == "dimension"]
        charts["comparison"] = svg_uri(radar_svg([w.axes[("dimension", u.id)] for u in dims], [
            ("previous", w.t("compare.series_previous", id=comparison.previous_id), [u.previous for u in dims]),
            ("current", w.t("compare.series_current", id=current_id), [u.current for u in dims])],
            title=w.t("compare.radar")))
    return charts


def _change_text(w: _Words, u: UnitChange) -> str:
    if u.change == "not_comparable":
        return w.t("compare.not_comparable")
    if u.change == "no_change":
        return w.t("compare.no_change")
    return format_delta(u.delta)


_COVERAGE = {"full": "excel.summary.readiness_full", "partial": "excel.summary.readiness_partial",
             "none": "excel.summary.readiness_none"}


def _readiness(w: _Words, frameworks: tuple[FrameworkReadiness, ...]) -> list[dict[str, Any]]:
    """Each framework's summary and the items a question covers (the uncovered ones are only counted: listing
    every NIST subcategory no question cites would bury the rest), with the same words as the results page."""
    out = []
    for fw in frameworks:
        s = fw.summary
        counts = [(w.t("excel.summary.readiness_items"), s.items), (w.t(_COVERAGE["full"]), s.covered_fully),
                  (w.t(_COVERAGE["partial"]), s.covered_partly), (w.t(_COVERAGE["none"]), s.not_covered),
                  *((w.t(readiness_band_key(b)), s.counts[b]) for b in LISTED_BANDS)]
        out.append({"name": _text(fw.name, w.lang), "counts": counts, "share": format_percent(s.ready_share),
                    "rows": [{"id": i.id, "title": i.title if w.lang == "zh" else i.title_en,
                               "coverage": w.t(_COVERAGE[i.coverage]), "level": "—" if i.level is None else i.level,
                               "band": w.t(readiness_band_key(i.band)), "questions": citations_text(i.citations, w.lang)}
                              for i in fw.items if i.coverage != "none"]})
    return out


def context(data: ManagementReportData, *, charts: bool = True) -> dict[str, Any]:
    """Everything the template shows, as text (``charts=False``: the same report without charts)."""
    w = _Words(data)
    r, q = data.result, data.questionnaire
    gaps = []
    for rank, g in enumerate(r.gaps, 1):
        question = q.question(g.question_id)
        advice = g.recommendation or question.recommendations[g.level]  # type: ignore[index]
        gaps.append({"rank": rank, "band": w.t(f"results.band_{g.band}"), "id": g.question_id,
                     "question": _text(question.text, data.lang), "level": g.level, "target": w.score(g.target),
                     "gap": w.score(g.gap), "critical": g.critical, "advice": _text(advice, data.lang)})
    bands = {b: sum(1 for g in r.gaps if g.band == b) for b in ("high", "medium", "low")}
    counts = {s: sum(1 for a in data.actions if a.status == s) for s in ActionStatus}
    answers = [{"id": a.question_id, "question": _text(q.question(a.question_id).text, data.lang),
                "answer": w.answer(a.level, a.na), "justification": a.justification, "note": a.note,
                "evidence": list(a.evidence)} for a in data.answers]
    comparison = None
    if data.comparison is not None:
        c = data.comparison
        comparison = {
            "against": w.t("compare.against", id=c.previous_id, at=w.time(c.previous_submitted_at)),
            "units": [{"name": w.names[(u.kind, u.id)], "previous": w.score(u.previous),
                       "current": w.score(u.current), "change": _change_text(w, u)} for u in c.units],
            "changes": [{"id": x.question_id, "from": w.answer(x.from_level, x.from_na),
                         "to": w.answer(x.to_level, x.to_na), "by": x.by or "—", "at": w.time(x.at)}
                        for x in c.changes],
        }
    preset = q.preset(r.target_preset)
    return {
        "lang": data.lang, "t": w.t,
        "organisation": data.organisation, "title": data.assessment_title or w.t("assessments.untitled"),
        "assessment_id": data.assessment_id,
        "status": w.t(f"reports.status_{data.status}"), "submitted_at": w.time(data.submitted_at),
        "generated_at": w.time(data.generated_at),
        "questionnaire": f"{_text(q.meta.title, data.lang)} · {q.version}",
        "form": w.t("common.core_form") if data.form == AssessmentForm.CORE else w.t("common.full_form"),
        "overall": w.score(r.overall.score), "overall_level": w.unit_level(r.overall),
        "completeness": format_percent(r.completeness), "to_target": format_percent(r.percent_to_target),
        "preset": _text(preset.name, data.lang), "preset_description": _text(preset.description, data.lang),
        "strongest": [f"{w.names[(u.kind, u.id)]} ({w.score(u.score)})" for u in data.strongest],
        "weakest": [f"{w.names[(u.kind, u.id)]} ({w.score(u.score)})" for u in data.weakest],
        "bands": bands, "action_counts": counts,
        "overdue": sum(1 for a in data.actions if a.overdue),
        "dimensions": _units(w, r.dimensions), "subdimensions": _units(w, tuple(u for u in r.subdimensions
                                                                                 if u.applicable)),
        "gaps": gaps,
        "actions": [{"id": a.id, "title": a.title, "questions": ", ".join(a.question_ids),
                     "owner": a.owner or w.t("actions.no_owner"),
                     "due": a.due_date.isoformat() if a.due_date else "—",
                     "status": (w.t("actions.overdue") + " · " if a.overdue else "") + w.t(f"actions.status.{a.status}"),
                     "overdue": a.overdue, "reason": a.drop_reason} for a in data.actions],
        "comparison": comparison,
        "readiness": _readiness(w, data.readiness),
        "answers": answers,
        "scale": [{"level": s.level, "name": _text(s.name, data.lang)} for s in q.meta.scale],
        "charts": _charts(w, r, data.comparison, data.assessment_id) if charts else {},
    }


def management_html(data: ManagementReportData, *, charts: bool = True) -> str:
    return render_html("management.html.j2", **context(data, charts=charts))


def management_pdf(data: ManagementReportData, *, charts: bool = True) -> bytes:
    return html_to_pdf(management_html(data, charts=charts))
