"""Every cell a native chart plots is a number or empty, in every workbook we export.

Excel draws a text in a chart series as 0 and leaves a gap for an empty cell, so a unit that is not
scored, or a group too small to show, must be an empty cell wherever a chart reads it, with its
words somewhere the chart does not look. Read back from the saved files (chart XML and cells).
"""

from __future__ import annotations

import io
from datetime import datetime

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from enums import AssessmentStatus, RoundStatus
from excel.benchmark import RoundInfo, benchmark_workbook, peer_workbook
from i18n import t
from questionnaires import get_questionnaire
from tests.support.excel_workbooks import chart_series_cells, plotted_text
from tests.support.releases import dashboard_from_frames, member_from_frames

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]
INFO = RoundInfo("长三角联盟", "2026 年度测评", RoundStatus.OPEN, None, Q.id, Q.version, datetime(2026, 7, 1))
ROUNDS = [(1, "2025", datetime(2025, 3, 1)), (2, "2026", datetime(2026, 3, 1))]


def _round(sizes: dict[int, int], *, skip_dimension_of: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Submissions per round ({round id: members}); member ``skip_dimension_of`` leaves the 2nd dimension blank."""
    rng = np.random.default_rng(11)
    rows = []
    for rid, n in sizes.items():
        for i in range(n):
            aid = rid * 1000 + i
            rows.append({"round_id": rid, "assessment_id": aid, "organisation_id": i + 1, "status": "submitted",
                         "sharing": "anonymous", "form": "full", "target_preset": None,
                         "profile": {"ai_roles": ["user"], "genai_public": False, "high_impact": False,
                                     "sector": ("finance", "retail")[i % 2], "size": "small"},
                         "submitted_at": pd.Timestamp(f"{2024 + rid}-06-30"), "name": None})
    subs = pd.DataFrame(rows)
    skipped = {x.id for s in Q.dimensions[1].subdimensions for x in s.questions}
    answers = pd.DataFrame(
        [(aid, qid, float(rng.integers(0, 6)), False) for aid in subs["assessment_id"] for qid in IDS
         if not (aid == skip_dimension_of and qid in skipped)],
        columns=["assessment_id", "question_id", "level", "na"])
    return subs, answers


def test_round_workbook_charts_plot_only_numbers_and_gaps() -> None:
    # Round 2025 had 3 submissions (below the smallest group of 5): its trend point is suppressed.
    subs, answers = _round({1: 3, 2: 40})
    stats = dashboard_from_frames(Q, subs, answers, round_id=2, min_group=5, invited=45, rounds=ROUNDS)
    assert stats.trend[0].units["overall"].suppressed and not stats.trend[1].units["overall"].suppressed
    data = benchmark_workbook(Q, INFO, stats, "en")
    plotted = chart_series_cells(data)
    assert len({part for part, *_ in plotted}) == 4  # overview radar and bars, common gaps, trend
    assert plotted_text(data) == []
    ws = load_workbook(io.BytesIO(data))[t("benchmark.xlsx.sheet_trend", "en")]
    units = 1 + len(Q.dimensions)
    row = next(r for r in range(5, ws.max_row + 1) if ws.cell(row=r, column=1).value == "2025")
    assert [ws.cell(row=row, column=c).value for c in range(3, 3 + units)] == [None] * units
    assert ws.cell(row=row, column=3).style == "bm_hidden"
    assert ws.cell(row=row, column=3 + units).value == "Too few to show"  # beside the charted columns
    trend_cells = {cell for part, ref, cell, _ in plotted if "Trend" in ref}
    assert f"C{row}" in trend_cells and f"{ws.cell(row=row, column=3 + units).column_letter}{row}" not in trend_cells


def test_peer_workbook_radar_leaves_a_gap_for_an_unscored_dimension() -> None:
    own = 2000
    subs, answers = _round({2: 40}, skip_dimension_of=own)
    stats = member_from_frames(Q, subs, answers, own_assessment_id=own, round_id=2, segment="all", min_group=5)
    assert stats.own[Q.dimensions[1].id] is None and not stats.suppressed
    data = peer_workbook(Q, INFO, "本组织", AssessmentStatus.SUBMITTED, stats, 5, "zh")
    plotted = chart_series_cells(data)
    assert plotted and plotted_text(data) == []
    assert any(value is None for _, ref, cell, value in plotted if cell.startswith("B"))  # own score: a gap
