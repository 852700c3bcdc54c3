"""PDF report performance (issue 13): the management report of one assessment and the round report of a
1,000-member round, each against a bare baseline of the same document.

* **Management report**: ``reports.management.management_pdf`` for one fully answered assessment (66
  questions, every gap, 8 actions, a comparison with a previous assessment), against the same HTML
  rendered to PDF without its charts (``charts=False``): the ratio is the cost of drawing the four
  radars with matplotlib and embedding them.
* **Round report**: ``reports.round.round_pdf`` from the statistics of a synthetic round of 1,000
  members (the same synthetic round as the benchmark workbook's measurement), against the same HTML
  without charts. The statistics themselves (``dashboard_stats``) are measured in bench_round_statistics.
"""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

from enums import ActionStatus, AssessmentForm, AssessmentStatus, RoundStatus
from perf import best_of_pair
from perf.bench_excel import N_ORGS, _round_stats
from questionnaires import get_questionnaire
from reports.management import (
    ActionLine,
    AnswerLine,
    ComparisonPart,
    ManagementReportData,
    UnitChange,
    management_pdf,
)
from reports.round import round_pdf
from scoring import AnswerInput, score_assessment
from services.reports import strongest_and_weakest
from services.round_report import report_data_from

SEED = 13


def _management_data() -> ManagementReportData:
    q = get_questionnaire()
    rng = random.Random(SEED)
    profile = q.default_profile()
    answers = {x.id: AnswerInput(level=rng.randint(0, 5)) for x in q.questions()}
    result = score_assessment(q, profile, answers, target_preset=q.default_preset(profile))
    before = score_assessment(q, profile, {k: AnswerInput(level=max(0, (a.level or 0) - 1)) for k, a in answers.items()},
                              target_preset=q.default_preset(profile))
    best, worst = strongest_and_weakest(result)
    actions = tuple(ActionLine(i, f"{g.question_id}: 改进行动 {i}", (g.question_id,), "org1", date(2027, 1, i % 28 + 1),
                               tuple(ActionStatus)[i % 4], i % 4 == 1,
                               "集团统一处理" if i % 4 == 3 else "")
                    for i, g in enumerate(result.gaps[:8], 1))
    lines = tuple(AnswerLine(qid, a.level, False, "", "说明 " * (i % 3), (f"证据-{i}.pdf",) if i % 5 == 0 else ())
                  for i, (qid, a) in enumerate(answers.items()))
    units = tuple(UnitChange(u.kind, u.id, p.score, u.score, None if p.score is None or u.score is None else
                             u.score - p.score, "up") for u, p in zip((result.overall, *result.dimensions),
                                                                      (before.overall, *before.dimensions), strict=True))
    comparison = ComparisonPart(1, datetime(2025, 6, 30), units, ())
    return ManagementReportData("zh", "演示科技有限公司", 2, "2026 年度测评", AssessmentStatus.SUBMITTED, datetime(2026, 6, 30),
                                AssessmentForm.FULL,
                                datetime(2026, 7, 1), q, result, best, worst, actions, lines, comparison)


def run() -> list[dict[str, Any]]:
    data = _management_data()
    seconds, baseline = best_of_pair(lambda: management_pdf(data), lambda: management_pdf(data, charts=False), repeat=3)
    rows = [{
        "name": "reports: management report PDF of one assessment (66 questions, 8 actions, comparison)",
        "seconds": seconds, "baseline_seconds": baseline,
        "baseline": "the same HTML rendered to PDF without charts", "goal": "within 3×",
    }]
    _, stats = _round_stats()
    q = get_questionnaire()
    round_data = report_data_from(q, stats, association="长三角人工智能产业联盟", round_name="2025 年度测评",
                                  round_status=RoundStatus.CLOSED, published_at=datetime(2025, 7, 1), lang="zh")
    seconds, baseline = best_of_pair(lambda: round_pdf(round_data), lambda: round_pdf(round_data, charts=False),
                                     repeat=3)
    rows.append({
        "name": f"reports: round report PDF of a {N_ORGS:,}-member round",
        "seconds": seconds, "baseline_seconds": baseline,
        "baseline": "the same HTML rendered to PDF without charts", "goal": "within 3×",
    })
    return rows
