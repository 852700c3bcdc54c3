"""Results: the scores a manager reads at a glance, the ranked gaps with recommendations, and why.

Every number comes from the scoring engine through services.results (the same numbers as the
exports and the CLI). A unit without a scored question is "not scored", never 0. Colour is never
the only signal: bands are text, chart series differ in line style and marker.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
import streamlit as st

from app_pages.action_plan import render_action_plan
from app_pages.assessment_context import (
    assessment_caption,
    assessment_questionnaire,
    current_assessment,
    fmt_time,
    keep_choice,
    keep_state,
    level_name,
    unit_level,
)
from app_pages.common import (
    PDF_MIME,
    XLSX_MIME,
    actor,
    deferred_download,
    engine,
    fmt_pct,
    fmt_score,
    guarded,
    lang,
    qt,
    run_cache,
    tr,
    tr_plain,
)
from app_pages.comparison_view import render_comparison
from benchmarking.labels import estimate_note, segment_value_name
from charts import radar, stage_bars, trend
from enums import AssessmentStatus
from questionnaires import Questionnaire
from scoring.display import citations_text, readiness_band_key
from scoring.readiness import LISTED_BANDS, FrameworkReadiness
from scoring.targets import shown_target
from scoring.types import AssessmentResult, UnitScore
from services.access import Actor
from services.assessments import AssessmentState, AssessmentView
from services.errors import ServiceError
from services.exports import summary_xlsx
from services.peer_comparison import PeerSummary, peer_summary
from services.reports import management_report_pdf, report_filename
from services.results import HistoryPoint, not_comparable_units
from services.results_page import ResultsPage, results_page
from services.round_dashboard import RoundStamp, peer_stamp

BANDS = ("high", "medium", "low")
PEER_CACHE_SECONDS = 600  # the stamp in the key already changes with every submission; this bounds memory
_PAGES = "results_pages"  # run-cache slot: {assessment id: ResultsPage} read in this run


def _page(who: Actor, assessment_id: int) -> ResultsPage:
    """Everything the page shows of the assessment, read once per run in one transaction (services.results_page)."""
    pages = run_cache().setdefault(_PAGES, {})
    if assessment_id not in pages:
        pages[assessment_id] = results_page(engine(), who, assessment_id)
        keep_state(pages[assessment_id].state)
    return pages[assessment_id]


def _read(who: Actor, assessment_id: int) -> AssessmentState:
    return _page(who, assessment_id).state


# --- labels --------------------------------------------------------------------------------------------

def _names(q: Questionnaire, *, with_code: bool = True) -> dict[tuple[str, str], str]:
    """Every unit's label, keyed by (kind, id), by the questionnaire's one rule (Questionnaire.unit_labels): tables
    and selectors "GOV 治理能力", chart axes and legends (``with_code=False``) the name alone."""
    return {("overall", "overall"): tr("results.overall"), **q.unit_labels(lang(), with_code=with_code)}


def _axis_label(name: str, unit: UnitScore) -> str:
    return name if unit.scored else tr_plain("results.axis_not_scored", name=name, not_scored=tr("common.not_scored"))


# --- sections ------------------------------------------------------------------------------------------

def _metrics(q: Questionnaire, result: AssessmentResult) -> None:
    # Two rows: the level in words ("2 Managed, part of the way to 3 Defined") needs most of a row, and five
    # columns on a 1366-pixel screen cut it and the target profile's name to "2 Manag…", "Establis…".
    top = st.columns([1, 4])
    top[0].metric(tr("results.overall_score"), fmt_score(result.overall.score))
    top[1].metric(tr("results.overall_level"), unit_level(q, result.overall))
    c = st.columns(3)
    c[0].metric(tr("results.completeness"), fmt_pct(result.completeness),
                help=tr("results.completeness_help", answered=result.overall.answered,
                        applicable=result.overall.applicable, na=result.overall.na))
    c[1].metric(tr("results.percent_to_target"), fmt_pct(result.percent_to_target),
                help=tr("results.percent_to_target_help"))
    c[2].metric(tr("results.target_preset"), qt(q.preset(result.target_preset).name),
                help=qt(q.preset(result.target_preset).description))


@st.cache_data(ttl=PEER_CACHE_SECONDS, max_entries=256, show_spinner=False)
def _cached_peers(database: str, user_id: int | None, org_id: int, assessment_id: int, stamp: RoundStamp,
                  _who: Actor) -> PeerSummary | None:
    """The round's peer summary, read once per release (and own change) rather than on every rerun.

    Keyed by the database, the signed-in user, the organisation and the assessment, so one entry
    never serves another user; the caller has just passed the service's access check for it.
    """
    return peer_summary(engine(), _who, assessment_id, include_hidden=True)


def _peer(who: Actor, view: AssessmentView) -> PeerSummary | None:
    """The peer distribution (maybe ``suppressed``) when the assessment is in a benchmarking round.

    ``view`` was read with the actor's rights on this run (current_assessment), and a cache miss
    checks them again; only the scoring of the round is cached, keyed by the round's stamp.
    """
    try:
        stamp = peer_stamp(engine(), view)
        if stamp is None:
            return None
        return _cached_peers(str(engine().url), who.user_id, view.organisation_id, view.id, stamp, who)
    except ServiceError:
        return None


def _dimensions(q: Questionnaire, result: AssessmentResult, who: Actor, view: AssessmentView) -> None:
    names, axes = _names(q), _names(q, with_code=False)
    st.subheader(tr("results.dimensions_heading"))
    left, right = st.columns([4, 3], gap="medium")
    labels = [_axis_label(axes[("dimension", u.id)], u) for u in result.dimensions]
    targets = [shown_target(q, result, u) for u in result.dimensions]  # the one rule (scoring/targets.py)
    series: list[tuple[str, str, Sequence[float | None]]] = [
        ("current", tr("results.series_current"), [u.score for u in result.dimensions]),
        ("target", tr("results.series_target"), targets),
    ]
    peer = _peer(who, view)
    if peer is not None and not peer.suppressed:
        series.append(("peer", tr("results.series_peer"), [peer.median.get(u.id) for u in result.dimensions]))
    with left:
        st.plotly_chart(radar(labels, series, title=tr("results.radar_dimensions")), width="stretch",
                        key="radar_dimensions")
        if peer is not None:
            _peer_note(q, peer, names)
    with right:
        rows = [{
            tr("common.dimension"): names[("dimension", u.id)],
            tr("common.score"): fmt_score(u.score),
            tr("common.level"): unit_level(q, u),
            tr("common.target"): fmt_score(target),
            tr("results.completeness"): fmt_pct(u.completeness),
        } for u, target in zip(result.dimensions, targets, strict=True)]
        st.table(pd.DataFrame(rows).set_index(tr("common.dimension")))  # static: wraps instead of cutting
        st.caption(tr("results.scale_note"))


def _peer_note(q: Questionnaire, peer: PeerSummary, names: dict[tuple[str, str], str]) -> None:
    """Who the peer median is, or why it is missing: a hidden group is said, never silently left out."""
    too_few = tr("benchmark.too_few")
    if not peer.released:
        st.caption(tr("results.peer_not_released", round=peer.round_name))
        return
    if peer.suppressed:
        st.caption(tr("results.peer_too_few", round=peer.round_name, too_few=too_few, k=peer.min_group_size))
        return
    segment = segment_value_name(q, peer.segment, peer.segment_value, lang())
    st.caption(tr("results.peer_note", round=peer.round_name, peers="—" if peer.peers is None else peer.peers,
                  segment=segment))
    st.caption(estimate_note(lang(), peer.epsilon, peer.typical_error))
    hidden = [names[("dimension", d.id)] for d in q.dimensions
              if d.id in peer.dimensions and peer.dimensions[d.id].suppressed]
    if hidden:
        st.caption(tr("results.peer_dimension_hidden", dimensions="、".join(hidden) if lang() == "zh" else
                      ", ".join(hidden), too_few=too_few))


def _sub_and_principles(q: Questionnaire, result: AssessmentResult) -> None:
    """Sub-dimension radar (full width: 15 axes), then principles radar beside the lifecycle bars."""
    axes = _names(q, with_code=False)
    st.subheader(tr("results.detail_heading"))
    subs = [u for u in result.subdimensions if u.applicable]
    st.plotly_chart(radar(
        [_axis_label(axes[("subdimension", u.id)], u) for u in subs],
        [("current", tr("results.series_current"), [u.score for u in subs]),
         ("target", tr("results.series_target"),
          [shown_target(q, result, u) for u in subs])],
        title=tr("results.radar_subdimensions"), height=660), width="stretch", key="radar_subdimensions")
    left, right = st.columns([3, 2], gap="large")  # the principles radar needs the room: five long labels
    principles = [u for u in result.principles if u.applicable]
    with left:
        st.plotly_chart(radar(
            [_axis_label(axes[("principle", u.id)], u) for u in principles],
            [("current", tr("results.series_current"), [u.score for u in principles]),
             ("target", tr("results.series_target"), [u.target for u in principles])],
            title=tr("results.radar_principles"), height=500), width="stretch", key="radar_principles")
    stages = [u for u in result.stages if u.applicable]
    with right:
        st.plotly_chart(stage_bars(
            [_axis_label(axes[("stage", u.id)], u) for u in stages],
            (tr("results.series_current"), [u.score for u in stages]),
            (tr("results.series_target"), [u.target for u in stages]),
            title=tr("results.stages_chart"), height=500), width="stretch", key="stage_bars")


def _gap_rows(q: Questionnaire, result: AssessmentResult) -> list[dict[str, Any]]:
    """Every gap with the texts a reader needs, in the engine's priority order."""
    names = _names(q)
    rows = []
    for rank, g in enumerate(result.gaps, 1):
        question = q.question(g.question_id)
        advice = g.recommendation or question.recommendations[g.level]  # type: ignore[index]
        rows.append({"rank": rank, "gap": g, "question": qt(question.text), "advice": qt(advice),
                     "dimension": names[("dimension", g.dimension_id)],
                     "subdimension": names[("subdimension", g.subdimension_id)]})
    return rows


