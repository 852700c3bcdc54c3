"""The organisation's assessments: list with scores, start a new one, open, submit, reopen, delete drafts.

Irreversible or state-changing actions (submit, delete) ask for a confirmation first.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from app_pages.assessment_context import SESSION_KEY, fmt_time, form_name, keep_choice, unit_level
from app_pages.common import (
    actor,
    attempt,
    current_org_id,
    engine,
    flash,
    fmt_pct,
    fmt_score,
    guarded,
    questionnaire,
    show_error,
    show_flash,
    tr,
    tr_plain,
)
from enums import AssessmentForm, AssessmentStatus
from services.access import Actor
from services.assessment_titles import rename_assessment
from services.assessments import (
    AssessmentView,
    create_assessment,
    delete_assessment,
    list_assessments,
    reopen,
    submit,
)
from services.errors import ServiceError
from services.results import assessment_result
from services.rounds import round_of

CONFIRM = "assessments_confirm"  # (action, assessment id) awaiting confirmation


def _flash(message: str) -> None:
    flash(message)


def _start(who: Actor, org_id: int, rows: list[AssessmentView]) -> None:
    """The 'start a new assessment' form; on success opens the questionnaire of the new draft."""
    with st.form("new_assessment", enter_to_submit=False, border=True):
        st.subheader(tr("assessments.new_heading"))
        title = st.text_input(tr("assessments.title_label"), key="new_title", max_chars=200,
                              placeholder=tr("assessments.title_placeholder"))
        forms = {f: _form_help(f) for f in (AssessmentForm.CORE, AssessmentForm.FULL)}
        keep_choice("new_form")
        form = st.radio(tr("assessments.form_label"), list(forms), format_func=forms.__getitem__, key="new_form")
        carry: int | None = None
        if rows:  # any earlier assessment, newest first; none by default
            sources = {a.id: tr_plain("assessments.carry_option", id=a.id, title=a.title or tr_plain("assessments.untitled"),
                                      status=tr_plain(f"common.{a.status}"), at=fmt_time(a.submitted_at or a.updated_at))
                       for a in rows}
            carry = st.selectbox(tr("assessments.carry_from"), [None, *sources], key="new_carry",
                                 format_func=lambda i: tr_plain("assessments.carry_none") if i is None else sources[i],
                                 help=tr("assessments.carry_forward_help"))
        if st.form_submit_button(tr("assessments.start"), type="primary"):
            try:
                view = create_assessment(engine(), who, org_id, form=form, title=title,
                                         carry_forward_from=carry)
            except ServiceError as exc:
                show_error(exc)
                return
            st.session_state[SESSION_KEY] = view.id
            st.switch_page("app_pages/questionnaire.py", query_params={"assessment": str(view.id)})


def _form_help(form: AssessmentForm) -> str:
    q = questionnaire()
    n = len(q.questions()) if form == AssessmentForm.FULL else sum(x.core for x in q.questions())
    return tr("assessments.form_option", form=form_name(form), n=n)


def _table(who: Actor, rows: list[AssessmentView]) -> None:
    """Every assessment in one sortable table, with its overall score."""
    records = []
    for a in rows:
        result = assessment_result(engine(), who, a.id)
        q = questionnaire(a.questionnaire_id, a.questionnaire_version)
        records.append({
            "id": a.id,
            tr("assessments.col_title"): a.title or tr("assessments.untitled"),
            tr("common.status"): tr(f"common.{a.status}"),
            tr("assessments.col_form"): form_name(a.form),
            tr("assessments.col_version"): a.questionnaire_version,
            tr("common.created"): fmt_time(a.created_at),
            tr("common.updated"): fmt_time(a.updated_at),
            tr("assessments.col_submitted"): fmt_time(a.submitted_at) if a.submitted_at else "—",
            tr("common.score"): fmt_score(result.overall.score),
            tr("common.level"): unit_level(q, result.overall),
            tr("assessments.col_completeness"): fmt_pct(result.completeness),
        })
    st.dataframe(pd.DataFrame(records), hide_index=True, width="stretch",
                 column_config={"id": st.column_config.NumberColumn("#", format="%d", width="small")})


def _actions(who: Actor, rows: list[AssessmentView]) -> None:
    """Pick one assessment and act on it: open, submit, reopen, delete."""
    st.subheader(tr("assessments.actions_heading"))
    ids = [a.id for a in rows]
    by_id = {a.id: a for a in rows}
    remembered = st.session_state.get(SESSION_KEY)
    keep_choice("assess_pick")
    if st.session_state.get("assess_pick") not in ids:
        st.session_state["assess_pick"] = remembered if remembered in ids else ids[0]
    labels = {a.id: f"#{a.id} {a.title or tr('assessments.untitled')} · {tr('common.' + a.status)}" for a in rows}
    aid = st.selectbox(tr("assessments.pick"), ids, key="assess_pick", format_func=labels.__getitem__)
    a = by_id[aid]
    st.session_state[SESSION_KEY] = a.id
    params = {"assessment": str(a.id)}
    links = st.columns(2)
    links[0].page_link("app_pages/questionnaire.py", query_params=params, icon=":material/edit_note:",
                       label=tr("assessments.open_questionnaire" if a.status == AssessmentStatus.DRAFT else "assessments.view_answers"))
    links[1].page_link("app_pages/results.py", query_params=params, icon=":material/radar:",
                       label=tr("assessments.open_results"))
    admin = who.can_admin_org(a.organisation_id)
    buttons = st.columns(3)
    if a.status == AssessmentStatus.DRAFT:
        if buttons[0].button(tr("assessments.submit"), key="act_submit", type="primary"):
            st.session_state[CONFIRM] = ("submit", a.id)
        if admin and buttons[1].button(tr("assessments.delete"), key="act_delete"):
            st.session_state[CONFIRM] = ("delete", a.id)
    elif admin:
        _reopen_button(who, a, buttons[0])
    if not admin:
        st.caption(tr("assessments.admin_only"))
    _rename(who, a, admin)
    _confirm(who, a)


def _rename(who: Actor, a: AssessmentView, admin: bool) -> None:
    """Give the chosen assessment a clearer title (drafts: every member; submitted: administrators)."""
    if a.status != AssessmentStatus.DRAFT and not admin:
        return
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    title = left.text_input(tr("assessments.rename_label"), value=a.title, max_chars=200, key=f"rename_{a.id}")
    if right.button(tr("assessments.rename"), key="act_rename"):
        _run(lambda: rename_assessment(engine(), who, a.id, title), tr("assessments.renamed", id=a.id))


def _reopen_button(who: Actor, a: AssessmentView, place: DeltaGenerator) -> None:
    """Reopen, except while the assessment's benchmarking round is closed (the service refuses it too)."""
    rnd = round_of(engine(), a)  # ``a`` was listed for ``who`` by list_assessments
    closed = rnd is not None and not rnd.is_open
    if place.button(tr("assessments.reopen"), key="act_reopen", disabled=closed):
        _run(lambda: reopen(engine(), who, a.id), tr("assessments.reopened", id=a.id))
    if rnd is not None and closed:
        st.caption(tr("assessments.reopen_closed_help", round=rnd.name))


