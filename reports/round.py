"""The association's round report (测评轮次报告): what a secretary sends to members unchanged.

Sections: cover; participation; distribution of scores (overall and per dimension, as quantile
boxes: 25th, 50th and 75th percentile of the overall score and each dimension, what a release
publishes; no sub-dimension figure, none is released); comparison by segment; common gaps; trend over
the association's rounds; method and privacy. It words and draws the published figures it is given
and computes none: a group too small to show arrives hidden and reads "too few to show".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from i18n import t
from questionnaires import Questionnaire
from reports.charts import box_svg, hbar_svg
from reports.render import html_to_pdf, render_html, svg_uri
from scoring.display import format_percent, format_score


@dataclass(frozen=True)
class Quantiles:
    """One unit's published distribution over a group (all None when hidden): the release's P25, median
    and P75 (a release publishes no P10, P90, minimum or maximum, so the report has no such column)."""

    count: int | None
    p25: float | None
    median: float | None
    p75: float | None
    hidden: bool


@dataclass(frozen=True)
class SegmentLine:
    field_name: str  # already in the report's language
    value_name: str
    hidden: bool
    units: dict[str, Quantiles]  # "overall" and dimension ids


@dataclass(frozen=True)
class GapLine:
    """A common gap as released: a noisy count of members with the question among their high-priority gaps."""

    question_id: str
    question: str
    members: int
    share: float  # members ÷ the round's submitted members


@dataclass(frozen=True)
class TrendLine:
    round_name: str
    submitted: int
    units: dict[str, Quantiles]


@dataclass(frozen=True)
class RoundReportData:
    lang: str
    association: str
    round_name: str
    round_status: str
    published_at: datetime | None
    generated_at: datetime
    min_group_size: int
    questionnaire: Questionnaire
    invited: int
    submitted: int
    hidden: bool  # the whole round has too few submissions to show anything
    units: dict[str, Quantiles]  # "overall" and dimension ids (a release has no sub-dimension figure)
    segments: tuple[SegmentLine, ...]
    gaps: tuple[GapLine, ...]
    trend: tuple[TrendLine, ...]
    privacy_note: str = ""  # how the figures were protected, from the release (in the report's language)


def _text(value: dict[str, str], lang: str) -> str:
    return value.get(lang) or next(iter(value.values()))


def _names(q: Questionnaire, lang: str) -> dict[str, str]:
    names = {"overall": t("results.overall", lang)}
    for d in q.dimensions:
        names[d.id] = f"{d.id} {_text(d.name, lang)}"
        for s in d.subdimensions:
            names[s.id] = f"{s.id} {_text(s.name, lang)}"
    return names


def _row(name: str, u: Quantiles | None, hidden_text: str) -> dict[str, str]:
    if u is None or u.hidden:
        return {"name": name, "count": hidden_text, "p25": "", "median": "", "p75": ""}
    return {"name": name, "count": str(u.count), "p25": format_score(u.p25), "median": format_score(u.median),
            "p75": format_score(u.p75)}


def _boxes(names: dict[str, str], units: dict[str, Quantiles], ids: Sequence[str], title: str) -> str | None:
    shown = [(names[i], units[i]) for i in ids if i in units and not units[i].hidden and units[i].median is not None]
    if not shown:
        return None
    return svg_uri(box_svg([n for n, _ in shown], [(u.p25, u.median, u.p75) for _, u in shown],
                           title=title))


def context(data: RoundReportData, *, charts: bool = True) -> dict[str, Any]:
    lang, q = data.lang, data.questionnaire
    names = _names(q, lang)
    hidden = t("reports.hidden", lang)
    dims = [d.id for d in q.dimensions]
    seg_fields: dict[str, list[SegmentLine]] = {}
    for seg in data.segments:
        seg_fields.setdefault(seg.field_name, []).append(seg)
    out: dict[str, Any] = {
        "lang": lang, "t": lambda key, **v: t(key, lang, **v),
        "association": data.association, "round_name": data.round_name,
        "round_status": t(f"reports.round_status_{data.round_status}", lang),
        "published_at": data.published_at.strftime("%Y-%m-%d %H:%M UTC") if data.published_at else "—",
        "generated_at": data.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        "k": data.min_group_size, "invited": data.invited, "submitted": data.submitted,
        "share": format_percent(data.submitted / data.invited if data.invited else None),
        "hidden": data.hidden,
        "units": [_row(names[i], data.units.get(i), hidden) for i in ["overall", *dims]],
        "segments": [{"field": f, "rows": [_row(s.value_name, s.units.get("overall"), hidden)
                                           | {"dims": [format_score(s.units[d].median) if d in s.units
                                                       and not s.units[d].hidden else hidden for d in dims]}
                                           for s in rows]}
                     for f, rows in seg_fields.items()],
        "dim_names": [names[d] for d in dims],
        "gaps": [{"id": g.question_id, "question": g.question, "members": g.members,
                  "share": format_percent(g.share)} for g in data.gaps],
        "trend": [{"name": p.round_name, "submitted": p.submitted,
                   "cells": [format_score(p.units[i].median) if i in p.units and not p.units[i].hidden else hidden
                             for i in ["overall", *dims]]} for p in data.trend],
        "trend_heads": [names[i] for i in ["overall", *dims]],
        "privacy_note": data.privacy_note,
        "questionnaire": f"{_text(q.meta.title, lang)} · {q.version}",
        "charts": {},
    }
    if charts and not data.hidden:
        chart_map = {
            "dimensions": _boxes(names, data.units, ["overall", *dims], t("reports.distribution_heading", lang)),
        }
        seg_chart = None
        for f, rows in seg_fields.items():
            shown = [s for s in rows if not s.hidden]
            if shown:
                seg_chart = svg_uri(hbar_svg(
                    [names[d] for d in dims],
                    [(s.value_name, [s.units[d].median if d in s.units and not s.units[d].hidden else None
                                     for d in dims]) for s in shown[:4]],
                    title=f"{t('reports.segment_heading', lang)} · {f}"))
                break
        chart_map["segments"] = seg_chart
        out["charts"] = {k: v for k, v in chart_map.items() if v}
    return out


def round_html(data: RoundReportData, *, charts: bool = True) -> str:
    return render_html("round.html.j2", **context(data, charts=charts))


def round_pdf(data: RoundReportData, *, charts: bool = True) -> bytes:
    return html_to_pdf(round_html(data, charts=charts))
