"""Sign-in, or on a new installation the creation of the first platform administrator.

With ``[auth]`` in the Streamlit secrets, a single sign-on button (``st.login``, OIDC) is offered
as well; the identity is mapped by e-mail to the same accounts and roles (services.single_sign_on.sso_actor).
Only addresses the provider marks verified are mapped, unless the operator sets
``[auth] trust_unverified_email = true`` (docs/security.md).
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import client_source, engine, show_error, sign_in_as, tr
from services.accounts import AlreadySetUp, create_first_admin, has_users
from services.demo_check import demo_accounts_active
from services.errors import InvalidInput, StateError
from services.sign_in import LockedOut, SignInError, authenticate
from services.single_sign_on import sso_actor

SSO_HOLD = "sso_hold"  # set after an idle expiry: single sign-on waits for a click, not the old cookie


def _sso_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _trust_unverified_email() -> bool:
    """The operator's opt-out ``[auth] trust_unverified_email = true`` (a TOML boolean; anything else: no)."""
    try:
        return st.secrets["auth"].get("trust_unverified_email") is True
    except Exception:  # no secrets file, or no [auth] section
        return False


def _sso_sign_in() -> None:
    """Map the provider's identity to an account; refused identities get a message, not a loop."""
    claims = st.user.to_dict()
    try:
        who = sso_actor(engine(), str(claims.get("email") or ""), str(claims.get("name") or ""),
                        email_verified=claims.get("email_verified") in (True, "true", "True"),
                        trust_unverified_email=_trust_unverified_email())
    except SignInError:  # also a missing email_verified claim: only a verified address is mapped
        st.session_state[SSO_HOLD] = True
        st.error(tr("account.sso_refused"))
        return
    except StateError as exc:  # the same identity signing on in two tabs at once; a retry succeeds
        st.session_state[SSO_HOLD] = True
        show_error(exc)
        return
    sign_in_as(who, remember=False)  # st.login keeps its own identity cookie
    st.rerun()


def _first_run() -> None:
    st.subheader(tr("auth.first_run_heading"))
    st.write(tr("auth.first_run_help"))
    with st.form("first_admin", enter_to_submit=False):
        username = st.text_input(tr("auth.username"), key="first_username")
        display = st.text_input(tr("auth.display_name"), key="first_display")
        pw1 = st.text_input(tr("auth.password"), type="password", key="first_pw1")
        pw2 = st.text_input(tr("auth.password_repeat"), type="password", key="first_pw2")
        st.caption(tr("account.password_rules"))
        if st.form_submit_button(tr("auth.create_admin"), type="primary"):
            if pw1 != pw2:
                st.error(tr("auth.passwords_differ"))
                return
            try:
                sign_in_as(create_first_admin(engine(), username, pw1, display_name=display))
            except InvalidInput as exc:
                show_error(exc)
                return
            except AlreadySetUp:  # someone else finished the first start meanwhile
                st.warning(tr("account.already_set_up"))
                return
            st.rerun()


def _sign_in_form() -> None:
    st.subheader(tr("auth.heading"))
    with st.form("signin", enter_to_submit=True):
        username = st.text_input(tr("auth.username"), key="signin_username", autocomplete="username")
        password = st.text_input(tr("auth.password"), type="password", key="signin_password",
                                 autocomplete="current-password")
        if st.form_submit_button(tr("auth.submit"), type="primary"):
            try:
                sign_in_as(authenticate(engine(), username, password, source=client_source()))
            except LockedOut as exc:
                st.error(tr("auth.locked", seconds=exc.seconds))
                return
            except SignInError:
                st.error(tr("auth.failed"))
                return
            st.rerun()


def render() -> None:
    """The sign-in page body (app.py calls it instead of routing while nobody is signed in)."""
    st.title(tr("app.title"))
    st.caption(tr("app.tagline"))

    if st.session_state.pop("expired", False):
        st.session_state[SSO_HOLD] = True
        st.info(tr("auth.expired"))

    sso = _sso_configured()
    if not has_users(engine()):
        _first_run()  # the first administrator is a local account, even with single sign-on configured
        return
    if sso and st.user.get("is_logged_in") and not st.session_state.get(SSO_HOLD):
        _sso_sign_in()
    _sign_in_form()
    if sso:
        st.button(tr("auth.sso"), on_click=st.login, key="sso_login", icon=":material/key:")
    if demo_accounts_active(engine()):
        st.caption(tr("auth.demo_hint"))
