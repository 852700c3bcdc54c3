"""Peer comparison (member view): join an association, take part in its rounds, compare with peers.

The member sees its own scores against statistics of its peers; it never sees another member's
name or answers (``services.peer_comparison.member_comparison`` loads no names at all).
"""

from __future__ import annotations

import streamlit as st

from app_pages.benchmark_tables import show_table
from app_pages.common import (
    XLSX_MIME,
    actor,
    attempt,
    current_org_id,
    current_org_name,
    deferred_download,
    engine,
    flash,
    guarded,
    lang,
    query_int,
    questionnaire,
    show_flash,
    tr,
    tr_plain,
)
from benchmarking.labels import close_first_help, estimate_note, group_name, segment_field_name, unit_label
from benchmarking.statistics import MemberStats
from benchmarking.tables import close_first_table, position_table
from charts.benchmark import band_radar
from enums import AssessmentStatus
from questionnaires import Questionnaire
from services.access import Actor
from services.assessments import list_assessments
from services.associations import AssociationView, join_association, leave_association, member_associations
from services.benchmark_workbooks import peer_xlsx
from services.errors import NotFound
from services.exports import file_label
from services.peer_comparison import SEGMENTS, member_comparison
from services.round_members import (
    SHARING,
    MemberRound,
    member_rounds,
    set_sharing,
    start_round_assessment,
    submit_to_round,
)


def _join(who: Actor, org_id: int) -> None:
    if not who.can_admin_org(org_id):
        return
    with st.expander(tr("benchmark.peers.join_heading")), st.form("join_association", enter_to_submit=False):
        code = st.text_input(tr("benchmark.peers.join_code"), key="join_code", placeholder="ABCD-EFGH-JKLM")
        if st.form_submit_button(tr("benchmark.peers.join_button")) and \
                (a := attempt(lambda: join_association(engine(), who, org_id, code))) is not None:
            st.success(tr("benchmark.peers.joined", name=a.name))


LEAVING = "peers_leaving"  # the association whose leaving waits for the administrator's confirmation


def _leave(who: Actor, org_id: int, assocs: list[AssociationView]) -> None:
    """Leave an association (organisation administrators): pick it, read what leaving does, confirm.

    What happens to the organisation's submissions follows docs/benchmarking.md ("Leaving"): they
    stay its own, drop out of the association's next releases, and releases already published stay
    as they were. The confirmation says so before anything changes.
    """
    if not who.can_admin_org(org_id):
        return
    by_id = {a.id: a for a in assocs}
    pending = by_id.get(st.session_state.get(LEAVING, -1))
    if pending is not None:
        with st.container(border=True):
            st.warning(tr("benchmark.peers.leave_confirm", name=pending.name))
            yes, no = st.columns(2)
            if yes.button(tr("benchmark.peers.leave_confirm_button"), key="leave_yes", type="primary"):
                st.session_state.pop(LEAVING, None)

                def leave() -> bool:
                    leave_association(engine(), who, org_id, pending.id)
                    return True

                if attempt(leave):
                    st.query_params.pop("round", None)  # a round of the association just left is no longer shown
                    flash(tr("benchmark.peers.left", name=pending.name), rerun=True)
            if no.button(tr("common.cancel"), key="leave_no"):
                st.session_state.pop(LEAVING, None)
                st.rerun()
        return
    with st.expander(tr("benchmark.peers.leave_heading")):
        names = {a.id: a.name for a in assocs}
        pick = st.selectbox(tr("benchmark.peers.leave_pick"), list(names), format_func=names.__getitem__,
                            key="leave_pick")
        if st.button(tr("benchmark.peers.leave_button"), key="leave_ask"):
            st.session_state[LEAVING] = pick
            st.rerun()


def _sharing_label(mode: str) -> str:
    return tr(f"benchmark.sharing.{mode}")


def _sharing_labels() -> dict[str, str]:
    """Labels fixed for this run: a widget's format_func may be called again outside the run."""
    return {m: _sharing_label(m) for m in SHARING}


