"""The benchmark workbooks as a reader opens them: native charts on the right cells, suppressed groups
as text with empty cells, formula-like names kept as text, a printable one-page peer comparison."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from openpyxl import load_workbook

from benchmarking.labels import unit_label
from enums import AssessmentStatus, RoundStatus
from excel.benchmark import RoundInfo, benchmark_workbook, peer_workbook
from i18n import t
from questionnaires import get_questionnaire
from tests.support.releases import dashboard_from_frames, member_from_frames

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]
INFO = RoundInfo("长三角联盟", "2026 年度测评", RoundStatus.OPEN, None, Q.id, Q.version, datetime(2026, 7, 1))
HOSTILE = '=HYPERLINK("http://evil.example","x")'


def frames(n: int, *, identified_every: int = 4) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A round of ``n`` submitted members in three sectors; every ``identified_every``-th is identified."""
    rng = np.random.default_rng(7)
    sectors = ["finance", "manufacturing", "retail"]
    sharing = ["identified" if i % identified_every == 0 else "anonymous" for i in range(n)]
    subs = pd.DataFrame({
        "round_id": 1, "assessment_id": np.arange(1, n + 1), "organisation_id": np.arange(1, n + 1),
        "status": "submitted", "sharing": sharing, "form": "full", "target_preset": None,
        "profile": [{"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": sectors[i % 3],
                     "size": "small"} for i in range(n)],
        "submitted_at": pd.Timestamp("2026-06-30"),
        "name": [(HOSTILE if i == 0 else f"实名 {i}") if s == "identified" else None for i, s in enumerate(sharing)],
    })
    answers = pd.DataFrame({"assessment_id": np.repeat(subs["assessment_id"].to_numpy(), len(IDS)),
                            "question_id": np.tile(IDS, n), "level": rng.integers(0, 6, n * len(IDS)).astype(float),
                            "na": False})
    return subs, answers


def charts(data: bytes) -> dict[str, str]:
    """{part name: chart XML} of every native chart in the package."""
    z = zipfile.ZipFile(io.BytesIO(data))
    return {n: z.read(n).decode() for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n)}


def refs(xml: str) -> list[str]:
    return re.findall(r"<(?:c:)?f>([^<]+)</(?:c:)?f>", xml)


def kind(xml: str) -> list[str]:
    """The chart types in a chart part (openpyxl writes the chart namespace as the default one)."""
    return re.findall(r"<(?:c:)?(radarChart|barChart|lineChart)>", xml)


@pytest.fixture(scope="module")
def round_of_40() -> Any:
    subs, answers = frames(40)
    return dashboard_from_frames(Q, subs, answers, round_id=1, min_group=5, invited=45,
                                 rounds=[(1, "2026 年度测评", datetime(2026, 3, 1))])


def test_overview_has_a_native_radar_and_bar_chart_on_the_distribution_table(round_of_40: Any) -> None:
    data = benchmark_workbook(Q, INFO, round_of_40, "zh")
    found = charts(data)
    kinds = sorted(k for xml in found.values() for k in kind(xml))
    assert kinds == ["barChart", "barChart", "radarChart"]  # overview radar + bars, common-gap bars
    radar = next(xml for xml in found.values() if kind(xml) == ["radarChart"])
    wb = load_workbook(io.BytesIO(data))
    ws = wb[t("benchmark.xlsx.sheet_overview", "zh")]
    dims = [d.id for d in Q.dimensions]
    rows = [r for r in range(1, ws.max_row + 1) if str(ws.cell(row=r, column=1).value).split(" ")[0] in dims]
    sheet = f"'{ws.title}'"
    span = f"${rows[0]}:${{}}${rows[-1]}"
    names, p25, median, p75 = (f"{sheet}!${c}{span.format(c)}" for c in "ACDE")
    assert refs(radar) == [names, p25, names, median, names, p75]  # categories, then values, per series
    medians = [ws.cell(row=r, column=4).value for r in rows]
    assert medians == pytest.approx([round_of_40.units[d].median for d in dims], abs=1e-12)
    assert all(ws.cell(row=r, column=4).number_format == "0.00" for r in rows)
    assert ws.freeze_panes == f"A{rows[0] - 1}"


