"""The summary workbook: its numbers are the app's numbers, its radar chart is a real Excel chart,
and texts that look like formulas stay text."""

from __future__ import annotations

import io
import math
import xml.etree.ElementTree as ET
import zipfile
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from enums import AnswerSource, AssessmentStatus
from excel.cells import decode_text
from excel.summary import SummaryInfo, build_summary
from i18n import t
from questionnaires import get_questionnaire
from scoring.display import level_text
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import (
    AnswerInputData,
    create_assessment,
    list_assessments,
    load_answers,
    save_answers_bulk,
)
from services.exports import summary_xlsx
from services.members import add_member
from services.organisations import create_organisation
from services.results import assessment_result
from tests.support.excel_workbooks import chart_series_cells, plotted_text

Q = get_questionnaire()
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
EPS = 1e-12
INJECTION = '=HYPERLINK("http://evil.example","点我")'


def _answers() -> list[AnswerInputData]:
    out = []
    for i, x in enumerate(Q.questions()):
        if i % 9 == 4:
            continue  # left unanswered
        if i % 11 == 3:
            out.append(AnswerInputData(x.id, None, True, "本组织不研发模型，该实践不适用", "+86 138 0000 0000"))
        else:
            out.append(AnswerInputData(x.id, (i * 7) % 6, False, "", f"证据 {i}" if i % 4 else INJECTION))
    return out


@pytest.fixture
def stored(engine: Engine, system: Actor) -> dict[str, Any]:
    profile = {"ai_roles": ["tech_provider", "user"], "genai_public": True, "high_impact": True,
               "sector": "finance", "size": "medium"}
    org = create_organisation(engine, system, "演示科技有限公司", profile)
    lead_id = create_user(engine, "lead", "a-long-password-1").id
    resp_id = create_user(engine, "resp", "a-long-password-2").id
    add_member(engine, system, org.id, "lead", "org_admin")
    add_member(engine, system, org.id, "resp", "respondent")
    lead = load_actor(engine, lead_id)
    a = create_assessment(engine, lead, org.id, title="2024 年度自评估")
    save_answers_bulk(engine, lead, a.id, _answers(), source=AnswerSource.UI)
    return {"org": org.id, "id": a.id, "lead": lead, "resp": load_actor(engine, resp_id)}


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return [tuple(c.value for c in row) for row in ws.iter_rows()]


def _close(a: object, b: float | None) -> bool:
    """Whether a cell value ``a`` is the number ``b`` (both empty counts as equal)."""
    if a is None or b is None:
        return a is None and b is None
    return isinstance(a, int | float) and math.isclose(a, b, abs_tol=EPS, rel_tol=0)


