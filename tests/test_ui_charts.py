"""The chart builders (charts/): shapes, scales, not-scored gaps, and series told apart without colour."""

from __future__ import annotations

import pytest

from charts import radar, stage_bars, trend
from charts.figures import CJK_FONT, MAX_LEVEL


def test_radar_closes_the_polygon_and_keeps_not_scored_as_a_gap() -> None:
    fig = radar(["治理", "识别", "评估", "应对"], [("current", "当前", [2.5, None, 3.0, 1.25]),
                                                 ("target", "目标", [3, 3, 3, 3]),
                                                 ("peer", "同业中位数", [2, 2.5, None, 2])])
    current, target, peer = fig.data
    assert list(current.theta) == ["治理", "识别", "评估", "应对", "治理"]
    assert list(current.r) == [2.5, None, 3.0, 1.25, 2.5]
    assert not current.connectgaps  # a missing score is a gap in the line, never drawn as 0
    assert [t.name for t in fig.data] == ["当前", "目标", "同业中位数"]
    assert list(fig.layout.polar.radialaxis.range) == [0, MAX_LEVEL]
    assert len({t.line.dash for t in fig.data}) == 3
    assert len({t.marker.symbol for t in fig.data}) == 3
    assert current.fill == "toself" and target.fill == "none" and peer.fill == "none"
    assert fig.layout.font.family == CJK_FONT


def test_radar_leaves_room_for_long_axis_labels() -> None:
    short = radar(["A", "B", "C"], [("current", "x", [1, 2, 3])])
    long = radar(["事件响应与应急", "B", "C"], [("current", "x", [1, 2, 3])])
    assert long.layout.margin.l > short.layout.margin.l


def test_radar_wraps_long_latin_labels_but_not_chinese_ones() -> None:
    fig = radar(["Transparent and explainable", "可控可靠", "Privacy"], [("current", "x", [1, 2, 3])])
    assert list(fig.data[0].theta)[:3] == ["Transparent and<br>explainable", "可控可靠", "Privacy"]


def test_radar_refuses_series_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="3 values for 4 labels"):
        radar(["a", "b", "c", "d"], [("current", "now", [1, 2, 3])])


def test_stage_bars_label_each_bar_and_pattern_the_target() -> None:
    fig = stage_bars(["研发", "部署", "应用"], ("当前", [2.345, None, 4.0]), ("目标", [3, 3, 3.5]))
    current, target = fig.data
    assert list(current.text) == ["2.35", "", "4.00"]
    assert list(target.text) == ["3.00", "3.00", "3.50"]
    assert current.marker.pattern.shape != target.marker.pattern.shape
    assert fig.layout.barmode == "group"


def test_trend_draws_one_distinct_line_per_unit() -> None:
    fig = trend(["#1", "#2", "#3"], [("总体", [1.0, 1.5, 2.0]), ("GOV", [1.2, None, 2.2]), ("IDE", [0.5, 1, 1.5])])
    assert [list(t.y) for t in fig.data] == [[1.0, 1.5, 2.0], [1.2, None, 2.2], [0.5, 1, 1.5]]
    assert list(fig.data[0].x) == ["#1", "#2", "#3"]
    assert len({(t.line.dash, t.marker.symbol) for t in fig.data}) == 3
    assert list(fig.layout.yaxis.range) == [0, MAX_LEVEL]


def test_labels_and_hover_text_round_like_the_tables_and_excel() -> None:
    """2.125 and 2.675 are shown 2.13 and 2.68 everywhere (Plotly's own :.2f would show 2.12 and 2.67)."""
    fig = radar(["A", "B", "C"], [("current", "现状", [2.125, 2.675, None])])
    assert list(fig.data[0].customdata) == ["2.13", "2.68", "", "2.13"]
    assert "%{customdata}" in fig.data[0].hovertemplate and ":.2f" not in fig.data[0].hovertemplate
    bars = stage_bars(["研发", "部署"], ("现状", [2.125, None]))
    assert list(bars.data[0].text) == ["2.13", ""] == list(bars.data[0].customdata)
    lines = trend(["2025", "2026"], [("总体", [2.675, 3.0])])
    assert list(lines.data[0].customdata) == ["2.68", "3.00"]
