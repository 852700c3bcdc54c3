"""Members and audit history of the current organisation (organisation administrators).

Members: who has which role; add an existing account, change a role, remove; create an account
for a new colleague. Audit history: every answer change of an assessment (who, when, old → new),
filterable and downloadable as CSV. ``?assessment=<id>`` opens an assessment's history directly;
an id outside the current organisation shows "not found".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

import pandas as pd
import streamlit as st

from app_pages.assessment_context import fmt_time
from app_pages.common import (
    actor,
    current_org_id,
    engine,
    flash,
    guarded,
    lang,
    query_int,
    show_error,
    show_flash,
    tr,
    tr_plain,
)
from enums import OrgRole
from excel.audit_csv import history_csv, history_headers, history_rows
from services.access import Actor
from services.assessments import AssessmentView, list_assessments
from services.audit import audit_history, filter_changes, question_texts
from services.errors import NotFound, ServiceError
from services.invitations import invite_member
from services.members import (
    ORG_ROLES,
    MemberView,
    create_colleague,
    list_members,
    remove_member,
    set_member_role,
)

T = TypeVar("T")


def _flash(message: str) -> None:
    flash(message, rerun=True)


def _role(role: OrgRole) -> str:
    return tr(f"account.role.{role}")


def _labels(values: Iterable[T], label: Callable[[T], str]) -> Callable[[T], str]:
    """A format function whose labels are made now, during the run: Streamlit may call format
    functions outside the run (AppTest does), where the session's language is not known."""
    return {v: label(v) for v in values}.__getitem__


def _members(who: Actor, org_id: int) -> list[MemberView]:
    st.subheader(tr("members.heading"))
    members = list_members(engine(), who, org_id)
    st.dataframe(pd.DataFrame([{
        tr("members.col.username"): m.username,
        tr("members.col.display_name"): m.display_name,
        tr("members.col.email"): m.email or "",
        tr("members.col.role"): _role(m.role),
        tr("members.col.active"): tr("account.flag.yes") if m.is_active else tr("account.flag.no"),
        tr("members.col.last_login"): fmt_time(m.last_login_at),
    } for m in members]), hide_index=True, width="stretch")

    roles = _labels(ORG_ROLES, _role)
    left, right = st.columns(2)
    with left, st.form("member_add", clear_on_submit=True, enter_to_submit=False):
        st.markdown(f"**{tr('members.invite_heading')}**")
        username = st.text_input(tr("members.username"), key="member_add_username",
                                 help=tr("members.invite_help"))
        role = st.selectbox(tr("members.role"), ORG_ROLES, index=1, format_func=roles,
                            key="member_add_role")
        if st.form_submit_button(tr("members.invite")):
            try:  # the same answer whether the name exists or not (services.invitations)
                invite_member(engine(), who, org_id, username, role)
            except ServiceError as exc:
                show_error(exc)
            else:
                _flash(tr("members.invited", user=username.strip(), role=_role(role)))
    with right, st.form("member_edit", enter_to_submit=False):
        st.markdown(f"**{tr('members.edit_heading')}**")
        ids = [m.user_id for m in members]
        names = {m.user_id: f"{m.username} · {m.display_name}" for m in members}
        uid = st.selectbox(tr("members.member"), ids, format_func=lambda i: names[i], key="member_edit_user")
        role = st.selectbox(tr("members.role"), ORG_ROLES, format_func=roles, key="member_edit_role")
        confirm = st.checkbox(tr("members.confirm_remove"), key="member_edit_confirm")
        change = st.form_submit_button(tr("members.change_role"))
        remove = st.form_submit_button(tr("members.remove"))
        if (change or remove) and uid is not None:
            try:
                if change:
                    set_member_role(engine(), who, org_id, uid, role)
                    _flash(tr("members.role_changed", user=names[uid].split(" · ")[0], role=_role(role)))
                elif not confirm:
                    st.warning(tr("members.confirm_needed"))
                else:
                    remove_member(engine(), who, org_id, uid)
                    _flash(tr("members.removed", user=names[uid].split(" · ")[0]))
            except ServiceError as exc:
                show_error(exc)
    return members


