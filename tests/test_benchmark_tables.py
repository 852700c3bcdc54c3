"""The association page and its workbook show the same tables for the same release.

Both outputs format one definition (benchmarking/tables.py). This reads them as their users do — the
page through AppTest, the workbook back with openpyxl — and compares every table cell by cell: the
same headers, the same rows, a cell hidden in one is hidden in the other (with the same words, or in
the workbook's note where a chart needs the cell empty) and every number shows the same digits.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import pandas as pd
import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from benchmarking.statistics import SEGMENT_FIELDS
from benchmarking.tables import (
    Cell,
    Table,
    close_first_table,
    distribution_table,
    gaps_table,
    identified_table,
    position_table,
    segment_table,
    trend_table,
)
from excel import benchmark
from i18n import t
from questionnaires import get_questionnaire
from scoring.display import format_percent, format_score
from services.benchmark_workbooks import benchmark_xlsx
from services.round_dashboard import round_dashboard
from services.rounds import close_round, open_round
from tests.support.apptest import app_test
from tests.support.benchmark_data import Cohort, cohort, profile
from tests.support.releases import dashboard_from_frames, member_from_frames
from tests.test_benchmark_workbook import frames

LANG = "en"
HIDDEN_WORDS = {t("benchmark.too_few", LANG), t("benchmark.count_hidden", LANG), ""}
MISSING_WORDS = {"—", t("common.not_scored", LANG)}  # a value nobody has: an empty cell in the workbook


def _two_rounds(engine: Engine) -> Cohort:
    """An earlier closed round whose last dimension is hidden (three of six scored it), then the current one:
    finance shown with its last dimension hidden, two ICT members (a hidden segment), three identified."""
    c = cohort(engine)
    last = get_questionnaire().dimensions[-1]
    na = tuple(x.id for s in last.subdimensions for x in s.questions)
    for i in range(6):
        c.add(f"Early {i}", profile("finance"))
        c.submit(f"Early {i}", 1 + i % 4, na=na if i < 3 else ())
    close_round(engine, c.admin(), c.round_id)
    c.round_id = open_round(engine, c.admin(), c.association_id, "2027 round", deadline=None).id
    for i in range(3):
        c.add(f"Named {i}", profile("finance"))
        c.submit(f"Named {i}", 1 + i % 4, sharing="identified")
    for i in range(7):
        c.add(f"Quiet {i}", profile("finance", size="medium" if i % 2 else "small"))
        c.submit(f"Quiet {i}", 2 + i % 2, na=na if i < 3 else ())
    for i in range(2):
        c.add(f"ICT {i}", profile("ict", roles=["tech_provider"]))
        c.submit(f"ICT {i}", 3)
    return c


def _page_tables(c: Cohort) -> list[pd.DataFrame]:
    """Every table of the association page for the current round, one segment field after another."""
    at = app_test(c.admin_user_id, lang=LANG).run()
    at.switch_page("app_pages/association.py").run()
    at.selectbox(key="round_pick").set_value(c.round_id).run()
    assert not at.exception, at.exception
    tables = [df.value for df in at.dataframe]
    for field in SEGMENT_FIELDS:
        at.radio(key="heat_field").set_value(field).run()
        assert not at.exception, at.exception
        tables += [df.value for df in at.dataframe]
    ledger = t("benchmark.release.col_seq", LANG)
    unique = {tuple(df.columns): df for df in tables if ledger not in df.columns}  # the ledger is not a release table
    return list(unique.values())


def _shown(cell: Any) -> str:
    """What Excel shows in a cell of the workbook (its number format applied, as scoring.display does)."""
    v = cell.value
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%d")
    if isinstance(v, int | float) and not isinstance(v, bool):
        return {"0.00": format_score, "0.0%": format_percent}.get(cell.number_format, lambda x: str(int(x)))(v)
    return str(v)


def _find(sheets: list[Any], headers: list[str]) -> tuple[Any, int]:
    """The sheet and row where a header row reads exactly ``headers``."""
    for ws in sheets:
        for r in range(1, ws.max_row + 1):
            row = [ws.cell(row=r, column=c).value for c in range(1, len(headers) + 2)]
            if row[:-1] == headers and row[-1] is None:
                return ws, r
    raise AssertionError(f"no workbook table has the page's headers {headers}")


def _compare(page: list[pd.DataFrame], workbook: bytes) -> tuple[list[str], dict[str, int]]:
    """Every difference between the page's tables and the workbook's, and how many of each thing were compared."""
    sheets = list(load_workbook(io.BytesIO(workbook)).worksheets)
    wrong: list[str] = []
    compared = {"tables": 0, "numbers": 0, "hidden": 0, "noted": 0}
    for df in page:
        headers = [str(h) for h in df.columns]
        ws, top = _find(sheets, headers)
        compared["tables"] += 1
        for i, row in enumerate(df.itertuples(index=False), top + 1):
            note = _shown(ws.cell(row=i, column=len(headers) + 1))
            for col, (header, text) in enumerate(zip(headers, row, strict=True), 1):
                cell = ws.cell(row=i, column=col)
                where = f"{ws.title}!{cell.coordinate} ({header}): page {text!r}, workbook {cell.value!r}"
                hidden = text in HIDDEN_WORDS
                if hidden != (cell.style == "bm_hidden"):
                    wrong.append(f"{where}: hidden in one only")
                elif hidden:
                    compared["hidden"] += 1
                    if _shown(cell) == "" and text:  # a charted column: the words stand in the row's note
                        compared["noted"] += 1
                        if text not in note:
                            wrong.append(f"{where}: the words are neither in the cell nor in the note {note!r}")
                    elif _shown(cell) != text:
                        wrong.append(f"{where}: other words")
                elif text in MISSING_WORDS:
                    if cell.value is not None:
                        wrong.append(f"{where}: a value the page does not have")
                elif _shown(cell) != text:
                    wrong.append(f"{where}: shows {_shown(cell)!r}")
                else:
                    compared["numbers"] += isinstance(cell.value, int | float)
        after = ws.cell(row=top + 1 + len(df), column=1).value
        if after is not None:
            wrong.append(f"{ws.title}: a row the page lacks after row {top + len(df)}: {after!r}")
    return wrong, compared


def test_the_page_and_the_workbook_show_the_same_tables(app_db: str, engine: Engine,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    c = _two_rounds(engine)
    stats = round_dashboard(engine, c.admin(), c.round_id).stats
    assert stats is not None and not stats.suppressed and len(stats.trend) == 2 and stats.identified
    page = _page_tables(c)

    wrong, compared = _compare(page, benchmark_xlsx(engine, c.admin(), c.round_id, LANG))
    assert wrong == []
    # distribution, one table per segment field, common gaps, identified members, trend
    assert compared["tables"] == 4 + len(SEGMENT_FIELDS), compared
    assert compared["numbers"] > 50 and compared["hidden"] > 10 and compared["noted"] >= 1, compared

    # The comparison has teeth: a workbook that leaves a hidden cell as a plain empty cell (no words,
    # no grey), as separately written sheets once did, is caught.
    real_cell = benchmark._cell

    def plain_blank(ws: Any, row: int, column: int, cell: Cell) -> None:
        if cell.kind == "hidden":
            ws.put(row, column, None, style="bm_cell")
        else:
            real_cell(ws, row, column, cell)

    monkeypatch.setattr(benchmark, "_cell", plain_blank)
    wrong, _ = _compare(page, benchmark_xlsx(engine, c.admin(), c.round_id, LANG))
    assert any("hidden in one only" in w for w in wrong), wrong


def _all_tables(stats: Any, member: Any) -> list[Table]:
    q = get_questionnaire()
    return [distribution_table(q, stats, LANG), *(segment_table(q, stats, f, LANG) for f in SEGMENT_FIELDS),
            gaps_table(q, stats, LANG), identified_table(q, stats, LANG), trend_table(q, stats, LANG),
            position_table(q, member, LANG), close_first_table(q, member, LANG)]


@pytest.mark.parametrize("n", [4, 12, 40])  # the round hidden; every sector hidden; groups shown
def test_a_hidden_cell_holds_no_number_and_every_row_fits_its_header(n: int) -> None:
    q = get_questionnaire()
    subs, answers = frames(n)
    stats = dashboard_from_frames(q, subs, answers, round_id=1, min_group=5, invited=n,
                                  rounds=[(1, "r", datetime(2026, 3, 1))])
    member = member_from_frames(q, subs, answers, own_assessment_id=2, round_id=1, segment="auto", min_group=5)
    hidden_cells = 0
    for table in _all_tables(stats, member):
        assert len({c.key for c in table.columns}) == len(table.columns)  # a column is found by its key
        for row in table.rows:
            assert len(row) == len(table.columns)
            for cell in row:
                if cell.kind == "hidden":
                    hidden_cells += 1
                    assert cell.value is None and cell.text in HIDDEN_WORDS
                elif cell.kind == "score" and isinstance(cell.value, float | int):
                    assert 0 <= cell.value <= 5 and cell.text == format_score(cell.value)
    assert hidden_cells > 0
    if stats.suppressed:  # nothing of a hidden round is a number, in any of its tables
        shown = distribution_table(q, stats, LANG).rows
        assert all(c.kind in ("text", "hidden") for row in shown for c in row)