def _top_gaps(rows: list[dict[str, Any]], n: int = 5) -> None:
    """The first gaps in full sentences: what a manager reads first."""
    st.markdown(f"**{tr('results.top_gaps', n=min(n, len(rows)))}**")
    for row in rows[:n]:
        g = row["gap"]
        with st.container(border=True, key=f"top_gap_{row['rank']}"):
            st.markdown(tr("results.top_gap_line", rank=row["rank"], band=tr(f"results.band_{g.band}"),
                           id=g.question_id, level=g.level, target=fmt_score(g.target),
                           critical=f" · {tr('results.critical_tag')}" if g.critical else ""))
            st.write(row["question"])
            st.markdown(tr("results.advice_line", advice=row["advice"]))


def _gaps(q: Questionnaire, result: AssessmentResult) -> None:
    st.subheader(tr("results.gaps_heading"))
    st.caption(tr("results.gaps_help"))
    if not result.gaps:
        st.success(tr("results.no_gaps") if result.overall.scored else tr("results.no_scores"))
        return
    all_rows = _gap_rows(q, result)
    _top_gaps(all_rows)
    dim_names = {d.id: q.unit_label("dimension", d.id, lang()) for d in q.dimensions}
    f1, f2, f3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    keep_choice("gap_band", list(BANDS))
    keep_choice("gap_dimension", list(dim_names))
    band_names = {b: tr(f"results.band_{b}") for b in BANDS}
    bands = f1.multiselect(tr("results.filter_band"), list(BANDS), key="gap_band", format_func=band_names.__getitem__)
    dims = f2.multiselect(tr("results.filter_dimension"), list(dim_names), key="gap_dimension",
                          format_func=dim_names.__getitem__)
    critical_only = f3.toggle(tr("results.filter_critical"), key="gap_critical")
    table = []
    for row in all_rows:
        g = row["gap"]
        if g.band not in bands or g.dimension_id not in dims or (critical_only and not g.critical):
            continue
        table.append({
            tr("results.col_rank"): row["rank"],
            tr("results.col_band"): tr(f"results.band_{g.band}"),
            tr("results.col_question_id"): g.question_id,
            tr("common.question"): row["question"],
            tr("results.col_level"): g.level,
            tr("common.target"): g.target,
            tr("common.gap"): g.gap,
            tr("results.col_recommendation"): row["advice"],
            tr("results.col_critical"): tr("results.critical_yes") if g.critical else tr("results.critical_no"),
            tr("results.col_weight"): g.weight,
            tr("results.col_priority"): g.priority,
            tr("common.dimension"): row["dimension"],
            tr("common.subdimension"): row["subdimension"],
        })
    st.caption(tr("results.gaps_shown", shown=len(table), total=len(all_rows)))
    if not table:
        st.info(tr("results.gaps_filtered_out"))
        return
    number = st.column_config.NumberColumn
    # Rows four lines high: the question and the recommendation wrap instead of being cut after a few words.
    st.dataframe(pd.DataFrame(table), hide_index=True, width="stretch", key="gap_table", row_height=92, column_config={
        tr("results.col_rank"): number(format="%d", width="small"),
        tr("results.col_level"): number(format="%d", width="small"),
        tr("common.target"): number(format="%.2f", width="small"),
        tr("common.gap"): number(format="%.2f", width="small"),
        tr("results.col_weight"): number(format="%.2f", width="small"),
        tr("results.col_priority"): number(format="%.2f", width="small"),
        tr("common.question"): st.column_config.TextColumn(width="large"),
        tr("results.col_recommendation"): st.column_config.TextColumn(width="large"),
    })


