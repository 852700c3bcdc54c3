"""The results page: charts, gap list, "to answer", "why this score", history, peers and Excel.

Every number is compared with the scoring engine run directly on the same answers.
"""

from __future__ import annotations

import io
import json
from typing import Any

import openpyxl
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from enums import AnswerSource
from services.assessments import AnswerInputData, save_answers_bulk, submit
from services.organisations import list_organisations
from services.sign_in import authenticate
from tests.support.apptest import Downloads, shown
from tests.ui_flow import Member, expected, gap_frame, msg, new_assessment, open_page, org_admin, q, texts


def _charts(at: AppTest) -> dict[str, dict[str, Any]]:
    """Plotly figures of the page by title."""
    out = {}
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec)
        out[spec["layout"]["title"]["text"]] = spec
    return out


def _answer(engine: Engine, member: Member, aid: int, levels: dict[str, int | None]) -> None:
    save_answers_bulk(engine, member.actor(engine), aid, [
        AnswerInputData(qid, level, na=level is None, justification="不涉及" if level is None else "")
        for qid, level in levels.items()], source=AnswerSource.CLI)


def _spread() -> dict[str, int | None]:
    """Answers to every question of the first two dimensions: levels 0–5 and a few N/A."""
    qs = [x for d in q().dimensions[:2] for s in d.subdimensions for x in s.questions]
    return {x.id: (None if i % 7 == 6 else i % 6) for i, x in enumerate(qs)}