def test_every_number_equals_the_apps(engine: Engine, stored: dict[str, Any]) -> None:
    lead = stored["lead"]
    result = assessment_result(engine, lead, stored["id"])
    wb = load_workbook(io.BytesIO(summary_xlsx(engine, lead, stored["id"], "zh")))
    assert wb.sheetnames == ["概要", "得分", "原则与生命周期", "差距清单", "改进行动计划", "全部答案", "框架就绪度", "修改记录",
                             "元数据"]

    cover = {row[0]: row[1] for row in _rows(wb["概要"]) if row and row[0]}

    def s(key: str) -> str:
        return t(f"excel.summary.{key}", "zh")

    assert _close(cover[s("overall_score")], result.overall.score)
    assert _close(cover[s("overall_target")], result.overall.target)
    assert cover[s("overall_level")] == result.overall.level
    assert _close(cover[s("completeness")], result.completeness)
    assert _close(cover[s("percent_to_target")], result.percent_to_target)
    assert (cover[s("applicable")], cover[s("answered")], cover[s("na_count")]) == (
        result.overall.applicable, result.overall.answered, result.overall.na)
    assert cover[s("gap_count")] == len(result.gaps) and cover[s("to_answer")] == len(result.to_answer)
    score_cell = next(r for r in wb["概要"].iter_rows() if r[0].value == s("overall_score"))[1]
    assert score_cell.number_format == "0.00"

    units = {}
    for sheet in ("得分", "原则与生命周期"):
        for row in wb[sheet].iter_rows(min_row=2):
            if row[2].value and row[2].value != s("name"):
                units[row[1].value or row[2].value] = row  # principles and stages: by name (no id shown)
    names = {**{k: Q.t(v, "zh") for k, v in Q.meta.principles.items()},
             **{k: Q.t(v, "zh") for k, v in Q.meta.stages.items()}}
    expected = [*result.dimensions, *result.subdimensions, *result.principles, *result.stages]
    assert set(units) == {names.get(u.id, u.id) for u in expected}
    for u in expected:
        row = units[names.get(u.id, u.id)]
        score = row[3].value
        assert _close(score, u.score), u.id
        # The level in words says how far past its whole level the score is (0.93: part of the way to 1).
        level_names = {x.level: Q.t(x.name, "zh") for x in Q.meta.scale}
        assert row[7].value == (s("not_scored") if u.score is None else
                                level_text(u.score, u.level, level_names, "zh", s("not_scored"))), u.id
        if u.score is not None and u.level is not None and u.score > u.level:
            assert row[7].value.endswith(f"{u.level + 1} {level_names[u.level + 1]}"), u.id
        assert _close(row[4].value, _shown_target(u, result)), u.id
        gap = None if u.score is None or u.target is None else u.target - u.score
        assert _close(row[5].value, gap), u.id
        assert row[6].value == u.level and _close(row[11].value, u.completeness), u.id
        assert (row[8].value, row[9].value, row[10].value) == (u.applicable, u.answered, u.na), u.id
        if u.score is not None:
            assert row[3].number_format == "0.00"

    gap_rows = [r for r in _rows(wb["差距清单"])[1:]]
    assert len(result.gaps) > 5 and len(gap_rows) == len(result.gaps)
    for rank, (g, row) in enumerate(zip(result.gaps, gap_rows, strict=True), 1):
        assert (row[0], row[2], row[6]) == (rank, g.question_id, g.level)
        for got, want in zip(row[7:10], (g.target, g.gap, g.weight), strict=True):
            assert _close(got, want)
        assert _close(row[11], g.priority)
        assert row[12] == Q.t(g.recommendation, "zh") and row[1] == s(f"band_{g.band}")


def _shown_target(u: Any, result: Any) -> float | None:
    """The documented target of a unit as shown: the engine's, or for a dimension or sub-dimension with nothing
    scored the target profile's level for its dimension (docs/scoring.md); principles and stages: none."""
    if u.target is not None or u.kind not in ("dimension", "subdimension"):
        return u.target
    dim = u.id if u.kind == "dimension" else next(d.id for d in Q.dimensions if any(s.id == u.id
                                                                                     for s in d.subdimensions))
    return float(Q.preset(result.target_preset).levels[dim])


def test_not_scored_is_an_empty_score_and_words_never_zero(engine: Engine, system: Actor) -> None:
    org = create_organisation(engine, system, "新组织", Q.default_profile())
    a = create_assessment(engine, system, org.id)
    first = Q.dimensions[0].subdimensions[0].questions[0]
    save_answers_bulk(engine, system, a.id, [AnswerInputData(first.id, 3)], source=AnswerSource.UI)
    wb = load_workbook(io.BytesIO(summary_xlsx(engine, system, a.id, "en")))
    rows = {r[1]: r for r in _rows(wb["Scores"]) if r[0] == "Dimension"}
    assert rows[Q.dimensions[0].id][3] == 3 and rows[Q.dimensions[0].id][7] == f"3 {Q.t(Q.meta.scale[3].name, 'en')}"
    levels = Q.preset(Q.default_preset(Q.default_profile())).levels
    for d in Q.dimensions[1:]:  # score, gap and level empty (a chart gap); the words in the level-name column;
        # the target is the target profile's level for the dimension, as on the results page (scoring/targets.py)
        assert rows[d.id][3:7] == (None, float(levels[d.id]), None, None) and rows[d.id][7] == "Not scored"