def _take_part(who: Actor, org_id: int, mr: MemberRound) -> None:
    r = mr.round
    st.markdown(tr("benchmark.peers.round_heading", name=r.name, association=r.association_name))
    deadline = r.deadline.strftime("%Y-%m-%d") if r.deadline else "—"
    st.caption(tr("benchmark.peers.round_open_caption", deadline=deadline))
    admin = who.can_admin_org(org_id)
    submitted = [a for a in list_assessments(engine(), who, org_id) if a.status == AssessmentStatus.SUBMITTED]
    with st.form(f"take_part_{r.id}", enter_to_submit=False):
        sharing = st.radio(tr("benchmark.peers.sharing_label"), list(SHARING), format_func=_sharing_labels().get,
                           key=f"sharing_new_{r.id}", disabled=not admin, horizontal=True)
        st.caption(tr("benchmark.peers.sharing_help") if admin else tr("benchmark.peers.sharing_admin_only"))
        carry = None
        if submitted:
            carry = st.checkbox(tr("benchmark.peers.carry_forward", title=submitted[0].title or f"#{submitted[0].id}"),
                                value=True, key=f"carry_{r.id}")
        if st.form_submit_button(tr("benchmark.peers.start_button"), type="primary") and (view := attempt(
                lambda: start_round_assessment(engine(), who, org_id, r.id, sharing=sharing,
                                                  carry_forward_from=submitted[0].id if carry else None))) is not None:
            st.switch_page("app_pages/questionnaire.py", query_params={"assessment": str(view.id)})


def _own_round(who: Actor, org_id: int, mr: MemberRound) -> None:
    r = mr.round
    assert mr.assessment_id is not None and mr.status is not None and mr.sharing is not None
    aid = mr.assessment_id
    st.caption(tr("benchmark.peers.own_caption", id=mr.assessment_id, status=tr(f"common.{mr.status}"),
                  sharing=_sharing_label(mr.sharing), round_status=tr(f"benchmark.status.{r.status}")))
    params = {"assessment": str(mr.assessment_id)}
    if mr.status != AssessmentStatus.DRAFT:
        return
    links = st.columns(2)
    links[0].page_link("app_pages/questionnaire.py", label=tr("benchmark.peers.answer_link"), query_params=params,
                       icon=":material/edit_note:")
    if who.can_admin_org(org_id):
        with st.form(f"sharing_{mr.assessment_id}", enter_to_submit=False):
            modes: list[str] = list(SHARING)
            choice = st.radio(tr("benchmark.peers.sharing_label"), modes, index=modes.index(mr.sharing),
                              format_func=_sharing_labels().__getitem__, key=f"sharing_edit_{mr.assessment_id}",
                              horizontal=True) or mr.sharing
            st.caption(tr("benchmark.peers.sharing_help"))
            if st.form_submit_button(tr("benchmark.peers.change_sharing")) and \
                    attempt(lambda: set_sharing(engine(), who, aid, choice)) is not None:
                flash(tr("benchmark.peers.sharing_saved", sharing=_sharing_label(choice)), rerun=True)
    if r.is_open:
        if st.button(tr("benchmark.peers.submit_button"), key=f"submit_{aid}", type="primary") and \
                attempt(lambda: submit_to_round(engine(), who, aid)) is not None:
            flash(tr("benchmark.peers.submitted_ok"), rerun=True)
    else:
        st.info(tr("benchmark.peers.round_closed_note"))