def test_suppressed_groups_are_text_then_empty_cells_everywhere() -> None:
    subs, answers = frames(12)  # 4 per sector: every sector is hidden, the round (12) is shown
    stats = dashboard_from_frames(Q, subs, answers, round_id=1, min_group=5, invited=12,
                                  rounds=[(1, "r", datetime(2026, 3, 1))])
    wb = load_workbook(io.BytesIO(benchmark_workbook(Q, INFO, stats, "en")))
    ws = wb[t("benchmark.xlsx.sheet_segments", "en")]
    finance = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Finance")
    assert ws.cell(row=finance, column=2).value == "Too few to show"
    assert [ws.cell(row=finance, column=c).value for c in range(3, 8)] == [None] * 5  # every unit, blank
    assert ws.cell(row=finance, column=3).style == "bm_hidden"


def test_a_round_too_small_to_show_has_no_charts_and_no_numbers() -> None:
    subs, answers = frames(4)
    stats = dashboard_from_frames(Q, subs, answers, round_id=1, min_group=5, invited=4,
                                  rounds=[(1, "r", datetime(2026, 3, 1))])
    data = benchmark_workbook(Q, INFO, stats, "en")
    assert charts(data) == {}
    ws = load_workbook(io.BytesIO(data))[t("benchmark.xlsx.sheet_overview", "en")]
    scores = [c.value for row in ws.iter_rows(min_col=3, max_col=8) for c in row
              if isinstance(c.value, int | float) and not isinstance(c.value, bool)]
    assert scores == []


def test_names_that_look_like_formulas_stay_text(round_of_40: Any) -> None:
    data = benchmark_workbook(Q, INFO, round_of_40, "en")
    ws = load_workbook(io.BytesIO(data))[t("benchmark.xlsx.sheet_identified", "en")]
    cell = next(c for row in ws.iter_rows(min_col=1, max_col=1) for c in row if c.value == HOSTILE)
    assert cell.data_type == "s" and cell.quotePrefix
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet4.xml").decode()
    assert "<f>" not in xml and "HYPERLINK" in xml


def test_peer_comparison_is_one_printable_page_with_a_radar() -> None:
    subs, answers = frames(40)
    stats = member_from_frames(Q, subs, answers, own_assessment_id=2, round_id=1, segment="auto", min_group=5)
    data = peer_workbook(Q, INFO, HOSTILE, AssessmentStatus.SUBMITTED, stats, 5, "zh")
    [radar] = charts(data).values()
    assert kind(radar) == ["radarChart"] and len(refs(radar)) == 4  # own scores and the peer median
    ws = load_workbook(io.BytesIO(data)).active
    assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 1)
    own = next(c for row in ws.iter_rows(min_col=2, max_col=2) for c in row if str(c.value).startswith(HOSTILE))
    assert own.data_type == "s" and own.quotePrefix


def test_a_hidden_unit_of_a_shown_segment_reads_too_few_to_show() -> None:
    """Finance has 7 members, but 3 of them are N/A on every question of the last dimension: that
    dimension is hidden in the finance row (too few independent members scored on it), which is
    otherwise shown."""
    subs, answers = frames(21)  # 7 per sector
    last = Q.dimensions[-1]
    in_last = {x.id for s in last.subdimensions for x in s.questions}
    finance = subs.loc[[p["sector"] == "finance" for p in subs["profile"]], "assessment_id"].to_list()[:3]
    na = answers["assessment_id"].isin(finance) & answers["question_id"].isin(in_last)
    answers.loc[na, ["level", "na"]] = [np.nan, True]
    stats = dashboard_from_frames(Q, subs, answers, round_id=1, min_group=5, invited=21,
                                  rounds=[(1, "r", datetime(2026, 3, 1))])
    row = next(r for r in stats.segment_rows("sector") if r.value == "finance")
    assert not row.suppressed and row.dist(last.id).suppressed
    ws = load_workbook(io.BytesIO(benchmark_workbook(Q, INFO, stats, "en")))[t("benchmark.xlsx.sheet_segments", "en")]
    top = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=2).value == t("benchmark.stat.count", "en"))
    header = [ws.cell(row=top, column=c).value for c in range(1, ws.max_column + 1)]
    fin = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Finance")
    cells = {h: ws.cell(row=fin, column=c) for c, h in enumerate(header, 1) if h}
    assert 5 <= cells[t("benchmark.stat.count", "en")].value <= 21  # a noisy count, post-processed into range
    hidden = cells[unit_label(Q, last.id, "en")]  # headers name the unit with its code, as every output does
    assert hidden.value == "Too few to show" and hidden.style == "bm_hidden"
    shown = cells[unit_label(Q, Q.dimensions[0].id, "en")].value  # a noisy median: openpyxl reads a whole number such as 1.0 back as int
    assert isinstance(shown, int | float) and not isinstance(shown, bool) and 0 <= shown <= 5
