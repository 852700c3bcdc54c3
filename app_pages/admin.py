"""Platform administration: accounts, organisations, associations and recent security events.

Only platform administrators see this page in the menu; every action is checked again by the
service it calls, so a hand-typed URL gets nothing more.
"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from app_pages.assessment_context import fmt_time
from app_pages.common import actor, engine, flash, guarded, show_error, show_flash, tr
from services.access import Actor
from services.account_admin import (
    AccountView,
    create_account,
    list_users,
    reset_password,
    set_active,
    set_platform_admin,
)
from services.association_admins import add_association_admin, association_admins, remove_association_admin
from services.associations import (
    DEFAULT_MIN_GROUP,
    MAX_MIN_GROUP,
    MIN_GROUP_FLOOR,
    create_association,
    list_administered,
)
from services.audit import event_actions, recent_events
from services.errors import ServiceError
from services.members import ORG_ROLES, add_member
from services.organisations import list_all_organisations


def _flash(message: str) -> None:
    flash(message, rerun=True)


def _yes(flag: bool) -> str:
    return tr("account.flag.yes") if flag else tr("account.flag.no")


def _users(who: Actor) -> None:
    search = st.text_input(tr("admin.users.search"), key="admin_user_search", placeholder=tr("admin.users.search_hint"))
    users = list_users(engine(), who, search)
    st.dataframe(pd.DataFrame([{
        tr("members.col.username"): u.username,
        tr("members.col.display_name"): u.display_name,
        tr("members.col.email"): u.email or "",
        tr("admin.users.col.platform_admin"): _yes(u.is_platform_admin),
        tr("members.col.active"): _yes(u.is_active),
        tr("admin.users.col.sign_in"): tr("admin.users.password") if u.has_password else tr("admin.users.sso"),
        tr("admin.users.col.locked_until"): fmt_time(u.locked_until) if u.locked_until else "",
        tr("members.col.last_login"): fmt_time(u.last_login_at),
        tr("admin.users.col.organisations"): "; ".join(f"{n} ({tr(f'account.role.{r}')})" for n, r in u.organisations),
        tr("admin.users.col.associations"): "; ".join(u.associations),
    } for u in users]), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left:
        _create_user(who)
    with right:
        _manage_user(who, users)


def _create_user(who: Actor) -> None:
    with st.form("admin_user_new", enter_to_submit=False):
        st.markdown(f"**{tr('admin.users.create_heading')}**")
        username = st.text_input(tr("members.username"), key="admin_new_username")
        display = st.text_input(tr("members.col.display_name"), key="admin_new_display")
        email = st.text_input(tr("members.email_optional"), key="admin_new_email")
        sso_only = st.checkbox(tr("admin.users.sso_only"), key="admin_new_sso", help=tr("admin.users.sso_only_help"))
        pw1 = st.text_input(tr("members.initial_password"), type="password", key="admin_new_pw1",
                            autocomplete="new-password")
        pw2 = st.text_input(tr("auth.password_repeat"), type="password", key="admin_new_pw2",
                            autocomplete="new-password")
        platform_admin = st.checkbox(tr("admin.users.col.platform_admin"), key="admin_new_platform")
        if st.form_submit_button(tr("members.create"), type="primary"):
            if not sso_only and pw1 != pw2:
                st.error(tr("auth.passwords_differ"))
                return
            try:
                create_account(engine(), who, username, None if sso_only else pw1, display_name=display,
                               email=email or None, platform_admin=platform_admin)
            except ServiceError as exc:
                show_error(exc)
                return
            for key in ("admin_new_username", "admin_new_display", "admin_new_email", "admin_new_pw1",
                        "admin_new_pw2"):
                st.session_state.pop(key, None)
            _flash(tr("admin.users.created", user=username.strip()))


def _manage_user(who: Actor, users: list[AccountView]) -> None:
    if not users:
        return
    by_id = {u.id: u for u in users}
    with st.container(border=True):
        st.markdown(f"**{tr('admin.users.manage_heading')}**")
        uid = st.selectbox(tr("members.member"), list(by_id), key="admin_manage_user",
                           format_func=lambda i: f"{by_id[i].username} · {by_id[i].display_name}")
        u = by_id[uid]
        c1, c2 = st.columns(2)
        try:
            if c1.button(tr("admin.users.deactivate") if u.is_active else tr("admin.users.activate"),
                         key="admin_toggle_active"):
                set_active(engine(), who, u.id, not u.is_active)
                _flash(tr("admin.users.deactivated" if u.is_active else "admin.users.activated", user=u.username))
            if c2.button(tr("admin.users.revoke_admin") if u.is_platform_admin else tr("admin.users.grant_admin"),
                         key="admin_toggle_platform"):
                set_platform_admin(engine(), who, u.id, not u.is_platform_admin)
                _flash(tr("admin.users.admin_changed", user=u.username))
        except ServiceError as exc:
            show_error(exc)
        with st.form("admin_reset", clear_on_submit=True, enter_to_submit=False):
            st.markdown(tr("admin.users.reset_heading", user=u.username))
            pw1 = st.text_input(tr("auth.new_password"), type="password", key="admin_reset_pw1",
                                autocomplete="new-password")
            pw2 = st.text_input(tr("auth.password_repeat"), type="password", key="admin_reset_pw2",
                                autocomplete="new-password")
            if st.form_submit_button(tr("admin.users.reset")):
                if pw1 != pw2:
                    st.error(tr("auth.passwords_differ"))
                    return
                try:
                    reset_password(engine(), who, u.id, pw1)
                except ServiceError as exc:
                    show_error(exc)
                    return
                _flash(tr("admin.users.reset_done", user=u.username))


def _organisations(who: Actor) -> None:
    orgs = list_all_organisations(engine(), who)
    st.dataframe(pd.DataFrame([{
        tr("admin.orgs.col.name"): o.name,
        tr("admin.orgs.col.members"): o.members,
        tr("admin.orgs.col.admins"): ", ".join(o.admins),
        tr("admin.orgs.col.assessments"): o.assessments,
        tr("admin.col.created"): fmt_time(o.created_at),
    } for o in orgs]), hide_index=True, width="stretch")
    if not orgs:
        st.info(tr("admin.orgs.none"))
        return
    names = {o.id: o.name for o in orgs}
    with st.form("admin_org_member", clear_on_submit=True, enter_to_submit=False):
        st.markdown(f"**{tr('admin.orgs.assign_heading')}**")
        org_id = st.selectbox(tr("admin.orgs.organisation"), list(names), format_func=lambda i: names[i],
                              key="admin_org_pick")
        username = st.text_input(tr("members.username"), key="admin_org_username")
        roles = {r: tr(f"account.role.{r}") for r in ORG_ROLES}  # labels made now: the language is known
        role = st.selectbox(tr("members.role"), ORG_ROLES, format_func=roles.__getitem__,
                            key="admin_org_role")
        if st.form_submit_button(tr("members.add")):
            try:
                view = add_member(engine(), who, org_id, username, role)
            except ServiceError as exc:
                show_error(exc)
                return
            _flash(tr("members.added", user=view.username, role=tr(f"account.role.{view.role}")))


def _associations(who: Actor) -> None:
    assocs = list_administered(engine(), who)
    admins = association_admins(engine(), who)
    st.dataframe(pd.DataFrame([{
        tr("admin.assocs.col.name"): a.name,
        tr("admin.assocs.col.invite_code"): a.invite_code or "",
        tr("admin.assocs.col.min_group"): a.min_group_size,
        tr("admin.assocs.col.members"): a.member_count,
        tr("admin.assocs.col.admins"): ", ".join(admins.get(a.id, ())),
    } for a in assocs]), hide_index=True, width="stretch")
    left, right = st.columns(2)
    with left, st.form("admin_assoc_new", enter_to_submit=False):
        st.markdown(f"**{tr('admin.assocs.create_heading')}**")
        name = st.text_input(tr("admin.assocs.col.name"), key="admin_assoc_name")
        description = st.text_area(tr("admin.assocs.description"), key="admin_assoc_desc")
        min_group = st.number_input(tr("admin.assocs.col.min_group"), min_value=MIN_GROUP_FLOOR,
                                    max_value=MAX_MIN_GROUP, value=DEFAULT_MIN_GROUP, step=1,
                                    key="admin_assoc_min", help=tr("admin.assocs.min_group_help"))
        admin_name = st.text_input(tr("admin.assocs.first_admin"), key="admin_assoc_admin")
        if st.form_submit_button(tr("admin.assocs.create"), type="primary"):
            try:
                made = create_association(engine(), who, name, description=description, min_group_size=int(min_group),
                                          admin_username=admin_name or None)
            except ServiceError as exc:
                show_error(exc)
            else:
                for key in ("admin_assoc_name", "admin_assoc_desc", "admin_assoc_admin"):
                    st.session_state.pop(key, None)
                _flash(tr("admin.assocs.created", name=made.name, code=made.invite_code))
    if not assocs:
        return
    names = {a.id: a.name for a in assocs}
    with right, st.form("admin_assoc_admin", clear_on_submit=True, enter_to_submit=False):
        st.markdown(f"**{tr('admin.assocs.admins_heading')}**")
        aid = st.selectbox(tr("admin.assocs.association"), list(names), format_func=lambda i: names[i],
                           key="admin_assoc_pick")
        username = st.text_input(tr("members.username"), key="admin_assoc_username")
        add = st.form_submit_button(tr("admin.assocs.add_admin"))
        remove = st.form_submit_button(tr("admin.assocs.remove_admin"))
        if add or remove:
            try:
                if add:
                    add_association_admin(engine(), who, aid, username)
                else:
                    remove_association_admin(engine(), who, aid, username)
            except ServiceError as exc:
                show_error(exc)
            else:
                _flash(tr("admin.assocs.admin_added" if add else "admin.assocs.admin_removed",
                          user=username.strip(), name=names[aid]))


def _action(code: str) -> str:
    key = f"admin.events.action.{code}"
    text = tr(key)
    return code if text == key else text


def _events(who: Actor) -> None:
    st.caption(tr("admin.events.help"))
    kinds = {a: _action(a) for a in event_actions(engine(), who)}  # labels made now: the language is known
    actions = st.multiselect(tr("admin.events.filter"), list(kinds), format_func=kinds.__getitem__,
                             key="admin_event_actions", placeholder=tr("members.history.all"))
    events = recent_events(engine(), who, limit=200, actions=actions)
    st.dataframe(pd.DataFrame([{
        tr("admin.events.col.at"): fmt_time(e.at),
        tr("admin.events.col.user"): e.user or "—",
        tr("admin.events.col.action"): _action(e.action),
        tr("admin.events.col.object"): f"{e.object_type} #{e.object_id}" if e.object_type else "",
        tr("admin.events.col.detail"): json.dumps(e.detail, ensure_ascii=False) if e.detail else "",
    } for e in events]), hide_index=True, width="stretch")


def _page() -> None:
    who = actor()
    st.title(tr("nav.admin"))
    show_flash()
    who.require_platform_admin()
    users, orgs, assocs, events = st.tabs([tr("admin.tab.users"), tr("admin.tab.organisations"),
                                           tr("admin.tab.associations"), tr("admin.tab.events")])
    with users:
        _users(who)
    with orgs:
        _organisations(who)
    with assocs:
        _associations(who)
    with events:
        _events(who)


guarded(_page)