def _to_answer(q: Questionnaire, result: AssessmentResult, view: AssessmentView) -> None:
    st.subheader(tr("results.to_answer_heading"))
    if not result.to_answer:
        st.success(tr("results.all_answered"))
        return
    st.warning(tr("results.to_answer_intro", n=len(result.to_answer)))
    by_sub: dict[str, list[str]] = {}
    for qid in result.to_answer:
        by_sub.setdefault(q.dimension_of(qid)[1].id, []).append(qid)
    names = _names(q)
    for d in q.dimensions:
        for s in d.subdimensions:
            if s.id in by_sub:
                ids = by_sub[s.id]
                st.page_link("app_pages/questionnaire.py", icon=":material/edit_note:",
                             query_params={"assessment": str(view.id), "sub": s.id},
                             label=tr("results.to_answer_link", sub=f"{names[('dimension', d.id)]} › {names[('subdimension', s.id)]}",
                                      n=len(ids), ids=", ".join(ids)))


def _why_questions_below(q: Questionnaire, result: AssessmentResult, u: UnitScore,
                         names: dict[tuple[str, str], str]) -> None:
    """The questions behind a roll-up: each scored sub-dimension's answered questions, with their weights."""
    dims = {d.id: {s.id for s in d.subdimensions} for d in q.dimensions}
    subs = [s for s in result.subdimensions if s.score is not None and (u.kind == "overall" or s.id in dims[u.id])]
    rows = [{tr("results.kind_subdimension"): names[("subdimension", s.id)],
             tr("results.col_question_id"): w.id, tr("common.question"): qt(q.question(w.id).text),
             tr("results.col_weight"): w.weight, tr("results.col_level"): level_name(q, int(w.level))}
            for s in subs for w in s.why if w.level is not None]
    with st.expander(tr("results.why_questions_below", n=len(rows))):
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="why_questions_below")


