"""Benchmark figures: quartile boxes, a median radar with its P25–P75 band, a segment heat map.

Every figure is drawn from *published* statistics only (quantiles of groups that passed the
suppression rule), never from individual scores: a Plotly figure ships its data to the browser,
so a box plot fed with raw scores would hand every member's score to whoever opens the page.
Suppressed groups are drawn as text ("too few to show"), never as a value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from charts.figures import MAX_LEVEL, STYLES, _closed, _layout, _shown, _wrap, radar_margins
from scoring.display import format_score

BAND_FILL = "rgba(0,158,115,0.16)"
P75_COLOUR = "#CC79A7"


@dataclass(frozen=True)
class Box:
    """Published quantiles of one unit (None = suppressed)."""

    label: str
    p25: float | None
    median: float | None
    p75: float | None


def quartile_boxes(boxes: Sequence[Box], *, name: str, too_few: str, title: str = "", height: int = 380) -> go.Figure:
    """One box per unit: box P25–P75, line at the median (the quantiles a release publishes; no whiskers)."""
    shown = [b for b in boxes if b.median is not None]
    fig = go.Figure()
    if shown:
        fig.add_trace(go.Box(
            x=[b.label for b in shown], q1=[b.p25 for b in shown], median=[b.median for b in shown],
            q3=[b.p75 for b in shown], lowerfence=[b.p25 for b in shown], upperfence=[b.p75 for b in shown],
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
               show_p75_line: bool = False, too_few: str = "", title: str = "", height: int = 480) -> go.Figure:
    """A radar of the peer median with the P25–P75 band shaded; optionally the member's own scores.

    The band is the ring between the P75 and the P25 polygons. A hidden dimension (no quartiles)
    leaves a gap in it, and in the lines, instead of removing the whole band; with ``too_few`` its
    axis label says why.
    """
    fig = go.Figure()
    hidden = [a is None or b is None for a, b in zip(p25, p75, strict=True)]
    shown = [f"{_wrap(label)}<br>({too_few})" if too_few and gap else _wrap(label)
             for label, gap in zip(labels, hidden, strict=True)]
    theta = _closed(shown)
    for i, (first, last) in enumerate(_runs(hidden)):
        alone = first == last  # a shown axis between two hidden ones: its P25–P75 as a thick radial stroke
        fig.add_trace(go.Scatterpolar(
            **_band(shown, p25, p75, first, last), name=names["band"], mode="lines", fill="none" if alone else "toself",
            fillcolor=BAND_FILL, line={"width": 10, "color": BAND_FILL} if alone else {"width": 0}, hoverinfo="skip",
            legendgroup="band", showlegend=i == 0))
    peer = STYLES["peer"]
    fig.add_trace(go.Scatterpolar(
        r=_closed(list(median)), theta=theta, name=names["median"], mode="lines+markers", connectgaps=False,
        line={"color": peer.colour, "dash": peer.dash, "width": 2.5}, marker={"symbol": peer.symbol, "size": 8},
        customdata=_closed(_shown(list(median))),
            hovertemplate="%{theta}<br>" + names["median"] + ": %{customdata}<extra></extra>"))
    if show_p75_line:
        fig.add_trace(go.Scatterpolar(
            r=_closed(list(p75)), theta=theta, name=names["p75"], mode="lines+markers", connectgaps=False,
            line={"color": P75_COLOUR, "dash": "dash", "width": 2}, marker={"symbol": "diamond", "size": 8},
            customdata=_closed(_shown(list(p75))),
            hovertemplate="%{theta}<br>" + names["p75"] + ": %{customdata}<extra></extra>"))
    if own is not None:
        cur = STYLES["current"]
        fig.add_trace(go.Scatterpolar(
            r=_closed(list(own)), theta=theta, name=names["own"], mode="lines+markers", connectgaps=False,
            line={"color": cur.colour, "width": 3}, marker={"symbol": cur.symbol, "size": 9},
            customdata=_closed(_shown(list(own))),
            hovertemplate="%{theta}<br>" + names["own"] + ": %{customdata}<extra></extra>"))
    fig.update_layout(polar={
        "radialaxis": {"range": [0, MAX_LEVEL], "dtick": 1, "tickfont": {"size": 11}, "angle": 90, "tickangle": 90},
        "angularaxis": {"direction": "clockwise", "rotation": 90, "tickfont": {"size": 12}},
    })
    return _layout(fig, title, height, **radar_margins(shown))  # labels not clipped, legend below them


def _runs(hidden: Sequence[bool]) -> list[tuple[int, int | None]]:
    """Runs of consecutive shown axes around the radar as (first, last) indices; (0, None) = all of them."""
    n = len(hidden)
    if n == 0 or all(hidden):
        return []
    if not any(hidden):
        return [(0, None)]
    start = next(i for i in range(n) if hidden[i])  # walk the circle from a hidden axis
    runs: list[tuple[int, int | None]] = []
    first: int | None = None
    for step in range(1, n + 1):
        i = (start + step) % n
        if not hidden[i] and first is None:
            first = i
        if hidden[i] and first is not None:
            runs.append((first, (i - 1) % n))
            first = None
    return runs


def _band(labels: Sequence[str], p25: Sequence[float | None], p75: Sequence[float | None], first: int,
          last: int | None) -> dict[str, list[Any]]:
    """One closed path: out along P75 over the run of axes, back along P25 (the whole ring if ``last`` is None)."""
    if last is None:
        outer, inner, theta = _closed(list(p75)), _closed(list(p25)), _closed(list(labels))
        return {"r": outer + inner[::-1], "theta": theta + theta[::-1]}
    idx = [first]
    while idx[-1] != last:
        idx.append((idx[-1] + 1) % len(labels))
    return {"r": [p75[i] for i in idx] + [p25[i] for i in reversed(idx)],
            "theta": [labels[i] for i in idx] + [labels[i] for i in reversed(idx)]}


def segment_heatmap(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]],
                    suppressed: Sequence[bool], *, too_few: str, hidden: Sequence[Sequence[bool]] | None = None,
                    title: str = "", height: int | None = None) -> go.Figure:
    """Median per (segment, sub-dimension) on the 0–5 scale.

    A suppressed segment keeps its row, drawn empty on grey with "too few to show" in the row
    label, so the reader sees that the segment exists but is hidden. A hidden cell of a shown row
    (``hidden``: too few of the segment's members scored on that sub-dimension) is grey with the
    text itself, never blank, so it is not mistaken for "not scored".
    """
    cells = hidden or [[False] * len(columns) for _ in rows]
    z = [[None if row_hidden or cell else v for v, cell in zip(row, mask, strict=True)]
         for row, mask, row_hidden in zip(values, cells, suppressed, strict=True)]
    note = _two_lines(too_few)
    text = [["" if row_hidden or (v is None and not cell) else note if cell else format_score(v)
             for v, cell in zip(row, mask, strict=True)]
            for row, mask, row_hidden in zip(values, cells, suppressed, strict=True)]
    labels = [f"{name} · {too_few}" if row_hidden else name for name, row_hidden in zip(rows, suppressed, strict=True)]
    fig = go.Figure(go.Heatmap(
        z=z, x=list(columns), y=labels, text=text, texttemplate="%{text}", zmin=0, zmax=MAX_LEVEL,
        colorscale="RdYlGn", colorbar={"title": {"text": ""}, "dtick": 1}, hoverongaps=False, xgap=2, ygap=2,
        hovertemplate="%{y} · %{x}: %{text}<extra></extra>"))
    fig.update_layout(xaxis={"tickangle": -35, "type": "category"},
                      yaxis={"autorange": "reversed", "type": "category"}, plot_bgcolor="#EDEDED")
    return _layout(fig, title, height or max(260, 120 + 40 * len(rows)))


def _two_lines(text: str) -> str:
    """Break a cell's text near its middle: Plotly sizes every cell's font to fit the longest line."""
    cuts = [i for i, ch in enumerate(text) if ch in " ，,"]
    if not cuts:
        return text
    i = min(cuts, key=lambda c: abs(c - len(text) / 2))
    return f"{text[:i + 1].rstrip()}<br>{text[i + 1:].lstrip()}"
