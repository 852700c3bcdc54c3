"""The three chart shapes of the results: radar, lifecycle-stage bars and a score trend.

Scores live on the 0–5 maturity scale. ``None`` means "not scored" and is drawn as a gap (the
caller marks the label), never as 0. Colours are the Okabe–Ito colour-blind-safe palette and each
role also has its own dash pattern and marker shape.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import plotly.graph_objects as go

from scoring.display import format_score

T = TypeVar("T")

CJK_FONT = "Noto Sans CJK SC, Noto Sans SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, sans-serif"
MAX_LEVEL = 5


@dataclass(frozen=True)
class SeriesStyle:
    colour: str
    dash: str
    symbol: str
    fill: bool


STYLES: dict[str, SeriesStyle] = {
    "current": SeriesStyle("#0072B2", "solid", "circle", True),
    "target": SeriesStyle("#D55E00", "dash", "diamond", False),
    "peer": SeriesStyle("#009E73", "dot", "square", False),
    "previous": SeriesStyle("#6B6B6B", "dashdot", "triangle-up", False),
}
TREND_STYLES: tuple[SeriesStyle, ...] = (
    SeriesStyle("#000000", "solid", "circle", False),
    SeriesStyle("#0072B2", "dash", "diamond", False),
    SeriesStyle("#D55E00", "dot", "square", False),
    SeriesStyle("#009E73", "dashdot", "triangle-up", False),
    SeriesStyle("#CC79A7", "longdash", "x", False),
    SeriesStyle("#E69F00", "longdashdot", "star", False),
)


def _layout(fig: go.Figure, title: str, height: int, side: int = 48, below: int = 0) -> go.Figure:
    """Common layout; ``below`` is the height (px) of axis labels under the plot that the legend must clear."""
    top, legend = 64 if title else 24, 36
    plot = max(height - top - below - legend, 1)
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left"} if title else None,
        font={"family": CJK_FONT, "size": 13},
        legend={"orientation": "h", "yanchor": "top", "y": -(below + 8) / plot, "xanchor": "center", "x": 0.5},
        margin={"l": side, "r": side, "t": top, "b": below + legend},
        height=height,
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return fig


def _closed(values: Sequence[T]) -> list[T]:
    return [*values, values[0]] if values else []


def _shown(values: Sequence[float | None]) -> list[str]:
    """Values as the app and Excel print them (2.125 → 2.13), for labels and hover text; Plotly's own
    ``:.2f`` rounds the binary value (2.675 → 2.67) and would disagree with the tables."""
    return [format_score(v, "") for v in values]


def radar(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]], *,
          title: str = "", height: int = 460) -> go.Figure:
    """A radar on the 0–5 scale; ``series`` are (role, name, values) with role current|target|peer|previous.

    The polygon is closed by repeating the first point; a ``None`` value leaves a gap in the line.
    """
    # Many axes leave little room between neighbouring labels: wrap them narrower.
    shown = [_wrap(str(x), 12 if len(labels) > 8 else 16) for x in labels]
    theta = _closed(shown)
    fig = go.Figure()
    for role, name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(labels)} labels")
        style = STYLES[role]
        fig.add_trace(go.Scatterpolar(
            r=_closed(list(values)), theta=theta, name=name, mode="lines+markers",
            line={"color": style.colour, "dash": style.dash, "width": 2.5 if role == "current" else 2},
            marker={"symbol": style.symbol, "size": 8, "color": style.colour},
            fill="toself" if style.fill else "none",
            fillcolor="rgba(0,114,178,0.18)" if style.fill else None,
            connectgaps=False,
            customdata=_closed(_shown(values)),
            hovertemplate="%{theta}<br>" + name + ": %{customdata}<extra></extra>",
        ))
    fig.update_layout(polar={
        "radialaxis": {"range": [0, MAX_LEVEL], "dtick": 1, "tickfont": {"size": 11}, "angle": 90,
                       "tickangle": 90},
        "angularaxis": {"direction": "clockwise", "rotation": 90, "tickfont": {"size": 12}},
    })
    return _layout(fig, title, height, **radar_margins(shown))


def radar_margins(shown: Sequence[str]) -> dict[str, int]:
    """Side and bottom margins for a radar's axis labels (as drawn, with ``<br>``), so none is clipped
    and the legend clears the bottom one: room for the longest label (CJK glyphs are wide)."""
    widest = max((_text_width(line) for x in shown for line in x.split("<br>")), default=0.0)
    lines = max((x.count("<br>") + 1 for x in shown), default=1)
    return {"side": int(min(170, 24 + widest)), "below": 12 + 16 * lines}


def _wrap(label: str, width: int = 16) -> str:
    """Break a long Latin label at spaces into lines of about ``width`` characters (CJK stays whole)."""
    if len(label) <= width or " " not in label:
        return label
    lines: list[str] = []
    for word in label.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _text_width(text: str, size: int = 12) -> float:
    """Rough rendered width in pixels: CJK glyphs are square, Latin ones about half as wide."""
    return sum(size if ord(ch) > 0x2E80 else size * 0.55 for ch in text)


def stage_bars(labels: Sequence[str], current: tuple[str, Sequence[float | None]],
               target: tuple[str, Sequence[float | None]] | None = None, *,
               title: str = "", height: int = 320) -> go.Figure:
    """Grouped horizontal bars per lifecycle stage, each bar labelled with its value (two decimals)."""
    fig = go.Figure()
    groups = [("current", current)] + ([("target", target)] if target else [])
    for role, (name, values) in groups:
        style = STYLES[role]
        fig.add_trace(go.Bar(
            y=list(labels), x=list(values), name=name, orientation="h",
            marker={"color": style.colour if role == "current" else "rgba(213,94,0,0.25)",
                    "line": {"color": style.colour, "width": 1.5},
                    "pattern": {"shape": "" if role == "current" else "/"}},
            text=_shown(values), textposition="outside", customdata=_shown(values),
            hovertemplate="%{y}<br>" + name + ": %{customdata}<extra></extra>",
        ))
    fig.update_layout(barmode="group", xaxis={"range": [0, MAX_LEVEL + 0.4], "dtick": 1},
                      yaxis={"autorange": "reversed", "automargin": True})
    return _layout(fig, title, height, below=24)


def trend(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
          title: str = "", height: int = 360) -> go.Figure:
    """Scores across assessments (oldest first): one line per unit, told apart by dash and marker.

    The x labels may be typed by users (round names), and Plotly renders a subset of HTML in chart text,
    ``<a href>`` included: they are HTML-escaped (Plotly shows ``&lt;`` as ``<``), so they stay text.
    """
    x_labels = [html.escape(x, quote=False) for x in x_labels]
    fig = go.Figure()
    for i, (name, values) in enumerate(series):
        style = TREND_STYLES[i % len(TREND_STYLES)]
        fig.add_trace(go.Scatter(
            x=list(x_labels), y=list(values), name=name, mode="lines+markers",
            line={"color": style.colour, "dash": style.dash, "width": 3 if i == 0 else 2},
            marker={"symbol": style.symbol, "size": 9, "color": style.colour},
            customdata=_shown(values),
            hovertemplate="%{x}<br>" + name + ": %{customdata}<extra></extra>",
        ))
    fig.update_layout(yaxis={"range": [0, MAX_LEVEL], "dtick": 1}, xaxis={"type": "category"})
    return _layout(fig, title, height, below=28)