def _why(q: Questionnaire, result: AssessmentResult, view: AssessmentView) -> None:
    st.subheader(tr("results.why_heading"))
    names = _names(q)
    units: list[UnitScore] = [result.overall, *result.dimensions, *result.subdimensions, *result.principles,
                              *result.stages]
    keys = [f"{u.kind}:{u.id}" for u in units]
    by_key = dict(zip(keys, units, strict=True))
    keep_choice("why_unit")
    if st.session_state.get("why_unit") not in keys:
        st.session_state["why_unit"] = keys[0]
    labels = {k: tr_plain("results.why_option", kind=tr(f"results.kind_{u.kind}"), name=names[(u.kind, u.id)],
                    score=fmt_score(u.score)) for k, u in by_key.items()}
    key = st.selectbox(tr("results.why_pick"), keys, key="why_unit", format_func=labels.__getitem__)
    u = by_key[key]
    st.markdown(tr("results.why_summary", score=fmt_score(u.score), level=unit_level(q, u),
                   target=fmt_score(u.target), applicable=u.applicable, answered=u.answered, na=u.na))
    if u.kind in ("overall", "dimension"):
        child = "dimension" if u.kind == "overall" else "subdimension"
        rows = [{tr(f"results.kind_{child}"): names[(child, w.id)], tr("results.col_weight"): w.weight,
                 tr("common.score"): fmt_score(w.level)} for w in u.why]
        st.caption(tr("results.why_rollup"))
    else:
        rows = [{tr("results.col_question_id"): w.id, tr("common.question"): qt(q.question(w.id).text),
                 tr("results.col_weight"): w.weight, tr("results.col_level"): level_name(q, int(w.level))}
                for w in u.why if w.level is not None]
        st.caption(tr("results.why_questions"))
    if rows:
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="why_table")
    else:
        st.info(tr("results.why_nothing"))
    if u.kind in ("overall", "dimension") and rows:
        _why_questions_below(q, result, u, names)
    if u.na or u.applicable > u.answered:
        st.caption(tr("results.why_excluded", na=u.na, open=u.applicable - u.answered))


