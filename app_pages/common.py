"""Shared frame for every page: engine, language, signed-in actor, current organisation, messages.

Pages import from here and from ``services``; they never open sessions or write SQL.
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    Trusted,
    escape_markdown,
    markdown_message,
    normalise_language,
    t,
)
from problems import CATALOGUE, Problem, in_language
from questionnaires import Questionnaire, get_questionnaire
from scoring.display import format_percent, format_score
from services.access import Actor
from services.database import database_url, open_database
from services.errors import InvalidInput, NotFound, ServiceError, StateError
from services.ids import parse_id
from services.organisations import OrganisationView, list_organisations, signed_in
from services.sessions import (
    SESSION_IDLE,
    SESSION_LIFETIME,
    SESSION_TOUCH,
    end_session,
    resume_session,
    session_alive,
    start_session,
)
from services.sign_in_throttle import source_address

if TYPE_CHECKING:
    from sqlalchemy import Engine

T = TypeVar("T")
IDLE_MINUTES = SESSION_IDLE.total_seconds() / 60
SESSION_COOKIE = "aigov_session"
_TOKEN = "session_token"  # this tab's remembered sign-in (server memory only)
_CHECKED = "session_checked"  # when the server-side session was last confirmed
_COOKIE_WRITE = "session_cookie_write"  # (token, keep): put it in the browser, or remove it if still there
_COOKIE_SPENT = "session_cookie_spent"  # the browser's cookie already used or refused in this tab
_RUN = "run_cache"  # (marker of the script run, {name: value}): what this run has already read
_ACTOR = "actor"  # run-cache slot of the signed-in actor
_LANG = "lang"  # run-cache slot of the session's language
_ENGINE = "engine"  # run-cache slot of the app's engine
_ORGS = "organisations"  # run-cache slot of the signed-in actor's organisations (read with the actor)


class _RunCache(dict[str, Any]):
    """A run's cache: a dict that a weak reference can point to (see :func:`run_cache`)."""

    __slots__ = ("__weakref__",)


# {marker of a live script run: its cache}, weakly both ways: the session state owns each cache, this only
# finds it without a session-state read (tens of microseconds, and the language is asked for hundreds of
# times per run).
_FOUND: weakref.WeakKeyDictionary[Any, weakref.ref[_RunCache]] = weakref.WeakKeyDictionary()


@st.cache_resource(show_spinner=False)
def _engine_for(url: str) -> Engine:
    """One engine per database URL per process; the schema is brought to head once, at first use."""
    return open_database(url)


def engine() -> Engine:
    """The app's engine (looked up once per run: a cached resource's lookup hashes its argument)."""
    cache = run_cache()
    if _ENGINE not in cache:
        cache[_ENGINE] = _engine_for(database_url())
    return cache[_ENGINE]


# How a question relates to a framework item (questionnaires/frameworks.py RELATIONS), as literal i18n keys.
RELATION_KEYS = {"equal": "questionnaire.relation_equal", "superset": "questionnaire.relation_superset",
                 "subset": "questionnaire.relation_subset", "intersect": "questionnaire.relation_intersect"}

@st.cache_resource(show_spinner=False)
def questionnaire(qid: str = "caict-aigov", version: str | None = None) -> Questionnaire:
    return get_questionnaire(qid, version)


# --- one read per run --------------------------------------------------------------------------------

def run_cache() -> dict[str, Any]:
    """A dict that lives for one script run: what the run has read once, for everything else in it to reuse.

    One run is the callbacks of the widgets the user changed and then the script (or the fragment)
    they rerun. Streamlit renews the run context's coordinator object at the start of each run, so the
    cache is tied to that object (held here, so it is never confused with a later one at the same
    address) and a new run starts empty: roles and data are read fresh every run, but only once.
    The session state owns the cache (signing out drops it with everything else); a weak index by the
    marker finds it again without reading the session state. Outside a run (no context) nothing is
    kept. Should a Streamlit upgrade drop that attribute, the cache only stops caching (every call
    reads again) and tests/test_statement_counts.py, which asserts one read of the user per run,
    fails and says so.
    """
    ctx = get_script_run_ctx(suppress_warning=True)
    marker = getattr(ctx, "parallel_coordinator", None)
    if marker is None:
        return {}
    found = _FOUND.get(marker)
    cache = found() if found is not None else None
    if cache is not None:
        return cache
    held = st.session_state.get(_RUN)
    if held is None or held[0] is not marker:
        held = (marker, _RunCache())
        st.session_state[_RUN] = held
    _FOUND[marker] = weakref.ref(held[1])
    return held[1]