def _comparison(who: Actor, mr: MemberRound) -> None:
    assert mr.assessment_id is not None
    st.subheader(tr("benchmark.peers.compare_heading"))
    segments = {s: segment_field_name(s, lang()) for s in SEGMENTS}
    segment = st.selectbox(tr("benchmark.peers.segment_label"), list(segments), key="peer_segment",
                           format_func=segments.__getitem__) or "auto"
    comp = member_comparison(engine(), who, mr.assessment_id, segment)
    s = comp.stats
    q = questionnaire(comp.round.questionnaire_id, comp.round.questionnaire_version)
    if not s.released:
        st.info(tr("benchmark.peers.no_release"))
        return
    label = group_name(q, s, lang())
    if comp.assessment_status == AssessmentStatus.DRAFT:
        st.caption(tr("benchmark.peers.draft_note"))
    if s.suppressed:
        st.warning(tr("benchmark.peers.suppressed", group=label, k=comp.min_group_size))
        return
    if s.peers is not None:
        st.caption(tr("benchmark.peers.group_caption", group=label, n=s.peers))
    st.info(estimate_note(lang(), s.epsilon, s.typical_error))
    dims = [u for u in s.own if u != "overall"]
    st.plotly_chart(band_radar(
        [unit_label(q, d, lang(), with_code=False) for d in dims], median=[s.units[d].median for d in dims],
        p25=[s.units[d].p25 for d in dims], p75=[s.units[d].p75 for d in dims], own=[s.own[d] for d in dims],
        show_p75_line=True, too_few=tr("benchmark.too_few"), title=tr("benchmark.peers.radar_title"),
        names={"band": tr("benchmark.band"), "median": tr("benchmark.peers.peer_median"),
               "p75": tr("benchmark.peers.peer_p75"), "own": tr("benchmark.peers.own")}),
        width="stretch", key="peer_radar")
    _positions(q, s)
    _close_first(q, s)
    _download(who, mr.assessment_id, segment)


def _positions(q: Questionnaire, s: MemberStats) -> None:
    """Own scores against the released peer figures, and where the own score lies among them.

    The position is read off the *released* quantiles only: it tells the member nothing the
    release does not already tell, however often it resubmits (docs/benchmarking.md).
    """
    show_table(position_table(q, s, lang()), key="peer_positions")


def _close_first(q: Questionnaire, s: MemberStats) -> None:
    st.subheader(tr("benchmark.peers.close_first_heading"))
    st.caption(close_first_help(s, lang()))
    show_table(close_first_table(q, s, lang()), key="close_first")


def _download(who: Actor, assessment_id: int, segment: str) -> None:
    language = lang()
    deferred_download(tr("benchmark.peers.download"),
                      lambda: peer_xlsx(engine(), who, assessment_id, language, segment), key="peer_xlsx",
                      file_name=f"{file_label(current_org_name())}-aigov-peer-comparison-{assessment_id}-{language}.xlsx",
                      mime=XLSX_MIME, help_text=tr("benchmark.peers.download_help"))


def main() -> None:
    who = actor()
    org_id = current_org_id()
    st.title(tr("benchmark.peers.title"))
    st.caption(tr("benchmark.peers.intro"))
    show_flash()
    if org_id is None:
        st.warning(tr("common.no_org"))
        return
    wanted = None
    if st.query_params.get("round") is not None:
        wanted = query_int("round")
        rounds = member_rounds(engine(), who, org_id)
        if wanted not in [mr.round.id for mr in rounds]:  # another association's round, or malformed
            raise NotFound(object="round", id=str(st.query_params.get("round")))
    _join(who, org_id)
    assocs = member_associations(engine(), who, org_id)
    if not assocs:
        st.info(tr("benchmark.peers.no_association"))
        return
    st.caption(tr("benchmark.peers.member_of", names="、".join(a.name for a in assocs)))
    _leave(who, org_id, assocs)
    rounds = member_rounds(engine(), who, org_id)
    if not rounds:
        st.info(tr("benchmark.peers.no_rounds"))
        return
    by_id = {mr.round.id: mr for mr in rounds}
    ids = list(by_id)
    if st.session_state.get("peers_round") not in ids or (wanted is not None and
                                                           st.session_state.get("peers_round_url") != wanted):
        st.session_state["peers_round"] = wanted if wanted in ids else ids[0]
    st.session_state["peers_round_url"] = wanted
    labels = {i: tr_plain("benchmark.peers.round_label", name=mr.round.name, association=mr.round.association_name,
                          status=tr(f"benchmark.status.{mr.round.status}")) for i, mr in by_id.items()}
    chosen = st.selectbox(tr("benchmark.peers.round_pick"), ids, key="peers_round", format_func=labels.__getitem__)
    if chosen is None:
        return
    st.query_params["round"] = str(chosen)
    mr = by_id[chosen]
    if mr.assessment_id is None:
        if mr.round.is_open:
            _take_part(who, org_id, mr)
        else:
            st.info(tr("benchmark.peers.not_taken_part"))
        return
    _own_round(who, org_id, mr)
    _comparison(who, mr)


guarded(main)