def _history(q: Questionnaire, result: AssessmentResult, view: AssessmentView, points: list[HistoryPoint]) -> None:
    st.subheader(tr("results.history_heading"))
    before = [p for p in points if p.assessment_id != view.id
              and (view.submitted_at is None or (p.submitted_at or view.submitted_at) <= view.submitted_at)]
    if not before:
        st.info(tr("results.no_previous"))
        return
    prev = before[-1]
    names = _names(q)
    current = {u.id: u.score for u in result.dimensions}
    rows = [("overall", tr_plain("results.overall"), prev.overall, result.overall.score)]
    rows += [(d.id, names[("dimension", d.id)], prev.dimensions.get(d.id), current.get(d.id))
             for d in q.dimensions]
    st.caption(tr("results.compared_with", id=prev.assessment_id, title=prev.title or tr("assessments.untitled"),
                  at=fmt_time(prev.submitted_at)))
    # scores on different questionnaire versions are compared only for units with the same questions
    apart = not_comparable_units(view.questionnaire_id, prev.questionnaire_version or view.questionnaire_version,
                                 view.questionnaire_version)
    if apart:
        shown_apart = [name for uid, name, _, _ in rows if uid in apart]
        st.caption(tr("results.history_not_comparable", old=prev.questionnaire_version,
                      new=view.questionnaire_version, units=", ".join(shown_apart) or "—"))
    st.dataframe(pd.DataFrame([{
        tr_plain("results.col_unit"): name,
        tr_plain("results.col_previous"): fmt_score(old),
        tr_plain("results.col_current"): fmt_score(new),
        tr_plain("results.col_delta"): tr_plain("results.not_comparable") if uid in apart else (
            "—" if old is None or new is None else f"{new - old:+.2f}"),
    } for uid, name, old, new in rows]), hide_index=True, width="stretch", key="delta_table")
    shown = [p for p in points if view.submitted_at is None or p.assessment_id == view.id or p in before]
    versions = {p.questionnaire_version for p in shown} | {view.questionnaire_version}
    labels = [f"#{p.assessment_id} {fmt_time(p.submitted_at)[:10]}" + (f" v{p.questionnaire_version}"
                                                                      if len(versions) > 1 else "")
              for p in shown]
    overall = [p.overall for p in shown]
    per_dim = {d.id: [p.dimensions.get(d.id) for p in shown] for d in q.dimensions}
    if view.status == AssessmentStatus.DRAFT:
        labels.append(f"#{view.id} {tr('results.draft_point')}")
        overall.append(result.overall.score)
        for d in q.dimensions:
            per_dim[d.id].append(current.get(d.id))
    series = [(tr("results.overall"), overall)]
    axes = _names(q, with_code=False)  # a chart legend: the name alone
    series += [(axes[("dimension", d.id)], per_dim[d.id]) for d in q.dimensions]
    st.plotly_chart(trend(labels, series, title=tr("results.trend_chart")), width="stretch", key="trend")


