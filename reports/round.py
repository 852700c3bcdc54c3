"""The association's round report (测评轮次报告): what a secretary sends to members unchanged.

Sections: cover; participation; distribution of scores (overall and per dimension, as quantile
boxes: 25th, 50th and 75th percentile of the overall score and each dimension, what a release
publishes; no sub-dimension figure, none is released); comparison by segment; common gaps; trend over
the association's rounds; method and privacy. It words and draws the published figures it is given
and computes none: its tables are the dashboard's (benchmarking/tables.py), so a group too small to
show arrives hidden and reads "too few to show" exactly as on the page and in the workbook.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from benchmarking.labels import unit_label
from benchmarking.tables import Cell, Table
from enums import RoundStatus
from i18n import t
from questionnaires import Questionnaire
from reports.charts import box_svg, hbar_svg
from reports.render import html_to_pdf, render_html, svg_uri
from scoring.display import format_percent


@dataclass(frozen=True)
class RoundReportData:
    """The round's facts and its tables as the dashboard defines them (benchmarking/tables.py).

    The tables are the dashboard's own, so the report cannot show a figure, a header or a hidden cell
    differently; the charts draw the numbers of those same cells.
    """

    lang: str
    association: str
    round_name: str
    round_status: RoundStatus
    published_at: datetime | None
    generated_at: datetime
    min_group_size: int
    questionnaire: Questionnaire
    invited: int
    submitted: int
    hidden: bool  # the whole round has too few submissions to show anything
    distribution: Table  # overall and each dimension (a release has no sub-dimension figure)
    segments: tuple[Table, ...]  # one per segment field
    gaps: Table
    trend: Table
    privacy_note: str = ""  # how the figures were protected, from the release (in the report's language)


def _text(value: dict[str, str], lang: str) -> str:
    return value.get(lang) or next(iter(value.values()))


def _scores(row: Sequence[Cell]) -> list[float | None]:
    """The numbers of a row's score cells as a chart plots them: a hidden or missing one is a gap."""
    return [c.value if c.kind == "score" and isinstance(c.value, float | int) else None for c in row]


def _boxes(table: Table, axes: dict[str, str], title: str) -> str | None:
    """Quantile boxes of the distribution table's shown rows; ``axes`` turns a row's label into its axis name."""
    at = [table.index(k) for k in ("benchmark.stat.p25", "benchmark.stat.median", "benchmark.stat.p75")]
    shown = [(axes.get(row[0].text, row[0].text), _scores([row[i] for i in at])) for row in table.rows]
    shown = [(name, q) for name, q in shown if q[1] is not None]
    if not shown:
        return None
    return svg_uri(box_svg([n for n, _ in shown], [(q[0], q[1], q[2]) for _, q in shown], title=title))


def _segment_bars(tables: Sequence[Table], dims: Sequence[str], axes: dict[str, str], title: str) -> str | None:
    """The dimension medians of the first segment field with shown groups (at most four of them)."""
    for table in tables:
        at = [table.index(d) for d in dims]
        shown = [(row[0].text, _scores([row[i] for i in at])) for row in table.rows]
        shown = [(name, v) for name, v in shown if any(x is not None for x in v)]  # a hidden group has none
        if shown:
            return svg_uri(hbar_svg([axes[table.columns[i].key] for i in at], shown[:4],
                                    title=f"{title} · {table.columns[0].title}"))
    return None


def context(data: RoundReportData, *, charts: bool = True) -> dict[str, Any]:
    lang, q = data.lang, data.questionnaire
    out: dict[str, Any] = {
        "lang": lang, "t": lambda key, **v: t(key, lang, **v),
        "association": data.association, "round_name": data.round_name,
        "round_status": t(f"reports.round_status_{data.round_status}", lang),
        "published_at": data.published_at.strftime("%Y-%m-%d %H:%M UTC") if data.published_at else "—",
        "generated_at": data.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        "k": data.min_group_size, "invited": data.invited, "submitted": data.submitted,
        "share": format_percent(data.submitted / data.invited if data.invited else None),
        "hidden": data.hidden,
        "distribution": data.distribution, "segments": data.segments, "gaps": data.gaps, "trend": data.trend,
        "privacy_note": data.privacy_note,
        "questionnaire": f"{_text(q.meta.title, lang)} · {q.version}",
        "charts": {},
    }
    if charts and not data.hidden:
        dims = [d.id for d in q.dimensions]
        # the tables name a unit "GOV 治理能力", a chart axis the name alone (the rule in Questionnaire.unit_labels)
        by_id = {u: unit_label(q, u, lang, with_code=False) for u in ("overall", *dims)}
        by_label = {unit_label(q, u, lang): name for u, name in by_id.items()}
        chart_map = {
            "dimensions": _boxes(data.distribution, by_label, t("reports.distribution_heading", lang)),
            "segments": _segment_bars(data.segments, dims, by_id, t("reports.segment_heading", lang)),
        }
        out["charts"] = {k: v for k, v in chart_map.items() if v}
    return out


def round_html(data: RoundReportData, *, charts: bool = True) -> str:
    return render_html("round.html.j2", **context(data, charts=charts))


def round_pdf(data: RoundReportData, *, charts: bool = True) -> bytes:
    return html_to_pdf(round_html(data, charts=charts))