def _with_unscored_dimension(peer: bool) -> bytes:
    """A summary whose second dimension has nothing scored (and, with ``peer``, no peer median either)."""
    from scoring import AnswerInput, score_assessment

    skipped = {x.id for s in Q.dimensions[1].subdimensions for x in s.questions}
    answers = {x.id: AnswerInput(level=i % 6) for i, x in enumerate(Q.questions()) if x.id not in skipped}
    result = score_assessment(Q, Q.default_profile(), answers)
    assert result.dimensions[1].score is None and result.dimensions[0].score is not None
    info = SummaryInfo("组织", 1, "", AssessmentStatus.SUBMITTED, None, None, None, datetime(2025, 1, 1), "tester")
    median = {d.id: (None if i == 2 else 2.5) for i, d in enumerate(Q.dimensions)} if peer else None
    return build_summary(result, Q, {}, info, "zh", peer_median=median)


@pytest.mark.parametrize("peer", [False, True], ids=["own", "with_peer_median"])
def test_every_cell_a_chart_plots_is_a_number_or_empty(peer: bool) -> None:
    """Excel draws a text in a series as 0: a unit not scored must be an empty cell, i.e. a gap."""
    data = _with_unscored_dimension(peer)
    plotted = chart_series_cells(data)
    assert {part for part, *_ in plotted} == {"xl/charts/chart1.xml", "xl/charts/chart2.xml"}
    assert len({ref for _, ref, _, _ in plotted}) == (3 if peer else 2) + 2  # dimensions' series, sub-dimensions'
    assert plotted_text(data) == []
    blanks = {cell for _, _, cell, value in plotted if value is None}
    # The unscored dimension: a gap in the score series; its target is plotted (the target profile's level, as
    # on the results page's radar), a number.
    assert "D3" in blanks and "E3" not in blanks and (("M4" in blanks) if peer else True)
    dispblanks = ET.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("xl/charts/chart1.xml")).find(f".//{C}dispBlanksAs")
    assert dispblanks is not None and dispblanks.get("val") == "gap"


def test_every_answer_is_listed_with_level_justification_note_and_question(engine: Engine,
                                                                         stored: dict[str, Any]) -> None:
    lead = stored["lead"]
    answers = load_answers(engine, lead, stored["id"])
    wb = load_workbook(io.BytesIO(summary_xlsx(engine, lead, stored["id"], "en")))
    table = _rows(wb["Answers in full"])
    assert table[0][5:10] == ("Level (0–5 or N/A)", "Level name", "Target level", "Weight in sub-dimension",
                              "Critical")
    rows = {r[0]: r for r in table[1:]}
    assert list(rows) == [x.id for x in Q.questions()]
    for x in Q.questions():
        row = rows[x.id]
        assert row[3] == Q.t(x.text, "en")
        assert row[8] == x.weight and row[9] == ("Yes" if x.critical else "No")
        a = answers.get(x.id)
        if a is None:
            assert row[5:7] == (None, None) and row[10:14] == (None, None, None, None)
            continue
        assert row[5] == ("N/A" if a.na else a.level)
        assert decode_text(row[10] or "") == a.justification and decode_text(row[11] or "") == a.note
        assert row[13] == "lead"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_subdimension_score_can_be_redone_from_the_answer_sheet(engine: Engine, stored: dict[str, Any],
                                                                  lang: str) -> None:
    """Σ weight·level / Σ weight (and the same of the targets) over the applicable levelled rows = the app's."""
    result = assessment_result(engine, stored["lead"], stored["id"])
    wb = load_workbook(io.BytesIO(summary_xlsx(engine, stored["lead"], stored["id"], lang)))
    ws = wb[t("excel.sheet.all_answers", lang)]
    yes = t("excel.template.yes", lang)
    assert ws["H2"].number_format == "0.00" and ws["I2"].number_format == "0.00"
    rows = _rows(ws)[1:]
    gap_targets = {g.question_id: g.target for g in result.gaps}
    checked = 0
    for u in result.subdimensions:
        scored = [r for r in rows if r[2].split(" ")[0] == u.id and r[4] == yes and isinstance(r[5], int)]
        for r in scored:
            if r[0] in gap_targets:
                assert _close(r[7], gap_targets[r[0]]), r[0]
        if not scored:
            assert u.score is None, u.id
            continue
        weight = sum(r[8] for r in scored)
        assert _close(sum(r[8] * r[5] for r in scored) / weight, u.score), u.id
        assert _close(sum(r[8] * r[7] for r in scored) / weight, u.target), u.id
        checked += 1
    assert checked >= 10