COVERAGE = {"full": "excel.summary.readiness_full", "partial": "excel.summary.readiness_partial",
            "none": "excel.summary.readiness_none"}


def _readiness(frameworks: tuple[FrameworkReadiness, ...]) -> None:
    """Per framework: a summary row, and (folded) every item with coverage, level and the questions citing it."""
    st.subheader(tr("results.readiness_heading"))
    st.caption(tr("results.readiness_intro") + " " + tr("excel.summary.readiness_note"))
    rows = []
    for fw in frameworks:
        s = fw.summary
        rows.append({tr_plain("excel.summary.readiness_framework"): fw.name.get(lang()) or fw.name["en"],
                     tr_plain("excel.summary.readiness_items"): s.items,
                     tr_plain("excel.summary.readiness_full"): s.covered_fully,
                     tr_plain("excel.summary.readiness_partial"): s.covered_partly,
                     tr_plain("excel.summary.readiness_none"): s.not_covered,
                     **{tr_plain(readiness_band_key(b)): s.counts[b] for b in LISTED_BANDS},
                     tr_plain("excel.summary.readiness_share"): fmt_pct(s.ready_share)})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="readiness_table")
    for fw in frameworks:
        name = fw.name.get(lang()) or fw.name["en"]
        with st.expander(tr("results.readiness_items_of", framework=name)):
            st.dataframe(pd.DataFrame([{
                tr_plain("excel.summary.readiness_item"): it.id,
                tr_plain("excel.summary.readiness_title"): it.title if lang() == "zh" else it.title_en,
                tr_plain("excel.summary.readiness_coverage"): tr_plain(COVERAGE[it.coverage]),
                tr_plain("excel.summary.readiness_level"): "—" if it.level is None else str(it.level),
                tr_plain("excel.summary.readiness_band"): tr_plain(readiness_band_key(it.band)),
                tr_plain("excel.summary.readiness_questions"): citations_text(it.citations, lang()),
            } for it in fw.items]), hide_index=True, width="stretch", key=f"readiness_{fw.scheme}")


def _export(who: Actor, view: AssessmentView, summary_filename: str) -> None:
    """The Excel summary and the PDF management report, each built when its button is clicked."""
    language = lang()
    deferred_download(tr("results.download_excel"), lambda: summary_xlsx(engine(), who, view.id, language),
                      key="results_xlsx", file_name=summary_filename, mime=XLSX_MIME,
                      help_text=tr("results.excel_help"))
    deferred_download(tr("reports.download_pdf"), lambda: management_report_pdf(engine(), who, view.id, language),
                      key="results_pdf", file_name=report_filename(view, language), mime=PDF_MIME,
                      help_text=tr("reports.pdf_help"))


def main() -> None:
    who = actor()
    st.title(tr("results.title"))
    view = current_assessment(who, read=_read)
    if view is None:
        st.info(tr("results.no_assessment"))
        st.page_link("app_pages/assessments.py", label=tr("nav.assessments"), icon=":material/list_alt:")
        return
    st.caption(assessment_caption(view))
    q = assessment_questionnaire(view)
    page = _page(who, view.id)  # the run's one read (current_assessment made it)
    result = page.state.result
    _export(who, view, page.summary_filename)
    if view.status == AssessmentStatus.DRAFT:
        st.caption(tr("results.draft_note"))
    _metrics(q, result)
    if not result.overall.scored:
        st.info(tr("results.no_scores"))
    _dimensions(q, result, who, view)
    _sub_and_principles(q, result)
    _gaps(q, result)
    _readiness(page.readiness)
    render_action_plan(who, view, q, result, page.actions, page.owners)
    _to_answer(q, result, view)
    _why(q, result, view)
    _history(q, result, view, page.history)
    render_comparison(view, q, page.comparison)


guarded(main)