def test_radars_and_stage_bars_draw_the_engines_scores(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    _answer(engine, alice, aid, _spread())
    want = expected(engine, aid, q().default_profile())
    at = open_page(alice, "results", assessment=aid)
    charts = _charts(at)

    dims = charts[msg("results.radar_dimensions")]["data"]
    assert [t["type"] for t in dims] == ["scatterpolar", "scatterpolar"]  # no peers: not in a round
    current = [u.score for u in want.dimensions]
    assert dims[0]["r"] == [*current, current[0]]  # closed polygon; not scored stays a gap (None)
    assert None in current, "two dimensions are left unanswered on purpose"
    labels = dims[0]["theta"]
    for u, label in zip(want.dimensions, labels, strict=False):
        assert (msg("common.not_scored") in label) == (u.score is None)
    assert dims[0]["line"]["dash"] != dims[1]["line"]["dash"]  # told apart without colour

    subs = charts[msg("results.radar_subdimensions")]["data"][0]["r"][:-1]
    assert subs == [u.score for u in want.subdimensions if u.applicable]
    principles = charts[msg("results.radar_principles")]["data"][0]["r"][:-1]
    assert principles == [u.score for u in want.principles if u.applicable]
    bars = charts[msg("results.stages_chart")]["data"]
    assert bars[0]["x"] == [u.score for u in want.stages if u.applicable]
    assert bars[0]["text"] == [f"{u.score:.2f}" for u in want.stages if u.applicable]

    (table,) = (t.value for t in at.table)
    shown = list(table[msg("common.score")])
    assert shown == [msg("common.not_scored") if u.score is None else f"{u.score:.2f}" for u in want.dimensions]
    # one naming rule: the table names a dimension "GOV 治理能力", the chart axis the name alone
    assert list(table.index) == [f"{d.id} {d.name['zh']}" for d in q().dimensions]
    assert labels[0] == q().dimensions[0].name["zh"]  # answered in _spread: scored, so the bare name
    assert all(not label.startswith(f"{d.id} ") for d, label in zip(q().dimensions, labels[:-1], strict=True))  # closed polygon


def test_gap_list_ranks_filters_and_carries_each_recommendation(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    _answer(engine, alice, aid, _spread())
    want = expected(engine, aid, q().default_profile())
    assert {g.band for g in want.gaps} == {"high", "medium", "low"}, "the fixture must cover every band"
    at = open_page(alice, "results", assessment=aid)
    table = gap_frame(at)
    assert list(table[msg("results.col_question_id")]) == [g.question_id for g in want.gaps]
    assert list(table[msg("results.col_band")]) == [msg(f"results.band_{g.band}") for g in want.gaps]
    assert list(table[msg("results.col_recommendation")]) == [
        q().question(g.question_id).recommendations[g.level]["zh"] for g in want.gaps]
    assert list(table[msg("results.col_priority")]) == [g.priority for g in want.gaps]
    top = want.gaps[0]
    assert msg("results.top_gap_line", rank=1, band=msg(f"results.band_{top.band}"), id=top.question_id,
               level=top.level, target=f"{top.target:.2f}",
               critical=f" · {msg('results.critical_tag')}" if top.critical else "") in texts(at)

    at.multiselect(key="gap_band").set_value(["high"]).run()
    assert list(gap_frame(at)[msg("results.col_question_id")]) == [g.question_id for g in want.gaps
                                                                  if g.band == "high"]
    at.multiselect(key="gap_band").set_value(["high", "medium", "low"]).run()
    dim = want.gaps[-1].dimension_id
    at.multiselect(key="gap_dimension").set_value([dim]).run()
    assert list(gap_frame(at)[msg("results.col_question_id")]) == [g.question_id for g in want.gaps
                                                                  if g.dimension_id == dim]
    at.multiselect(key="gap_dimension").set_value([d.id for d in q().dimensions]).run()
    at.toggle(key="gap_critical").set_value(True).run()
    frame = gap_frame(at)
    assert list(frame[msg("results.col_question_id")]) == [g.question_id for g in want.gaps if g.critical]
    assert set(frame[msg("results.col_critical")]) == {msg("results.critical_yes")}


def test_to_answer_and_why_this_score(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    _answer(engine, alice, aid, _spread())
    want = expected(engine, aid, q().default_profile())
    at = open_page(alice, "results", assessment=aid)
    assert msg("results.to_answer_intro", n=len(want.to_answer)) in texts(at)
    linked = [qid for el in at.get("page_link") if "sub=" in el.proto.query_string
              for qid in shown(el.proto.label).rsplit("（", 1)[1].rstrip("）").split(", ")]
    assert linked == list(want.to_answer)

    sub = want.subdimensions[0]
    at.selectbox(key="why_unit").set_value(f"subdimension:{sub.id}").run()
    why = next(df.value for df in at.dataframe if msg("results.col_question_id") in df.value.columns
               and msg("results.col_recommendation") not in df.value.columns)
    assert list(why[msg("results.col_question_id")]) == [w.id for w in sub.why]
    assert list(why[msg("results.col_weight")]) == [w.weight for w in sub.why]
    names = {x.level: x.name["zh"] for x in q().meta.scale}
    level = f"{sub.level} {names[sub.level]}"
    if sub.score > sub.level:  # between two levels: says it is part of the way to the next one
        partial = msg("common.level_partial", level=f"{sub.level + 1} {names[sub.level + 1]}")
        level = partial if sub.level == 0 else msg("common.level_between", reached=level, partial=partial)
    assert msg("results.why_summary", score=f"{sub.score:.2f}", level=level, target=f"{sub.target:.2f}",
               applicable=sub.applicable, answered=sub.answered, na=sub.na) in texts(at)

    # A dimension is the mean of its sub-dimensions; the questions behind them are one click away.
    dim = next(u for u in want.dimensions if u.score is not None)
    at.selectbox(key="why_unit").set_value(f"dimension:{dim.id}").run()
    below = next(df.value for df in at.dataframe if msg("results.kind_subdimension") in df.value.columns
                 and msg("results.col_question_id") in df.value.columns
                 and msg("results.col_recommendation") not in df.value.columns)
    scored = [s for s in want.subdimensions if s.score is not None and s.id in {w.id for w in dim.why}]
    assert list(below[msg("results.col_question_id")]) == [w.id for s in scored for w in s.why
                                                           if w.level is not None]

    missing = next(u for u in want.dimensions if u.score is None)
    at.selectbox(key="why_unit").set_value(f"dimension:{missing.id}").run()
    assert msg("results.why_nothing") in texts(at)


def test_comparison_with_the_previous_submitted_assessment(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    first = new_assessment(engine, alice, title="2024")
    _answer(engine, alice, first, {x.id: 1 for x in q().questions()})
    submit(engine, alice.actor(engine), first)
    second = new_assessment(engine, alice, title="2025")
    _answer(engine, alice, second, {x.id: 3 for x in q().questions()[:40]})
    before = expected(engine, first, q().default_profile())
    now = expected(engine, second, q().default_profile())

    at = open_page(alice, "results", assessment=second)
    delta = next(df.value for df in at.dataframe if msg("results.col_delta") in df.value.columns)
    rows = list(zip(delta[msg("results.col_previous")], delta[msg("results.col_current")],
                    delta[msg("results.col_delta")], strict=True))
    pairs = [(before.overall.score, now.overall.score)] + [
        (b.score, n.score) for b, n in zip(before.dimensions, now.dimensions, strict=True)]
    assert rows == [(f"{b:.2f}", f"{n:.2f}" if n is not None else msg("common.not_scored"),
                     f"{n - b:+.2f}" if n is not None else "—") for b, n in pairs]
    trend = _charts(at)[msg("results.trend_chart")]["data"]
    assert trend[0]["y"] == [before.overall.score, now.overall.score]
    assert len(trend) == 1 + len(q().dimensions)

    only = open_page(alice, "results", assessment=first)
    assert msg("results.no_previous") in texts(only)


def test_peer_median_is_drawn_for_an_assessment_in_a_benchmark_round(app_db: str, engine: Engine) -> None:
    from demo.seed import seed_demo
    from services.assessments import list_assessments
    from services.peer_comparison import peer_summary

    seed_demo(engine)
    who = authenticate(engine, "org1", "demo-org-2024")
    org = list_organisations(engine, who)[0]
    view = next(a for a in list_assessments(engine, who, org.id) if a.round_id is not None)
    peers = peer_summary(engine, who, view.id)
    assert peers is not None
    at = open_page(Member(who.user_id, who.username, org.id), "results", assessment=view.id)  # type: ignore[arg-type]
    dims = _charts(at)[msg("results.radar_dimensions")]["data"]
    assert [t["name"] for t in dims] == [msg("results.series_current"), msg("results.series_target"),
                                         msg("results.series_peer")]
    median = [peers.median[d.id] for d in q().dimensions]
    assert dims[2]["r"] == [*median, median[0]]
    assert str(peers.peers) in texts(at)


def test_excel_summary_is_built_only_when_clicked(app_db: str, engine: Engine, downloads: Downloads) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    _answer(engine, alice, aid, _spread())
    at = open_page(alice, "results", assessment=aid)
    assert not at.exception
    button, pdf = at.get("download_button")
    assert button.proto.label == msg("results.download_excel")
    assert not button.proto.url  # nothing is built on a plain visit: the click builds the file
    book = openpyxl.load_workbook(io.BytesIO(downloads.file(at, "results_xlsx")))
    assert len(book.sheetnames) >= 2
    assert pdf.proto.label == msg("reports.download_pdf") and not pdf.proto.url  # the management report too
    assert downloads.file(at, "results_pdf").startswith(b"%PDF")


def _round_member(engine: Engine, n: int) -> tuple[Any, Member, int]:
    """A benchmarking round with ``n`` members who submitted; the first one's results page."""
    from tests.support.benchmark_data import cohort, profile

    c = cohort(engine)
    for i in range(n):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 1 + i % 4)
    org_id, user_id = c.orgs["M0"]
    return c, Member(user_id, "M0", org_id), c.assessments["M0"]


def test_a_peer_group_too_small_to_show_is_said_not_silently_left_out(app_db: str, engine: Engine) -> None:
    from services.rounds import close_round

    c, member, aid = _round_member(engine, 3)
    at = open_page(member, "results", lang="en", assessment=aid)
    dims = _charts(at)[msg("results.radar_dimensions", "en")]["data"]
    assert [t["name"] for t in dims] == [msg("results.series_current", "en"), msg("results.series_target", "en")]
    assert msg("results.peer_not_released", "en", round="2026 round") in texts(at)  # open, too few: no release yet
    close_round(engine, c.admin(), c.round_id)  # the final release, with too few members to show
    at = open_page(member, "results", lang="en", assessment=aid)
    assert msg("results.peer_too_few", "en", round="2026 round", too_few="Too few to show", k=5) in texts(at)


def test_the_peer_summary_is_scored_once_per_state_of_the_round(app_db: str, engine: Engine, monkeypatch: Any) -> None:
    """A filter click reruns the page but does not read the round again; a new release does (a new
    submission alone changes nothing the page shows of the peers)."""
    from services import peer_comparison

    calls: list[int] = []
    real = peer_comparison.member_comparison

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(peer_comparison, "member_comparison", counted)
    c, member, aid = _round_member(engine, 6)
    at = open_page(member, "results", lang="en", assessment=aid)
    assert len(calls) == 1 and msg("results.series_peer", "en") in [
        t["name"] for t in _charts(at)[msg("results.radar_dimensions", "en")]["data"]]
    at.multiselect(key="gap_band").set_value(["high"]).run()
    at.toggle(key="gap_critical").set_value(True).run()
    assert not at.exception and len(calls) == 1
    c.add("Late", {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "finance",
                   "size": "small"})
    c.submit("Late", 4)
    at.run()
    assert len(calls) == 1
    from services.rounds import close_round

    close_round(engine, c.admin(), c.round_id)
    at.run()
    assert len(calls) == 2 and "privacy-protected estimates" in texts(at)

    # Another member of the same round has its own entry, read with its own rights.
    other = Member(c.orgs["M1"][1], "M1", c.orgs["M1"][0])
    open_page(other, "results", lang="en", assessment=c.assessments["M1"])
    assert len(calls) == 3
    # And an outsider who asks for M0's assessment gets nothing from the cache.
    stranger = open_page(other, "results", lang="en", assessment=aid)
    assert len(calls) == 3 and "privacy-protected estimates" not in texts(stranger)


def test_an_unscored_dimension_has_one_target_on_the_page_and_in_the_workbook(
        app_db: str, engine: Engine) -> None:
    """Nothing scored in a dimension: every output shows the target profile's level for it (scoring/targets.py).

    The page used to compute this itself and the workbook left the cell blank; the expected value
    here comes from the questionnaire's target profile, not from the code under test.
    """
    from services.exports import summary_xlsx

    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    _answer(engine, alice, aid, _spread())  # the first two dimensions only
    want = expected(engine, aid, q().default_profile())
    levels = q().preset(want.target_preset).levels
    unscored = [u.id for u in want.dimensions if u.score is None]
    assert unscored, "dimensions beyond the first two are left unanswered on purpose"
    target_of = {u.id: (u.target if u.score is not None else float(levels[u.id])) for u in want.dimensions}

    at = open_page(alice, "results", assessment=aid)
    (table,) = (t.value for t in at.table)
    assert list(table[msg("common.target")]) == [f"{target_of[u.id]:.2f}" for u in want.dimensions]
    radar_target = _charts(at)[msg("results.radar_dimensions")]["data"][1]["r"][:-1]
    assert radar_target == [target_of[u.id] for u in want.dimensions]

    book = openpyxl.load_workbook(io.BytesIO(summary_xlsx(engine, alice.actor(engine), aid, "en")))
    rows = {row[1].value: row for row in book["Scores"].iter_rows(min_row=2) if row[1].value in target_of}
    for dim in unscored:
        assert rows[dim][3].value is None  # not scored: no score ...
        assert rows[dim][4].value == target_of[dim]  # ... and the same target as the page


def test_re_assessing_on_1_1_0_from_1_0_0_shows_carried_answers_readiness_and_no_false_trend(
        app_db: str, engine: Engine) -> None:
    """A newcomer re-assessing on 1.1.0 from a 1.0.0 assessment: the questionnaire page lists the carried answers
    to confirm and the new questions; the results page shows framework readiness and says the totals are not
    comparable with the 1.0.0 assessment instead of printing a delta."""
    from questionnaires import get_questionnaire

    alice = org_admin(engine)
    old = new_assessment(engine, alice, questionnaire_id="caict-aigov")
    from db.engine import write_session
    from db.models import Assessment
    with write_session(engine) as s:  # an assessment made while 1.0.0 was current
        made = s.get(Assessment, old)
        assert made is not None
        made.questionnaire_version = "1.0.0"
    v1 = get_questionnaire(version="1.0.0")
    _answer(engine, alice, old, {x.id: 2 for x in v1.questions()[:12]})
    submit(engine, alice.actor(engine), old)
    new = new_assessment(engine, alice, carry_forward_from=old)
    at = open_page(alice, "questionnaire", assessment=new)
    page = texts(at)
    assert shown(msg("questionnaire.carried_intro", old="1.0.0", new="1.1.0")) in page
    assert "GOV-INS-05" in page and "GOV-INS-06" in page and "RES-DIS-04" in page
    rule = get_questionnaire().meta.rating_rule
    assert rule is not None and rule["zh"][:40] in page  # the rating rule is shown with the questions
    _answer(engine, alice, new, {"GOV-CUL-01": 3})
    submit(engine, alice.actor(engine), new)
    at = open_page(alice, "results", assessment=new)
    page = texts(at)
    assert msg("results.readiness_heading") in page
    assert "1.0.0 → 1.1.0" in page  # the history caption names the two versions
    frames = [el.value for el in at.dataframe]
    delta = next(f for f in frames if msg("results.col_delta") in f.columns)
    assert set(delta[msg("results.col_delta")]) == {msg("results.not_comparable")}  # overall and every dimension
    assert any(msg("excel.summary.readiness_framework") in f.columns for f in frames)
    # every framework's items show each citing question with its relationship to the item and its level
    from scoring.display import citations_text
    from services.results_page import results_page

    col = msg("excel.summary.readiness_questions")
    shown_cites = {row for f in frames if col in f.columns for row in f[col]}
    expected = {citations_text(i.citations, "zh") for fw in results_page(engine, alice.actor(engine), new).readiness
                for i in fw.items}
    assert expected <= shown_cites and any(msg("questionnaire.relation_superset") in row for row in shown_cites)
