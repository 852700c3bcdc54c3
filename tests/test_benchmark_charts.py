"""Benchmark figures with hidden statistics: a hidden cell says so, a hidden dimension leaves a gap."""

from __future__ import annotations

from charts.benchmark import band_radar, segment_heatmap

NAMES = {"band": "P25–P75 band", "median": "Median", "p75": "P75", "own": "Own"}
TOO_FEW = "Too few to show"


def test_a_hidden_cell_of_a_shown_segment_reads_too_few_to_show() -> None:
    fig = segment_heatmap(["Finance", "Retail"], ["S1", "S2", "S3"], [[2.0, None, 3.5], [None, None, None]],
                          [False, True], too_few=TOO_FEW, hidden=[[False, True, False], [True, True, True]])
    heat = fig.to_plotly_json()["data"][0]
    assert list(heat["y"]) == ["Finance", f"Retail · {TOO_FEW}"]  # a hidden row is labelled in its name
    assert [list(r) for r in heat["z"]] == [[2.0, None, 3.5], [None, None, None]]
    finance, retail = heat["text"]
    assert finance == ["2.00", "Too few<br>to show", "3.50"]  # the cell's own text, never blank or "not scored"
    assert retail == ["", "", ""]


def test_the_cell_text_is_broken_near_its_middle_in_chinese_too() -> None:
    fig = segment_heatmap(["金融"], ["S1"], [[None]], [False], too_few="样本过少，不予显示", hidden=[[True]])
    assert fig.to_plotly_json()["data"][0]["text"] == [["样本过少，<br>不予显示"]]


def test_band_keeps_the_shown_dimensions_when_one_is_hidden() -> None:
    labels = ["A", "B", "C", "D", "E"]
    fig = band_radar(labels, median=[2, 2, None, 3, 3], p25=[1, 1, None, 2, 2], p75=[3, 3, None, 4, 4], names=NAMES,
                     too_few=TOO_FEW)
    traces = fig.to_plotly_json()["data"]
    bands = [t for t in traces if t["name"] == "P25–P75 band"]
    assert len(bands) == 1 and bands[0]["fill"] == "toself"
    # One run D, E, A, B around the circle (C is hidden): out along P75, back along P25.
    hidden = f"C<br>({TOO_FEW})"
    assert list(bands[0]["theta"]) == ["D", "E", "A", "B", "B", "A", "E", "D"]
    assert list(bands[0]["r"]) == [4, 4, 3, 3, 1, 1, 2, 2]
    median = next(t for t in traces if t["name"] == "Median")
    assert list(median["theta"]) == ["A", "B", hidden, "D", "E", "A"] and median["r"][2] is None


def test_band_with_two_hidden_dimensions_is_two_pieces_with_one_legend_entry() -> None:
    fig = band_radar(["A", "B", "C", "D"], median=[2, None, 2, None], p25=[1, None, 1, None],
                     p75=[3, None, 3, None], names=NAMES)
    bands = [t for t in fig.to_plotly_json()["data"] if t["name"] == "P25–P75 band"]
    assert [list(t["theta"]) for t in bands] == [["C", "C"], ["A", "A"]]
    assert [list(t["r"]) for t in bands] == [[3, 1], [3, 1]]  # each shown axis keeps its P25–P75 as a stroke
    assert all(t["fill"] == "none" and t["line"]["width"] > 0 for t in bands)
    assert [t["showlegend"] for t in bands] == [True, False]


def test_band_is_the_whole_ring_when_nothing_is_hidden_and_absent_when_all_is() -> None:
    whole = band_radar(["A", "B", "C"], median=[2, 2, 2], p25=[1, 1, 1], p75=[3, 3, 3], names=NAMES)
    (band,) = [t for t in whole.to_plotly_json()["data"] if t["name"] == "P25–P75 band"]
    assert list(band["r"]) == [3, 3, 3, 3, 1, 1, 1, 1]
    empty = band_radar(["A", "B"], median=[None, None], p25=[None, None], p75=[None, None], names=NAMES)
    assert [t["name"] for t in empty.to_plotly_json()["data"]] == ["Median"]
