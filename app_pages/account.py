"""My account: who I am, my roles in organisations and associations, and my password."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages.assessment_context import fmt_time
from app_pages.common import (
    actor,
    engine,
    flash,
    member_organisations,
    session_token,
    show_error,
    show_flash,
    tr,
)
from services.accounts import get_user
from services.associations import list_administered
from services.errors import InvalidInput, ServiceError, StateError
from services.invitations import answer_invitation, my_invitations
from services.sign_in import LockedOut, SignInError, change_password


def _invitations() -> None:
    """Pending invitations into organisations: the owner of this account decides (services.invitations)."""
    pending = my_invitations(engine(), who)
    if not pending:
        return
    st.subheader(tr("account.invitations_heading"))
    for inv in pending:
        text, accept, decline = st.columns([6, 1, 1], vertical_alignment="center")
        text.markdown(tr("account.invitation", org=inv.organisation_name, role=tr(f"account.role.{inv.role}"),
                         by=inv.invited_by or "—", at=fmt_time(inv.created_at)))
        for column, yes, label in ((accept, True, "account.accept"), (decline, False, "account.decline")):
            if column.button(tr(label), key=f"invitation_{'accept' if yes else 'decline'}_{inv.id}"):
                try:
                    answer_invitation(engine(), who, inv.id, accept=yes)
                except ServiceError as exc:
                    show_error(exc)
                else:
                    done = "account.accepted" if yes else "account.declined"
                    flash(tr(done, org=inv.organisation_name, role=tr(f"account.role.{inv.role}")), rerun=True)


who = actor()
me = get_user(engine(), who.user_id) if who.user_id is not None else None
st.title(tr("nav.account"))
show_flash()
st.write(tr("common.signed_in_as", user=who.username))
if me is not None:
    st.caption(tr("account.identity", name=me.display_name, email=me.email or "—",
                  last=fmt_time(me.last_login_at)))

st.subheader(tr("account.roles_heading"))
roles = []
if who.is_platform_admin:
    roles.append({tr("account.col.scope"): tr("account.platform"), tr("account.col.role"): tr("account.role.platform_admin")})
orgs = {o.id: o.name for o in member_organisations(who)}
for org_id, role in sorted(who.org_roles.items(), key=lambda kv: orgs.get(kv[0], "")):
    roles.append({tr("account.col.scope"): orgs.get(org_id, str(org_id)),
                  tr("account.col.role"): tr(f"account.role.{role}")})
for assoc in list_administered(engine(), who):
    if assoc.id in who.association_admin:
        roles.append({tr("account.col.scope"): assoc.name, tr("account.col.role"): tr("account.role.association_admin")})
if roles:
    st.dataframe(pd.DataFrame(roles), hide_index=True, width="stretch")
else:
    st.info(tr("account.no_roles"))

_invitations()

st.subheader(tr("auth.change_password"))
if me is not None and not me.has_password:
    st.info(tr("account.sso_only"))
else:
    with st.form("change_password", clear_on_submit=True, enter_to_submit=False):
        old = st.text_input(tr("auth.old_password"), type="password", key="pw_old", autocomplete="current-password")
        new1 = st.text_input(tr("auth.new_password"), type="password", key="pw_new1", autocomplete="new-password")
        new2 = st.text_input(tr("auth.password_repeat"), type="password", key="pw_new2", autocomplete="new-password")
        st.caption(tr("account.password_rules"))
        if st.form_submit_button(tr("auth.change_password")):
            if new1 != new2:
                st.error(tr("auth.passwords_differ"))
            else:
                try:
                    change_password(engine(), who, old, new1, keep_session=session_token())
                    st.success(tr("auth.password_changed"))
                except LockedOut as exc:
                    st.error(tr("auth.locked", seconds=exc.seconds))
                except SignInError:
                    st.error(tr("account.wrong_current"))
                except (InvalidInput, StateError) as exc:
                    show_error(exc)