def _new_colleague(who: Actor, org_id: int) -> None:
    st.subheader(tr("members.new_heading"))
    st.caption(tr("members.new_help"))
    with st.form("member_new", enter_to_submit=False):
        c1, c2 = st.columns(2)
        username = c1.text_input(tr("members.username"), key="member_new_username")
        display = c2.text_input(tr("members.col.display_name"), key="member_new_display")
        pw1 = c1.text_input(tr("members.initial_password"), type="password", key="member_new_pw1",
                            autocomplete="new-password")
        pw2 = c2.text_input(tr("auth.password_repeat"), type="password", key="member_new_pw2",
                            autocomplete="new-password")
        st.caption(tr("account.password_rules"))
        roles = _labels(ORG_ROLES, _role)
        role = c1.selectbox(tr("members.role"), ORG_ROLES, index=1, format_func=roles,
                            key="member_new_role")
        if st.form_submit_button(tr("members.create"), type="primary"):
            if pw1 != pw2:
                st.error(tr("auth.passwords_differ"))
                return
            try:
                view = create_colleague(engine(), who, org_id, username, pw1, role=role, display_name=display)
            except ServiceError as exc:
                show_error(exc)
                return
            for key in ("member_new_username", "member_new_display", "member_new_pw1", "member_new_pw2"):
                st.session_state.pop(key, None)
            _flash(tr("members.created", user=view.username, role=_role(view.role)))


def _label(a: AssessmentView) -> str:
    return tr_plain("members.history.assessment_option", id=a.id, title=a.title or tr("members.history.untitled"),
              status=tr(f"common.{a.status}"), created=fmt_time(a.created_at))


def _history(who: Actor, org_id: int) -> None:
    st.subheader(tr("members.history.heading"))
    st.caption(tr("members.history.help"))
    assessments = list_assessments(engine(), who, org_id)
    by_id = {a.id: a for a in assessments}
    wanted = query_int("assessment")
    if st.query_params.get("assessment") is not None and wanted not in by_id:
        raise NotFound(object="assessment", id=str(st.query_params.get("assessment")))
    if not assessments:
        st.info(tr("members.history.none"))
        return
    ids = list(by_id)
    aid = st.selectbox(tr("members.history.assessment"), ids, index=ids.index(wanted) if wanted in by_id else 0,
                       format_func=_labels(ids, lambda i: _label(by_id[i])), key="history_assessment")
    changes = audit_history(engine(), who, aid)
    if not changes:
        st.info(tr("members.history.empty"))
        return
    c1, c2, c3 = st.columns(3)
    questions = c1.multiselect(tr("members.history.filter_question"), sorted({c.question_id for c in changes}),
                               key="history_questions", placeholder=tr("members.history.all"))
    system = tr("members.history.system")
    people = sorted({c.user or "" for c in changes})
    users = c2.multiselect(tr("members.history.filter_user"), people, format_func=lambda u: u or system,
                           key="history_users", placeholder=tr("members.history.all"))
    sources = c3.multiselect(tr("members.history.filter_source"), sorted({c.source for c in changes}),
                             format_func=_labels({c.source for c in changes},
                                                 lambda s: tr(f"members.history.source.{s}")),
                             key="history_sources",
                             placeholder=tr("members.history.all"))
    shown = filter_changes(changes, question_ids=questions, users=users, sources=sources)
    st.caption(tr("members.history.count", shown=len(shown), total=len(changes)))
    headers = history_headers(lang())
    texts = question_texts(engine(), who, aid, lang())
    rows = history_rows(shown, texts, lang())
    st.dataframe(pd.DataFrame([{headers[k]: v for k, v in r.items()} for r in rows], columns=list(headers.values())),
                 hide_index=True, width="stretch")
    st.download_button(tr("members.history.download"), history_csv(shown, texts, lang()),
                       file_name=f"audit-assessment-{aid}.csv", mime="text/csv", key="history_download",
                       icon=":material/download:")


def _page() -> None:
    who = actor()
    st.title(tr("nav.members"))
    show_flash()
    org_id = current_org_id()
    if org_id is None:
        raise NotFound(object="organisation", id=None)
    who.require_org_admin(org_id)
    _members(who, org_id)
    _new_colleague(who, org_id)
    _history(who, org_id)


guarded(_page)