# --- language -------------------------------------------------------------------------------------

def lang() -> str:
    """The session's language; chosen on its first run from ``?lang=``, the browser's locale, then the default.

    Later runs keep the session's choice (the language switch changes it), so a link shared in one
    language opens in that language without overriding a choice made since. Read from the session
    once per run (:func:`run_cache`): every message and questionnaire text of the page asks for it.
    """
    cache = run_cache()
    if _LANG in cache:
        return cache[_LANG]
    if "lang" not in st.session_state:
        qp = st.query_params.get("lang")
        locale = None
        try:
            locale = st.context.locale
        except Exception:  # not available outside a browser session
            locale = None
        st.session_state["lang"] = normalise_language(qp or locale or DEFAULT_LANGUAGE)
    cache[_LANG] = st.session_state["lang"]
    return cache[_LANG]


def tr(key: str, **values: Any) -> str:
    """The UI message ``key`` in the current language, for Streamlit's Markdown (named ``tr``: ``_`` is a
    throwaway in scripts).

    Every str value is escaped (:func:`i18n.markdown_message`), so a name, title, file name or note typed
    by anyone shows as text: never a link, an image, emphasis or a heading. This is the one place that
    rule is applied; wrap a value in :class:`i18n.Trusted` only when the code wrote it (e.g. another
    message from :func:`tr`). Messages that never reach Markdown use :func:`tr_plain`.
    """
    return Trusted(markdown_message(key, lang(), **values))


def tr_plain(key: str, **values: Any) -> str:
    """The UI message ``key`` as plain text, for places that never render Markdown and would show an
    escape's backslash: options of select boxes and multiselects, table cells, file names, text stored in
    the database. Never pass its result to st.markdown, st.write, a title, caption, alert or widget label.
    """
    return t(key, lang(), **values)


def problem_markdown(problem: Problem) -> str:
    """A validation problem for Markdown in the user's language: its place and its values escaped (either
    may quote a user's text or a cell of an uploaded file), the catalogue's message around them kept."""
    here = lang()
    message = markdown_message(CATALOGUE[problem.code].key, here, **in_language(problem.values, here))
    where, separator = problem.place.text(here)
    return f"{escape_markdown(where)}{escape_markdown(separator)}{message}" if where else message


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
        run_cache()[_LANG] = choice
        st.query_params["lang"] = choice
        st.rerun()


# --- who is acting ---------------------------------------------------------------------------------

def _browser_cookie() -> str | None:
    """The session cookie the browser sent when this tab connected (st.context.cookies is read-only)."""
    try:
        value = st.context.cookies.get(SESSION_COOKIE)
    except Exception:  # no browser connection (scripts, some tests)
        return None
    return value if isinstance(value, str) and value else None  # AppTest's stand-in client is a mock


def _write_cookie() -> None:
    """Put a pending token into (or remove it from) the browser's cookie jar.

    Streamlit cannot set cookies; ``st.html`` with JavaScript allowed runs the script in the page
    itself (no iframe), which writes the page's cookie. The script is ours and the token is
    URL-safe base64, so nothing untrusted reaches it. It is rendered on the run after sign-in (that
    run completes; the sign-in run is cut short by st.rerun() before the browser could draw it).
    JavaScript cannot set HttpOnly (docs/security.md).
    """
    if _COOKIE_WRITE not in st.session_state:
        return
    token, keep = st.session_state.pop(_COOKIE_WRITE)
    # Removal only if the browser still holds this token: another tab may have signed in since.
    # No '<' in the script: st.html's sanitiser escapes it and the script would not run.
    write = (f"c='{SESSION_COOKIE}={token}; Max-Age={int(SESSION_LIFETIME.total_seconds())}';" if keep else
             f"if(document.cookie.split('; ').indexOf('{SESSION_COOKIE}={token}')===-1)return;"
             f"c='{SESSION_COOKIE}=; Max-Age=0';")
    st.html(
        "<script>(function(){var c;" + write +
        "document.cookie=c+'; Path=/; SameSite=Strict'+(location.protocol==='https:'?'; Secure':'');"
        "})();</script>",
        unsafe_allow_javascript=True,
    )


