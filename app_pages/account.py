"""My account: change password."""

from __future__ import annotations

import streamlit as st

from app_pages.common import actor, engine, show_error, tr
from services.auth import SignInError, change_password
from services.errors import InvalidInput

who = actor()
st.title(tr("nav.account"))
st.write(tr("common.signed_in_as", user=who.username))
st.subheader(tr("auth.change_password"))
with st.form("change_password", clear_on_submit=True, enter_to_submit=False):
    old = st.text_input(tr("auth.old_password"), type="password", key="pw_old")
    new1 = st.text_input(tr("auth.new_password"), type="password", key="pw_new1")
    new2 = st.text_input(tr("auth.password_repeat"), type="password", key="pw_new2")
    if st.form_submit_button(tr("auth.change_password")):
        if new1 != new2:
            st.error(tr("auth.passwords_differ"))
        else:
            try:
                change_password(engine(), who, old, new1)
                st.success(tr("auth.password_changed"))
            except SignInError:
                st.error(tr("auth.failed"))
            except InvalidInput as exc:
                show_error(exc)
