"""Sign-in, or on a new installation the creation of the first platform administrator."""

from __future__ import annotations

import streamlit as st

from app_pages.common import engine, show_error, sign_in_as, tr
from services.auth import LockedOut, SignInError, authenticate, create_user, has_users, sso_actor
from services.errors import InvalidInput

st.title(tr("app.title"))
st.caption(tr("app.tagline"))

if st.session_state.pop("expired", False):
    st.info(tr("auth.expired"))


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


if _sso_configured() and getattr(st.user, "is_logged_in", False):
    sign_in_as(sso_actor(engine(), str(st.user.get("email", "")), str(st.user.get("name", ""))))
    st.rerun()

if not has_users(engine()):
    st.subheader(tr("auth.first_run_heading"))
    st.write(tr("auth.first_run_help"))
    with st.form("first_admin", enter_to_submit=False):
        username = st.text_input(tr("auth.username"), key="first_username")
        display = st.text_input(tr("auth.display_name"), key="first_display")
        pw1 = st.text_input(tr("auth.password"), type="password", key="first_pw1")
        pw2 = st.text_input(tr("auth.password_repeat"), type="password", key="first_pw2")
        if st.form_submit_button(tr("auth.create_admin"), type="primary"):
            if pw1 != pw2:
                st.error(tr("auth.passwords_differ"))
            else:
                try:
                    create_user(engine(), username, pw1, display_name=display, platform_admin=True)
                    sign_in_as(authenticate(engine(), username, pw1))
                    st.rerun()
                except InvalidInput as exc:
                    show_error(exc)
else:
    st.subheader(tr("auth.heading"))
    with st.form("signin", enter_to_submit=True):
        username = st.text_input(tr("auth.username"), key="signin_username")
        password = st.text_input(tr("auth.password"), type="password", key="signin_password")
        if st.form_submit_button(tr("auth.submit"), type="primary"):
            try:
                sign_in_as(authenticate(engine(), username, password))
                st.rerun()
            except LockedOut as exc:
                st.error(tr("auth.locked", seconds=exc.seconds))
            except SignInError:
                st.error(tr("auth.failed"))
    if _sso_configured():
        st.button(tr("auth.sso"), on_click=st.login, key="sso_login")
    st.caption(tr("auth.demo_hint"))