def sign_in_as(actor: Actor, *, remember: bool = True) -> None:
    """Sign ``actor`` in to this tab; ``remember`` (local accounts) keeps them signed in across reloads.

    Single sign-on passes ``remember=False``: st.login keeps its own identity cookie.
    """
    st.session_state["user_id"] = actor.user_id
    st.session_state["last_seen"] = time.time()
    st.session_state.pop("org_id", None)
    run_cache().pop(_ACTOR, None)
    run_cache().pop(_ORGS, None)
    if remember and actor.user_id is not None:
        token = start_session(engine(), actor.user_id)
        st.session_state[_TOKEN] = token
        st.session_state[_CHECKED] = time.time()
        st.session_state[_COOKIE_WRITE] = (token, True)


def sign_out() -> None:
    """Forget everything of the signed-in user, widget values included; only the language stays.

    The next person in the same browser tab must not find the previous user's answers, notes or
    choices in the session. The remembered sign-in is revoked on the server and its cookie removed,
    so a reload does not sign the user back in.
    """
    token = st.session_state.get(_TOKEN)
    if token:
        end_session(engine(), token)
    run_cache().clear()  # nothing read for the previous user serves the rest of this run
    keep = {k: st.session_state[k] for k in ("lang", _COOKIE_SPENT) if k in st.session_state}
    for key in list(st.session_state.keys()):
        st.session_state.pop(key, None)
    st.session_state.update(keep)
    if token or _browser_cookie():
        st.session_state[_COOKIE_WRITE] = (token or _browser_cookie(), False)
        st.session_state[_COOKIE_SPENT] = _browser_cookie()  # the tab's connection still carries it
    if st.user.get("is_logged_in"):  # single sign-on: also drop the identity cookie, or the next visitor is let in
        st.logout()


def session_token() -> str | None:
    """This tab's remembered-sign-in token (for change_password's keep_session), or None."""
    return st.session_state.get(_TOKEN)


def _expire() -> None:
    sign_out()
    st.session_state["expired"] = True


def _resume_from_cookie() -> bool:
    """Sign in from the browser's remembered-session cookie (a reload or a new tab); True on success."""
    cookie = _browser_cookie()
    if not cookie or cookie == st.session_state.get(_COOKIE_SPENT):
        return False
    st.session_state[_COOKIE_SPENT] = cookie
    who = resume_session(engine(), cookie)
    if who is None:  # ended on the server (idle, lifetime, sign-out elsewhere, password change)
        st.session_state[_COOKIE_WRITE] = (cookie, False)
        st.session_state["expired"] = True
        return False
    sign_in_as(who, remember=False)
    st.session_state[_TOKEN] = cookie
    st.session_state[_CHECKED] = time.time()
    return True


def current_actor() -> Actor | None:
    """The signed-in actor with roles read fresh each run — once per run — or None (idle sessions expire).

    A tab without a signed-in user resumes a remembered sign-in from its cookie. A remembered
    sign-in is re-checked on the server at most once a minute, which also slides its idle time:
    revoked elsewhere (password change, deactivation), it ends here too. The app, the page and the
    callbacks of one run share the actor read first (:func:`run_cache`).
    """
    cache = run_cache()
    if _ACTOR in cache:
        return cache[_ACTOR]
    who = _current_actor()
    _write_cookie()
    cache[_ACTOR] = who
    return who


def _current_actor() -> Actor | None:
    uid = st.session_state.get("user_id")
    if uid is None:
        if not _resume_from_cookie():
            return None
        uid = st.session_state["user_id"]
    last = st.session_state.get("last_seen", 0.0)
    if time.time() - last > IDLE_MINUTES * 60:
        _expire()
        return None
    st.session_state["last_seen"] = time.time()
    token = st.session_state.get(_TOKEN)
    if token and time.time() - st.session_state.get(_CHECKED, 0.0) >= SESSION_TOUCH.total_seconds():
        if not session_alive(engine(), token):
            _expire()
            return None
        st.session_state[_CHECKED] = time.time()
    try:
        who, organisations = signed_in(engine(), uid)
    except NotFound:
        sign_out()
        return None
    run_cache()[_ORGS] = organisations
    return who


def member_organisations(who: Actor) -> list[OrganisationView]:
    """The organisations ``who`` (the signed-in actor) belongs to, as read with the actor on this run."""
    cache = run_cache()
    if _ORGS not in cache:
        cache[_ORGS] = list_organisations(engine(), who)
    return cache[_ORGS]


