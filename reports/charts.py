"""Report charts as SVG, drawn with matplotlib (no browser, no network, deterministic).

The app's interactive charts are Plotly; turning those into static SVG would need kaleido, which
drives a Chromium process per export (seconds per figure, a browser on every server). matplotlib
draws the same series (same colours, line styles and markers as charts/figures.py, so colour is
never the only signal) in milliseconds, and with ``svg.fonttype = path`` every label, Chinese
included, becomes outlines in the Noto CJK font, so the PDF looks the same wherever it is opened.
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Sequence
from typing import Any

from charts.figures import STYLES

MAX_LEVEL = 5
_DASH = {"solid": "-", "dash": "--", "dot": ":", "dashdot": "-."}
_MARKER = {"circle": "o", "diamond": "D", "square": "s", "triangle-up": "^"}
CJK_FONTS = ["Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans SC", "DejaVu Sans"]


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("svg", force=True)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.fonttype": "path", "font.family": "sans-serif", "font.sans-serif": CJK_FONTS,
                         "axes.unicode_minus": False, "svg.hashsalt": "aigov"})
    return plt


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    _pyplot().close(fig)
    return buf.getvalue()


def _wrap(label: str, width: int = 12) -> str:
    if len(label) <= width:
        return label
    return "\n".join(label[i:i + width] for i in range(0, min(len(label), width * 2), width))


def radar_svg(labels: Sequence[str], series: Sequence[tuple[str, str, Sequence[float | None]]], *,
              title: str = "", size: float = 4.2) -> str:
    """A 0–5 radar; ``series`` are (role, name, values), role as in charts.figures.STYLES; None is a gap."""
    plt = _pyplot()
    n = len(labels)
    angles = [2 * math.pi * i / n for i in range(n)]
    fig = plt.figure(figsize=(size, size))
    ax = fig.add_subplot(polar=True)
    ax.set_theta_offset(math.pi / 2)
    ax.set_theta_direction(-1)
    ax.set_ylim(0, MAX_LEVEL)
    ax.set_yticks(range(1, MAX_LEVEL + 1))
    ax.set_yticklabels([str(i) for i in range(1, MAX_LEVEL + 1)], fontsize=6, color="#666666")
    ax.set_xticks(angles)
    ax.set_xticklabels([_wrap(x) for x in labels], fontsize=7)
    for role, name, values in series:
        style = STYLES[role]
        vals = [math.nan if v is None else float(v) for v in values]
        closed_a, closed_v = [*angles, angles[0]], [*vals, vals[0]]
        ax.plot(closed_a, closed_v, color=style.colour, linestyle=_DASH.get(style.dash, "-"),
                marker=_MARKER.get(style.symbol, "o"), markersize=3.5, linewidth=1.8 if role == "current" else 1.3,
                label=name)
        if style.fill:
            ax.fill(closed_a, [0 if math.isnan(v) else v for v in closed_v], color=style.colour, alpha=0.12)
    if title:
        ax.set_title(title, fontsize=9, pad=14)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(series), fontsize=7, frameon=False)
    return _svg(fig)


def histogram_svg(counts: Sequence[int], edges: Sequence[float], *, title: str = "", xlabel: str = "",
                  ylabel: str = "", marks: Sequence[tuple[str, float]] = ()) -> str:
    """Bars of pre-counted bins (counts come from the service; nothing is counted here)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.6, 2.4))
    widths = [b - a for a, b in itertools.pairwise(edges)]
    ax.bar(edges[:-1], counts, width=widths, align="edge", color="#0072B2", edgecolor="white", alpha=0.85)
    for i, (name, x) in enumerate(marks):
        ax.axvline(x, color="#D55E00", linestyle=["--", ":", "-."][i % 3], linewidth=1.2, label=name)
    if marks:
        ax.legend(fontsize=7, frameon=False)
    ax.set_xlim(0, MAX_LEVEL)
    ax.set_title(title, fontsize=9)
    ax.set_xlabel(xlabel, fontsize=8)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def hbar_svg(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str = "") -> str:
    """Horizontal grouped bars on the 0–5 scale (segment comparison); None bars are left out."""
    plt = _pyplot()
    n, k = len(labels), max(len(series), 1)
    fig, ax = plt.subplots(figsize=(5.6, 0.35 * n * k + 0.9))
    height = 0.8 / k
    hatches = ["", "//", "..", "xx"]
    colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7"]
    for j, (name, values) in enumerate(series):
        ys = [i + j * height for i in range(n)]
        ax.barh(ys, [0 if v is None else v for v in values], height=height, label=name, color=colours[j % 4],
                hatch=hatches[j % 4], edgecolor="white")
    ax.set_yticks([i + height * (k - 1) / 2 for i in range(n)])
    ax.set_yticklabels(labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlim(0, MAX_LEVEL)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)


def box_svg(labels: Sequence[str], quantiles: Sequence[tuple[float | None, ...]], *, title: str = "") -> str:
    """Horizontal boxes from published quantiles (p25, median, p75): the box is the middle half of the
    members, no whiskers (a release publishes no P10/P90, minimum or maximum), nothing recomputed from
    members' scores (there are none here)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5.8, 0.42 * len(labels) + 0.9))
    stats: list[dict[str, Any]] = [{"label": label, "whislo": q[0], "q1": q[0], "med": q[1], "q3": q[2], "whishi": q[2], "fliers": []}
             for label, q in zip(labels, quantiles, strict=True)]
    ax.bxp(stats, orientation="horizontal", showfliers=False, patch_artist=True,
           boxprops={"facecolor": "#cfe3f3", "edgecolor": "#0072B2"}, medianprops={"color": "#D55E00", "linewidth": 2},
           whiskerprops={"color": "#0072B2", "linestyle": "--"}, capprops={"color": "#0072B2"})
    ax.invert_yaxis()
    ax.set_xlim(0, MAX_LEVEL)
    ax.tick_params(labelsize=7)
    ax.set_title(title, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    return _svg(fig)
