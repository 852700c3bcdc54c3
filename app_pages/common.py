"""Shared frame for every page: engine, language, signed-in actor, current organisation, messages.

Pages import from here and from ``services``; they never open sessions or write SQL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import streamlit as st
from sqlalchemy import Engine

from db.engine import database_url, make_engine
from db.migrate import upgrade
from i18n import DEFAULT_LANGUAGE, LANGUAGES, normalise_language, t
from questionnaires import Questionnaire, get_questionnaire
from services.access import Actor, load_actor
from services.errors import InvalidInput, NotFound, ServiceError

IDLE_MINUTES = float(os.environ.get("AIGOV_SESSION_IDLE_MINUTES", "30"))


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """One engine per database URL per process; the schema is brought to head once, at first use."""
    upgrade(url)
    return make_engine(url)


def engine() -> Engine:
    return _engine_for(database_url())


@st.cache_resource(show_spinner=False)
def questionnaire(qid: str = "caict-aigov") -> Questionnaire:
    return get_questionnaire(qid)


# --- language -------------------------------------------------------------------------------------

def lang() -> str:
    """Query parameter → session → browser locale → default (engineering.md §1.7)."""
    if "lang" not in st.session_state:
        qp = st.query_params.get("lang")
        locale = None
        try:
            locale = st.context.locale
        except Exception:  # not available outside a browser session
            locale = None
        st.session_state["lang"] = normalise_language(qp or locale or DEFAULT_LANGUAGE)
    return st.session_state["lang"]


def tr(key: str, **values: Any) -> str:
    """The UI message ``key`` in the current language (named ``tr``: ``_`` is a throwaway in scripts)."""
    return t(key, lang(), **values)


def qt(text: dict[str, str]) -> str:
    """A questionnaire text in the current language."""
    return text.get(lang()) or next(iter(text.values()))


def language_switch() -> None:
    current = lang()
    choice = st.sidebar.radio(
        tr("common.language"), options=list(LANGUAGES), index=LANGUAGES.index(current),
        format_func=lambda code: {"zh": "中文", "en": "English"}[code], horizontal=True, key="lang_switch",
    )
    if choice != current:
        st.session_state["lang"] = choice
        st.query_params["lang"] = choice
        st.rerun()


# --- who is acting ---------------------------------------------------------------------------------

def sign_in_as(actor: Actor) -> None:
    st.session_state["user_id"] = actor.user_id
    st.session_state["last_seen"] = time.time()
    st.session_state.pop("org_id", None)


def sign_out() -> None:
    """Forget everything of the signed-in user, widget values included; only the language stays.

    The next person in the same browser tab must not find the previous user's answers, notes or
    choices in the session.
    """
    keep = {k: st.session_state[k] for k in ("lang",) if k in st.session_state}
    for key in list(st.session_state.keys()):
        st.session_state.pop(key, None)
    st.session_state.update(keep)
    if st.user.get("is_logged_in"):  # single sign-on: also drop the identity cookie, or the next visitor is let in
        st.logout()


def current_actor() -> Actor | None:
    """The signed-in actor with roles read fresh each run, or None (idle sessions expire)."""
    uid = st.session_state.get("user_id")
    if uid is None:
        return None
    last = st.session_state.get("last_seen", 0.0)
    if time.time() - last > IDLE_MINUTES * 60:
        sign_out()
        st.session_state["expired"] = True
        return None
    st.session_state["last_seen"] = time.time()
    try:
        return load_actor(engine(), uid)
    except NotFound:
        sign_out()
        return None


def actor() -> Actor:
    """The signed-in actor; pages are only routed when someone is signed in."""
    a = current_actor()
    if a is None:
        st.stop()
    return a


def current_org_id() -> int | None:
    return st.session_state.get("org_id")


def set_current_org(org_id: int | None) -> None:
    st.session_state["org_id"] = org_id


# --- messages ---------------------------------------------------------------------------------------

def show_error(exc: ServiceError) -> None:
    """A service error as a user message (not-found never reveals whether the object exists)."""
    if isinstance(exc, InvalidInput):
        st.error(tr("errors.invalid") + "\n\n" + "\n".join(f"- {p}" for p in exc.problems))
    else:
        st.error(tr(exc.key, **{k: v for k, v in exc.values.items() if isinstance(v, str | int | float)}))


def guarded(fn: Callable[[], Any]) -> Any:
    """Run a page body; NotFound and other service errors become messages, never tracebacks."""
    try:
        return fn()
    except NotFound:
        st.warning(tr("errors.not_found"))
    except ServiceError as exc:
        show_error(exc)
    return None


def fmt_score(value: float | None) -> str:
    """Scores are kept at full precision and shown with two decimals; None is 'not scored'."""
    return tr("common.not_scored") if value is None else f"{value:.2f}"


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def query_int(name: str) -> int | None:
    """An integer query parameter, or None when absent or malformed (never trusted further)."""
    raw = st.query_params.get(name)
    try:
        return int(raw) if raw is not None else None
    except (TypeError, ValueError):
        return None
