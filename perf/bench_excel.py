"""Excel performance measurements (issue 6): import of 200 filled templates and export of a 1,000-organisation workbook.

* **Import**: ``excel.reader.read_template`` (zip inspection, defusedxml parse, every check of
  docs/excel.md) on 200 distinct filled templates, against bare openpyxl ``read_only`` reading
  the same three sheets' values. Goal: within 2×.
* **Benchmark workbook export**: ``excel.benchmark.benchmark_workbook`` for a round of 1,000
  organisations (all identified, so the member table has 1,000 rows), against bare openpyxl
  ``write_only`` writing the same cell values, sheet by sheet. Goal: within 2×.
* Also reported, without a goal: the summary workbook of one assessment, and the full database
  import (validation + one transaction) of the 200 files into SQLite.
"""

from __future__ import annotations

import io
import random
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook, load_workbook

from enums import AssessmentStatus, RoundStatus
from excel.contract import META_SHEET, NAME_ROW, sheet_name
from excel.reader import read_template
from excel.summary import SummaryInfo, build_summary
from excel.template import build_template
from perf import best_of
from questionnaires import get_questionnaire
from scoring import AnswerInput, score_assessment

N_FILES = 200
N_ORGS = 1_000
SEED = 6


def _paired(fn: Callable[[], object], baseline: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best wall-clock seconds of ``fn`` and ``baseline``, run alternately so that load from other jobs on
    the machine falls on both alike (``perf.best_of`` runs one after the other)."""
    best = [float("inf"), float("inf")]
    for _ in range(repeat):
        for i, f in enumerate((fn, baseline)):
            start = time.perf_counter()
            f()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def _filled_templates(n: int) -> list[bytes]:
    """``n`` different filled templates (levels, N/A with justification, notes), as users return them."""
    q = get_questionnaire()
    rng = random.Random(SEED)
    blank = build_template(q, "zh")
    files = []
    for i in range(n):
        wb = load_workbook(io.BytesIO(blank))
        ws = wb[sheet_name("answers", "zh")]
        for r in range(2, ws.max_row + 1):
            if rng.random() < 0.06:
                ws.cell(row=r, column=6).value = "N/A"
                ws.cell(row=r, column=7).value = f"不适用：第 {i} 家组织不涉及该环节"
            else:
                ws.cell(row=r, column=6).value = rng.randint(0, 5)
                if rng.random() < 0.4:
                    ws.cell(row=r, column=8).value = f"证据：制度文件 v{rng.randint(1, 9)}，记录 {rng.randint(1, 999)}"
        profile = wb[sheet_name("profile", "zh")]
        for r in range(2, profile.max_row + 1):
            fid = profile.cell(row=r, column=1).value
            if fid == NAME_ROW:
                profile.cell(row=r, column=4).value = f"成员企业 {i:04d}"
                continue
            f = q.profile_field(str(fid))
            profile.cell(row=r, column=4).value = (
                rng.choice([o.label["zh"] for o in f.options]) if f.type == "single" else rng.choice(["是", "否"]))
        out = io.BytesIO()
        wb.save(out)
        files.append(out.getvalue())
    return files


def _bare_read(files: list[bytes]) -> None:
    names = (sheet_name("answers", "zh"), sheet_name("profile", "zh"), META_SHEET)
    for data in files:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
        for name in names:
            for _ in wb[name].iter_rows(values_only=True):
                pass
        wb.close()


def _read_all(files: list[bytes]) -> None:
    for data in files:
        read_template(data)


def _cells(data: bytes) -> list[tuple[str, list[list[Any]]]]:
    wb = load_workbook(io.BytesIO(data))
    return [(ws.title, [list(row) for row in ws.iter_rows(values_only=True)]) for ws in wb.worksheets]


def _bare_write(sheets: list[tuple[str, list[list[Any]]]]) -> bytes:
    wb = Workbook(write_only=True)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _round_stats() -> tuple[Any, Any]:
    """DashboardStats of a synthetic round of N_ORGS organisations, one in ten identified and the others
    anonymous and independent, as a real round is (computed once, not timed)."""
    from benchmarking.statistics import (
        dashboard_view,
        identified_rows,
        latest_submissions,
        participation,
        release_cohort,
        trend_point,
    )
    from excel.benchmark import RoundInfo
    from privacy.release import build_release

    q = get_questionnaire()
    rng = np.random.default_rng(SEED)
    sectors = [o.id for o in q.profile_field("sector").options]
    sizes = [o.id for o in q.profile_field("size").options]
    roles = [o.id for o in q.profile_field("ai_roles").options]
    subs = pd.DataFrame({
        "round_id": 1, "assessment_id": np.arange(1, N_ORGS + 1), "organisation_id": np.arange(1, N_ORGS + 1),
        "status": "submitted", "form": "full", "target_preset": None,
        "sharing": ["identified" if i % 10 == 0 else "anonymous" for i in range(N_ORGS)],
        "profile": [{"ai_roles": [roles[i % 3]], "genai_public": bool(i % 2), "high_impact": bool(i % 5 == 0),
                     "sector": sectors[i % len(sectors)], "size": sizes[i % len(sizes)]} for i in range(N_ORGS)],
        "submitted_at": pd.Timestamp("2025-06-30"), "name": [f"成员企业 {i:04d}" for i in range(N_ORGS)],
    })
    ids = [x.id for x in q.questions()]
    answers = pd.DataFrame({
        "assessment_id": np.repeat(subs["assessment_id"].to_numpy(), len(ids)),
        "question_id": np.tile(ids, N_ORGS),
        "level": rng.integers(0, 6, N_ORGS * len(ids)).astype(float),
        "na": False,
    })
    # A release as services/releases.py computes it: statistics over the independent anonymous
    # members (every table and chart shown), identified members by name.
    latest = latest_submissions(subs)
    cohort, scored, scores = release_cohort(q, latest, answers, ())
    release = build_release(cohort, epsilon=2.0, min_group=5)
    units = ("overall", *(d.id for d in q.dimensions))
    stats = dashboard_view(q, release, participation(subs, 1, N_ORGS), identified_rows(q, latest, scored, scores),
                           [trend_point(1, "2025 年度测评", datetime(2025, 3, 1), release, units)], None)
    info = RoundInfo("长三角人工智能产业联盟", "2025 年度测评", RoundStatus.CLOSED, datetime(2025, 6, 30), q.id, q.version,
                     datetime(2025, 7, 1))
    return info, stats


def _summary_inputs() -> tuple[Any, ...]:
    q = get_questionnaire()
    rng = random.Random(SEED)
    answers = {x.id: AnswerInput(level=rng.randint(0, 5)) for x in q.questions()}
    result = score_assessment(q, q.default_profile(), answers)
    info = SummaryInfo("演示科技有限公司", 1, "年度评估", AssessmentStatus.SUBMITTED, datetime(2025, 1, 1), datetime(2025, 1, 2),
                       datetime(2025, 1, 3), datetime(2025, 1, 4), "bench")
    return q, result, info


def _db_import(files: list[bytes]) -> float:
    """Seconds to import every file into a fresh SQLite database (validation + one transaction each)."""
    from db.engine import make_engine
    from db.migrate import upgrade
    from services.access import Actor
    from services.imports import import_workbook
    from services.organisations import create_organisation

    q = get_questionnaire()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        engine = make_engine(url)
        actor = Actor.system()
        org = create_organisation(engine, actor, "基准测试组织", q.default_profile())
        seconds = best_of(lambda: [import_workbook(engine, actor, org.id, data) for data in files], repeat=1)
        engine.dispose()
    return seconds


def run() -> list[dict[str, Any]]:
    files = _filled_templates(N_FILES)
    seconds, baseline = _paired(lambda: _read_all(files), lambda: _bare_read(files), repeat=3)
    rows = [{
        "name": f"excel import: read+validate {N_FILES} filled templates",
        "seconds": seconds, "baseline_seconds": baseline,
        "baseline": "bare openpyxl read_only reading the same three sheets' values",
        "goal": "within 2×",
    }]

    from excel.benchmark import benchmark_workbook

    info, stats = _round_stats()
    q = get_questionnaire()
    sheets = _cells(benchmark_workbook(q, info, stats, "zh"))
    seconds, baseline = _paired(lambda: benchmark_workbook(q, info, stats, "zh"), lambda: _bare_write(sheets), 7)
    rows.append({
        "name": f"excel export: benchmark workbook, {N_ORGS} organisations",
        "seconds": seconds, "baseline_seconds": baseline,
        "baseline": f"bare openpyxl write_only writing the same {sum(len(r) for _, r in sheets)} rows' values",
        "goal": "within 2×",
    })

    q, result, summary_info = _summary_inputs()
    summary_cells = _cells(build_summary(result, q, {}, summary_info, "zh"))
    seconds, baseline = _paired(lambda: build_summary(result, q, {}, summary_info, "zh"),
                                lambda: _bare_write(summary_cells), 15)
    rows.append({
        "name": "excel export: summary workbook of one assessment",
        "seconds": seconds, "baseline_seconds": baseline,
        "baseline": "bare openpyxl write_only writing the same values (no styles, no charts)",
    })
    rows.append({
        "name": f"excel import into SQLite: {N_FILES} files, one transaction each",
        "seconds": _db_import(files),
        "note": "end to end (validation, new draft, 63 answers and audit events per file); no baseline",
    })
    return rows