def test_radar_chart_is_a_native_excel_chart_of_the_dimension_table(engine: Engine, stored: dict[str, Any]) -> None:
    data = summary_xlsx(engine, stored["lead"], stored["id"], "zh")
    z = zipfile.ZipFile(io.BytesIO(data))
    chart = ET.fromstring(z.read("xl/charts/chart1.xml"))
    radar = chart.find(f".//{C}radarChart")
    assert radar is not None and radar.find(f"{C}radarStyle").get("val") == "marker"
    series = radar.findall(f"{C}ser")
    assert [s.find(f"{C}val//{C}f").text for s in series] == ["'得分'!$D$2:$D$5", "'得分'!$E$2:$E$5"]
    assert [s.find(f"{C}tx//{C}f").text for s in series] == ["'得分'!D1", "'得分'!E1"]
    assert {s.find(f"{C}cat//{C}f").text for s in series} == {"'得分'!$C$2:$C$5"}
    sub = ET.fromstring(z.read("xl/charts/chart2.xml")).find(f".//{C}radarChart")
    n = len(Q.dimensions)
    last = n + 3 + sum(len(d.subdimensions) for d in Q.dimensions)
    assert sub.find(f"{C}ser/{C}val//{C}f").text == f"'得分'!$D${n + 4}:$D${last}"
    # the chart is drawn on the scores sheet and its ranges hold the app's dimension scores
    wb = load_workbook(io.BytesIO(data))
    index = wb.sheetnames.index("得分") + 1
    assert "drawing" in z.read(f"xl/worksheets/_rels/sheet{index}.xml.rels").decode()
    assert "charts/chart1.xml" in z.read("xl/drawings/_rels/drawing1.xml.rels").decode()
    result = assessment_result(engine, stored["lead"], stored["id"])
    ws = wb["得分"]
    assert [ws[f"C{r}"].value for r in range(2, 2 + n)] == [Q.t(d.name, "zh") for d in Q.dimensions]
    for r, u in enumerate(result.dimensions, 2):
        assert _close(ws[f"D{r}"].value, u.score) and _close(ws[f"E{r}"].value, u.target)


def test_peer_median_is_a_third_radar_series() -> None:
    from scoring import AnswerInput, score_assessment

    result = score_assessment(Q, Q.default_profile(), {x.id: AnswerInput(level=2) for x in Q.questions()})
    info = SummaryInfo("组织", 1, "", AssessmentStatus.SUBMITTED, None, None, None, datetime(2025, 1, 1), "tester")
    data = build_summary(result, Q, {}, info, "en", peer_median={d.id: 2.25 for d in Q.dimensions})
    radar = ET.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("xl/charts/chart1.xml")).find(f".//{C}radarChart")
    assert [s.find(f"{C}val//{C}f").text for s in radar.findall(f"{C}ser")] == [
        "'Scores'!$D$2:$D$5", "'Scores'!$E$2:$E$5", "'Scores'!$M$2:$M$5"]
    ws = load_workbook(io.BytesIO(data))["Scores"]
    assert ws["M1"].value == "Peer median" and [ws[f"M{r}"].value for r in range(2, 6)] == [2.25] * 4


