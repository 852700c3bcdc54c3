"""Overview: what the platform does, the questionnaire, and the organisation's latest assessment."""

from __future__ import annotations

import streamlit as st

from app_pages.assessment_context import unit_level
from app_pages.common import actor, current_org_id, engine, fmt_pct, fmt_score, qt, questionnaire, tr
from enums import AssessmentStatus
from services.accounts import get_user
from services.assessments import list_assessments
from services.results import assessment_result

who = actor()
q = questionnaire()
st.title(tr("app.title"))
st.caption(tr("home.welcome", user=get_user(engine(), who.user_id).display_name if who.user_id else who.username))
st.write(tr("home.intro"))
st.info(tr("home.questionnaire_info", title=qt(q.meta.title), id=q.id, version=q.version,
           dims=len(q.dimensions), subs=sum(len(d.subdimensions) for d in q.dimensions), n=len(q.questions())))

st.subheader(tr("home.steps_heading"))
for i, key in enumerate(("home.step1", "home.step2", "home.step3"), 1):
    st.markdown(f"{i}. {tr(key)}")

org_id = current_org_id()
if org_id is None:
    st.warning(tr("common.no_org"))
    st.page_link("app_pages/profile.py", label=tr("nav.profile"), icon=":material/business:")
else:
    st.subheader(tr("home.latest"))
    assessments = list_assessments(engine(), who, org_id)
    if not assessments:
        st.write(tr("home.no_assessment"))
        st.page_link("app_pages/assessments.py", label=tr("home.start"), icon=":material/play_arrow:")
    else:
        latest = assessments[0]
        result = assessment_result(engine(), who, latest.id)
        c1, c2, c3, c4 = st.columns(4)
        c1.metric(tr("common.score"), fmt_score(result.overall.score))
        c2.metric(tr("common.level"), unit_level(q, result.overall))
        c3.metric(tr("results.completeness"), fmt_pct(result.completeness))
        c4.metric(tr("results.percent_to_target"), fmt_pct(result.percent_to_target))
        st.caption(tr("home.latest_caption", id=latest.id, title=latest.title, status=tr(f"common.{latest.status}")))
        params = {"assessment": str(latest.id)}
        if latest.status == AssessmentStatus.DRAFT:
            st.page_link("app_pages/questionnaire.py", label=tr("home.continue"), query_params=params,
                         icon=":material/edit_note:")
        st.page_link("app_pages/results.py", label=tr("home.view_results"), query_params=params,
                     icon=":material/radar:")