def actor() -> Actor:
    """The signed-in actor; pages are only routed when someone is signed in."""
    a = current_actor()
    if a is None:
        st.stop()
    return a


def current_org_id() -> int | None:
    return st.session_state.get("org_id")


def set_current_org(org_id: int | None, name: str = "") -> None:
    st.session_state["org_id"] = org_id
    st.session_state["org_name"] = name if org_id is not None else ""


def current_org_name() -> str:
    """The current organisation's name as the sidebar shows it (for file names), or ""."""
    return st.session_state.get("org_name", "")


# --- messages ---------------------------------------------------------------------------------------

def show_error(exc: ServiceError) -> None:
    """A service error as a user message (not-found never reveals whether the object exists)."""
    if isinstance(exc, InvalidInput):
        st.error(tr("errors.invalid") + "\n\n" + "\n".join(f"- {problem_markdown(p)}" for p in exc.problems))
    elif isinstance(exc, StateError) and exc.problem is not None:  # which state refuses it: "round #3 is closed"
        st.error(problem_markdown(exc.problem))
    else:
        st.error(tr(exc.key, **{k: v for k, v in exc.values.items() if isinstance(v, str | int | float)}))


def attempt(action: Callable[[], T]) -> T | None:
    """Run one action's service call; its error is shown where the action is, and None returned.

    Uncaught, the error would reach the page guard and the rest of the page would not be drawn.
    """
    try:
        return action()
    except ServiceError as exc:
        show_error(exc)
        return None


XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


PDF_MIME = "application/pdf"


def deferred_download(label: str, build: Callable[[], bytes], *, key: str, file_name: str, mime: str,
                      help_text: str = "") -> None:
    """A download button whose file (a workbook, ``XLSX_MIME``; a report, ``PDF_MIME``) is built when it
    is clicked (Streamlit's deferred ``data``).

    Reruns stay fast (nothing is built for a plain visit), and the file is always built from the
    data as it is at the click, so a file built before a change can never be offered as current.
    """
    left, right = st.columns([1, 3], vertical_alignment="center")
    left.download_button(label, build, key=key, type="primary", file_name=file_name, mime=mime,
                         icon=":material/download:", on_click="ignore")
    if help_text:
        right.caption(help_text)


_FLASH = "flash_message"


def flash(message: str, *, rerun: bool = False) -> None:
    """Show ``message`` as a success notice on the next run (the run after an action's st.rerun)."""
    st.session_state[_FLASH] = message
    if rerun:
        st.rerun()


def show_flash() -> None:
    """Show and clear the pending notice left by :func:`flash`."""
    if message := st.session_state.pop(_FLASH, None):
        st.success(message)


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
    """Two decimals, rounded as Excel shows them (2.125 → 2.13, scoring/display.py); None is 'not scored'."""
    return tr("common.not_scored") if value is None else format_score(value)


def fmt_pct(value: float | None) -> str:
    return format_percent(value, "—")


def client_source() -> str:
    """The browser's address for sign-in throttling: the connection's address, or behind a reverse proxy
    named in ``AIGOV_TRUSTED_PROXIES`` the address it forwards (services.sign_in_throttle.source_address)."""
    try:
        peer, forwarded = st.context.ip_address, st.context.headers.get("X-Forwarded-For")
    except Exception:  # no browser connection (AppTest): this machine
        peer, forwarded = None, None
    return source_address(peer, forwarded)


def query_int(name: str) -> int | None:
    """An id query parameter, or None when absent, malformed or out of range (:func:`services.ids.parse_id`);
    pages show "not found" for a parameter given but None here."""
    return parse_id(st.query_params.get(name))


def page_script(js: str) -> None:
    """Run a short script of ours in the page itself (st.html with JavaScript, no iframe).

    Only for fixed scripts written in this code base, never for user text. The script must not
    contain '<': st.html's sanitiser escapes it and the script would not run.
    """
    if "<" in js:
        raise ValueError("a page script must not contain '<'")
    st.html(f"<script>(function(){{{js}}})();</script>", unsafe_allow_javascript=True)


# The app's few layout rules: Streamlit's default top padding (6rem) pushed the questionnaire's first
# question below the first screen of a 1366×768 laptop.
APP_CSS = "[data-testid=stMainBlockContainer]{padding-top:3.5rem}"


def app_style() -> None:
    """The app-wide stylesheet (a style-only st.html takes no room on the page)."""
    st.html(f"<style>{APP_CSS}</style>")
