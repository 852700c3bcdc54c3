"""Round-over-round comparison section of the results page (not a page of its own).

Everything comes from services.comparison (compare_in, read with the page; the management report
calls compare, the same computation), so the
page and the PDF show the same changes; a unit whose change disappears in the two-decimal
rounding reads "no change".
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.assessment_context import fmt_time, level_name
from app_pages.common import fmt_score, lang, qt, tr, tr_plain
from charts import radar
from questionnaires import Questionnaire
from scoring.display import format_delta
from services.assessments import AssessmentView
from services.comparison import ChangedAnswer, Comparison, UnitDelta


def answer_text(q: Questionnaire, level: int | None, na: bool) -> str:
    if na:
        return tr_plain("compare.na")
    return tr_plain("compare.unanswered") if level is None else f"{level} {level_name(q, level)}"


def change_text(u: UnitDelta) -> str:
    if u.change == "not_comparable":
        return tr_plain("compare.not_comparable")
    if u.change == "no_change":
        return tr_plain("compare.no_change")
    return format_delta(u.delta)


def _question_text(q: Questionnaire, qid: str) -> str:
    """The question's text in this assessment's questionnaire ("—" for a question only the previous version asked)."""
    try:
        return qt(q.question(qid).text)
    except KeyError:
        return "—"


def _changed_rows(q: Questionnaire, changes: tuple[ChangedAnswer, ...]) -> pd.DataFrame:
    return pd.DataFrame([{
        tr("results.col_question_id"): c.question_id,
        tr("common.question"): _question_text(q, c.question_id),
        tr("compare.col_from"): answer_text(q, c.from_level, c.from_na),
        tr("compare.col_to"): answer_text(q, c.to_level, c.to_na),
        tr("compare.col_who"): c.changed_by or "—",
        tr("compare.col_when"): fmt_time(c.changed_at) if c.changed_at else "—",
    } for c in changes])


def render_comparison(view: AssessmentView, q: Questionnaire, comp: Comparison | None) -> None:
    """``comp`` (services.comparison, read with the page): against the previous submitted assessment."""
    st.subheader(tr("compare.heading"))
    if comp is None:
        st.info(tr("results.no_previous"))
        return
    labels, axes = q.unit_labels(lang()), q.unit_labels(lang(), with_code=False)  # table vs chart axis
    st.caption(tr("compare.against", id=comp.previous_id, at=fmt_time(comp.previous_submitted_at)))
    st.text(comp.previous_title or tr_plain("assessments.untitled"))
    dims = [u for u in comp.units if u.kind == "dimension"]
    left, right = st.columns([4, 3], gap="medium")
    with left:
        st.plotly_chart(radar([axes.get((u.kind, u.id), u.id) for u in dims], [
            ("previous", tr_plain("compare.series_previous", id=comp.previous_id), [u.previous for u in dims]),
            ("current", tr_plain("compare.series_current", id=view.id), [u.current for u in dims]),
        ], title=tr("compare.radar")), width="stretch", key="radar_compare")
    with right:
        st.dataframe(pd.DataFrame([{
            tr("results.col_unit"): tr_plain("results.overall") if u.kind == "overall" else labels.get((u.kind, u.id), u.id),
            tr("results.col_previous"): fmt_score(u.previous),
            tr("results.col_current"): fmt_score(u.current),
            tr("compare.col_change"): change_text(u),
        } for u in comp.units]), hide_index=True, width="stretch", key="compare_units")
        st.caption(tr("compare.rounding_note"))
    st.markdown(f"**{tr('compare.changed_heading', n=len(comp.changed_answers))}**")
    if comp.changed_answers:
        st.dataframe(_changed_rows(q, comp.changed_answers), hide_index=True, width="stretch",
                     key="compare_answers")
    else:
        st.caption(tr("compare.no_changed_answers"))