def test_injection_strings_are_exported_as_text(engine: Engine, stored: dict[str, Any]) -> None:
    data = summary_xlsx(engine, stored["lead"], stored["id"], "zh")
    z = zipfile.ZipFile(io.BytesIO(data))
    sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(b"<f>" in z.read(n) for n in sheets)  # no formula anywhere in the workbook
    ws = load_workbook(io.BytesIO(data))["全部答案"]
    risky = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert {c.value for c in risky} >= {INJECTION, "+86 138 0000 0000"}
    for c in risky:
        assert c.data_type == "s" and c.quotePrefix is True, c.coordinate


def test_history_only_for_organisation_administrators(engine: Engine, stored: dict[str, Any]) -> None:
    wb = load_workbook(io.BytesIO(summary_xlsx(engine, stored["lead"], stored["id"], "en")))
    history = _rows(wb["Answer history"])
    assert len(history) - 1 == len(_answers())
    assert {r[1] for r in history[1:]} == {a.question_id for a in _answers()} and history[1][2] == "lead"
    respondent = load_workbook(io.BytesIO(summary_xlsx(engine, stored["resp"], stored["id"], "en")))
    assert "Answer history" not in respondent.sheetnames


def test_other_tenants_cannot_export(engine: Engine, system: Actor, stored: dict[str, Any]) -> None:
    from services.errors import NotFound

    other = create_organisation(engine, system, "别家公司", Q.default_profile())
    stranger = create_user(engine, "stranger", "a-long-password-3").id
    add_member(engine, system, other.id, "stranger", "org_admin")
    with pytest.raises(NotFound):
        summary_xlsx(engine, load_actor(engine, stranger), stored["id"], "zh")


def test_demo_round_assessment_carries_the_peer_median(demo_db_url: str) -> None:
    from db.engine import make_engine
    from services.peer_comparison import peer_summary
    from tests.support.databases import user_id

    engine = make_engine(demo_db_url)
    org1 = load_actor(engine, user_id(demo_db_url, "org1"))
    checked = 0
    for org_id in org1.org_ids:
        for view in list_assessments(engine, org1, org_id):
            peers = peer_summary(engine, org1, view.id)
            if peers is None:
                continue
            ws = load_workbook(io.BytesIO(summary_xlsx(engine, org1, view.id, "en")))["Scores"]
            assert ws["M1"].value == "Peer median"
            for r, d in enumerate(Q.dimensions, 2):
                assert ws[f"B{r}"].value == d.id and _close(ws[f"M{r}"].value, peers.median[d.id])
            checked += 1
    engine.dispose()
    assert checked >= 1


def test_readiness_sheet_equals_the_apps(engine: Engine, stored: dict[str, Any]) -> None:
    """Every item row of the readiness sheet carries the level and counts the results page shows."""
    from services.results_page import results_page

    lead = stored["lead"]
    frameworks = results_page(engine, lead, stored["id"]).readiness
    wb = load_workbook(io.BytesIO(summary_xlsx(engine, lead, stored["id"], "en")))
    rows = _rows(wb["Framework readiness"])
    coverage = {t(f"excel.summary.readiness_{k}", "en") for k in ("full", "partial", "none")}
    by_id = {row[0]: row for row in rows if row and len(row) >= 6 and row[2] in coverage}
    items = [it for fw in frameworks for it in fw.items]
    assert len(by_id) == len(items) == 72 + 38 + 28 + len(frameworks[3].items)
    for it in items:
        assert by_id[it.id][3] == it.level, it.id
    counts = [row for row in rows if row and row[0] == t("excel.summary.readiness_none", "en")]
    assert [c[1] for c in counts] == [fw.summary.not_covered for fw in frameworks]

