"""Benchmark figures: quartile boxes, a median radar with its P25–P75 band, a segment heat map.

Every figure is drawn from *published* statistics only (quantiles of groups that passed the
suppression rule), never from individual scores: a Plotly figure ships its data to the browser,
so a box plot fed with raw scores would hand every member's score to whoever opens the page.
Suppressed groups are drawn as text ("too few to show"), never as a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go

from charts.figures import MAX_LEVEL, STYLES, _closed, _layout

BAND_FILL = "rgba(0,158,115,0.16)"
P75_COLOUR = "#CC79A7"


@dataclass(frozen=True)
class Box:
    """Published quantiles of one unit (None = suppressed)."""

    label: str
    p10: float | None
    p25: float | None
    median: float | None
    p75: float | None
    p90: float | None


def quartile_boxes(boxes: Sequence[Box], *, name: str, too_few: str, title: str = "", height: int = 380) -> go.Figure:
    """One box per unit: box P25–P75, line at the median, whiskers P10–P90 (no minimum or maximum)."""
    shown = [b for b in boxes if b.median is not None]
    fig = go.Figure()
    if shown:
        fig.add_trace(go.Box(
            x=[b.label for b in shown], q1=[b.p25 for b in shown], median=[b.median for b in shown],
            q3=[b.p75 for b in shown], lowerfence=[b.p10 for b in shown], upperfence=[b.p90 for b in shown],
            name=name, marker={"color": STYLES["current"].colour}, fillcolor="rgba(0,114,178,0.25)",
            boxpoints=False, hoverinfo="x+y",
        ))
    for b in boxes:
        if b.median is None:
            fig.add_annotation(x=b.label, y=MAX_LEVEL / 2, text=too_few, showarrow=False, textangle=-90,
                               font={"color": "#666666"})
            fig.add_trace(go.Scatter(x=[b.label], y=[None], showlegend=False, hoverinfo="skip"))
    fig.update_layout(yaxis={"range": [0, MAX_LEVEL], "dtick": 1}, xaxis={"type": "category"}, showlegend=False)
    return _layout(fig, title, height)


def band_radar(labels: Sequence[str], *, median: Sequence[float | None], p25: Sequence[float | None],
               p75: Sequence[float | None], names: dict[str, str], own: Sequence[float | None] | None = None,
               show_p75_line: bool = False, title: str = "", height: int = 480) -> go.Figure:
    """A radar of the peer median with the P25–P75 band shaded; optionally the member's own scores.

    The band is one closed path: around the P75 polygon, then back around the P25 polygon in
    reverse, so the fill is the ring between them.
    """
    fig = go.Figure()
    theta = _closed(list(labels))
    if all(v is not None for v in (*p25, *p75)) and labels:
        outer, inner = _closed(list(p75)), _closed(list(p25))
        fig.add_trace(go.Scatterpolar(
            r=outer + inner[::-1], theta=theta + theta[::-1], name=names["band"], mode="lines",
            fill="toself", fillcolor=BAND_FILL, line={"width": 0}, hoverinfo="skip"))
    peer = STYLES["peer"]
    fig.add_trace(go.Scatterpolar(
        r=_closed(list(median)), theta=theta, name=names["median"], mode="lines+markers", connectgaps=False,
        line={"color": peer.colour, "dash": peer.dash, "width": 2.5}, marker={"symbol": peer.symbol, "size": 8},
        hovertemplate="%{theta}<br>" + names["median"] + ": %{r:.2f}<extra></extra>"))
    if show_p75_line:
        fig.add_trace(go.Scatterpolar(
            r=_closed(list(p75)), theta=theta, name=names["p75"], mode="lines+markers", connectgaps=False,
            line={"color": P75_COLOUR, "dash": "dash", "width": 2}, marker={"symbol": "diamond", "size": 8},
            hovertemplate="%{theta}<br>" + names["p75"] + ": %{r:.2f}<extra></extra>"))
    if own is not None:
        cur = STYLES["current"]
        fig.add_trace(go.Scatterpolar(
            r=_closed(list(own)), theta=theta, name=names["own"], mode="lines+markers", connectgaps=False,
            line={"color": cur.colour, "width": 3}, marker={"symbol": cur.symbol, "size": 9},
            hovertemplate="%{theta}<br>" + names["own"] + ": %{r:.2f}<extra></extra>"))
    fig.update_layout(polar={
        "radialaxis": {"range": [0, MAX_LEVEL], "dtick": 1, "tickfont": {"size": 11}, "angle": 90, "tickangle": 90},
        "angularaxis": {"direction": "clockwise", "rotation": 90, "tickfont": {"size": 12}},
    })
    return _layout(fig, title, height)


def segment_heatmap(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]],
                    suppressed: Sequence[bool], *, too_few: str, title: str = "", height: int | None = None) -> go.Figure:
    """Median per (segment, sub-dimension) on the 0–5 scale.

    A suppressed segment keeps its row, drawn empty on grey with "too few to show" in the row
    label, so the reader sees that the segment exists but is hidden.
    """
    z = [[None if hidden else v for v in row] for row, hidden in zip(values, suppressed, strict=True)]
    text = [["" if hidden or v is None else f"{v:.2f}" for v in row] for row, hidden in zip(values, suppressed, strict=True)]
    labels = [f"{name} · {too_few}" if hidden else name for name, hidden in zip(rows, suppressed, strict=True)]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(columns), y=labels, text=text, texttemplate="%{text}", zmin=0, zmax=MAX_LEVEL,
        colorscale="RdYlGn", colorbar={"title": {"text": ""}, "dtick": 1}, hoverongaps=False, xgap=2, ygap=2,
        hovertemplate="%{y} · %{x}: %{z:.2f}<extra></extra>"))
    fig.update_layout(xaxis={"tickangle": -35, "type": "category"},
                      yaxis={"autorange": "reversed", "type": "category"}, plot_bgcolor="#EDEDED")
    return _layout(fig, title, height or max(260, 120 + 40 * len(rows)))