def _confirm(who: Actor, a: AssessmentView) -> None:
    pending = st.session_state.get(CONFIRM)
    if not pending or pending[1] != a.id:
        return
    action = pending[0]
    with st.container(border=True):
        if action == "submit":
            open_count = len(assessment_result(engine(), who, a.id).to_answer)
            st.warning(tr("assessments.confirm_submit", n=open_count))
        else:
            st.warning(tr("assessments.confirm_delete", id=a.id, title=a.title or tr("assessments.untitled")))
        yes, no = st.columns(2)
        if yes.button(tr(f"assessments.confirm_{action}_button"), key="confirm_yes", type="primary"):
            st.session_state.pop(CONFIRM, None)
            if action == "submit":
                _run(lambda: submit(engine(), who, a.id), tr("assessments.submitted", id=a.id))
            else:
                st.session_state.pop(SESSION_KEY, None)
                st.session_state.pop("assess_pick", None)
                _run(lambda: delete_assessment(engine(), who, a.id), tr("assessments.deleted", id=a.id))
        if no.button(tr("common.cancel"), key="confirm_no"):
            st.session_state.pop(CONFIRM, None)
            st.rerun()


def _run(action: Callable[[], object], message: str) -> None:
    """An action that changes the list: on success, a notice and a fresh list; on failure, the error."""
    if attempt(lambda: action() or True) is None:
        return
    _flash(message)
    st.rerun()


def main() -> None:
    who = actor()
    st.title(tr("assessments.title"))
    st.caption(tr("assessments.intro"))
    show_flash()
    org_id = current_org_id()
    if org_id is None:
        st.warning(tr("common.no_org"))
        return
    rows = list_assessments(engine(), who, org_id)
    if rows:
        _table(who, rows)
        _actions(who, rows)
    else:
        st.info(tr("assessments.none_yet"))
    _start(who, org_id, rows)


guarded(main)
