"""Which assessment the questionnaire and results pages show, and how its metadata is displayed.

Not a page (app.py routes only the files in its registry). The URL decides first: ``?assessment=<id>``
is checked against the signed-in user by the service (another tenant's id is "not found", never
data); then the session's last assessment of the current organisation; then its latest one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from app_pages.common import current_org_id, engine, lang, qt, query_int, questionnaire, run_cache, tr
from enums import AssessmentForm, AssessmentStatus
from questionnaires import Questionnaire
from scoring.display import level_text
from scoring.types import UnitScore
from services.access import Actor
from services.assessments import AssessmentState, AssessmentView, assessment_state, list_assessments
from services.errors import NotFound

SESSION_KEY = "assessment_id"
_STATES = "assessment_states"  # run-cache slot: {assessment id: AssessmentState} read (or saved) in this run


def page_state(who: Actor, assessment_id: int) -> AssessmentState:
    """The assessment, its answers and its result, read once per run (one transaction) and shared by the run.

    A save earlier in the same run (an autosave callback) leaves the state it returned here, so the
    page drawn after it shows what was saved without reading it again.
    """
    states = run_cache().setdefault(_STATES, {})
    if assessment_id not in states:
        states[assessment_id] = assessment_state(engine(), who, assessment_id)
    return states[assessment_id]


def keep_state(state: AssessmentState) -> None:
    """Make ``state`` (returned by a save in this run) what the rest of the run shows."""
    run_cache().setdefault(_STATES, {})[state.view.id] = state


def current_assessment(who: Actor, *, prefer_draft: bool = False,
                       read: Callable[[Actor, int], AssessmentState] = page_state) -> AssessmentView | None:
    """The assessment to show, or None when the organisation has none yet.

    ``read`` reads an assessment for the page (once per run): :func:`page_state`, or a page's own
    read that returns more from the same transaction (the results page). Raises NotFound for a URL
    id the user may not see (or that is malformed): the page then shows "not found" and nothing
    else, never falling back to other data.
    """
    if st.query_params.get("assessment") is not None:
        aid = query_int("assessment")
        if aid is None:
            raise NotFound(object="assessment", id=str(st.query_params.get("assessment")))
        view = read(who, aid).view
        st.session_state[SESSION_KEY] = view.id
        return view
    org_id = current_org_id()
    remembered = st.session_state.get(SESSION_KEY)
    if remembered is not None:
        try:
            kept: AssessmentView | None = read(who, int(remembered)).view
        except NotFound:  # deleted meanwhile, or the user lost access
            kept = None
        if kept is not None and (org_id is None or kept.organisation_id == org_id):
            return _remember(kept)
        st.session_state.pop(SESSION_KEY, None)
    if org_id is None:
        return None
    rows = list_assessments(engine(), who, org_id)
    if prefer_draft:
        rows = sorted(rows, key=lambda a: a.status != AssessmentStatus.DRAFT)  # stable: newest draft first
    return _remember(rows[0]) if rows else None


def _remember(view: AssessmentView) -> AssessmentView:
    """Put the id in the session and the URL, so a browser refresh shows the same assessment."""
    st.session_state[SESSION_KEY] = view.id
    st.query_params["assessment"] = str(view.id)
    return view


def assessment_questionnaire(view: AssessmentView) -> Questionnaire:
    return questionnaire(view.questionnaire_id, view.questionnaire_version)


def form_name(form: AssessmentForm) -> str:
    return tr("common.core_form") if form == AssessmentForm.CORE else tr("common.full_form")


def fmt_time(value: datetime | None) -> str:
    """A stored (naive UTC) time in the browser's time zone when known, else in UTC."""
    if value is None:
        return "—"
    aware = value.replace(tzinfo=UTC)
    zone = None
    try:
        zone = st.context.timezone
    except Exception:  # outside a browser session (AppTest)
        zone = None
    if zone:
        try:
            return aware.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return aware.strftime("%Y-%m-%d %H:%M UTC")


def assessment_caption(view: AssessmentView) -> str:
    """One line that says which assessment this is (shown under every page title that uses one)."""
    q = questionnaire(view.questionnaire_id, view.questionnaire_version)
    return tr("assessments.caption", id=view.id, title=view.title or tr("assessments.untitled"),
              org=view.organisation_name, status=tr(f"common.{view.status}"), form=form_name(view.form),
              questionnaire=qt(q.meta.title), version=view.questionnaire_version)


def level_name(q: Questionnaire, level: int | None) -> str:
    """'3 已定义级' for a level, or 'not scored'."""
    if level is None:
        return tr("common.not_scored")
    names = {s.level: s.name for s in q.meta.scale}
    return f"{level} {qt(names[level])}" if level in names else str(level)


def unit_level(q: Questionnaire, unit: UnitScore) -> str:
    """A unit's level as a manager should read it (0.93 → "部分达到 1 初始级", not "0 未开展")."""
    return level_text(unit.score, unit.level, {s.level: qt(s.name) for s in q.meta.scale}, lang(),
                      tr("common.not_scored"))


def keep_choice(key: str, default: Any = None) -> None:
    """Re-assign an option widget's value just before the widget is drawn.

    Streamlit sends a choice back as its displayed label. When labels change between runs (a
    language switch, or live counts in a menu), the browser's label no longer matches any option
    and Streamlit would reset the widget. Read now, the value still decodes against the labels the
    user saw; assigning it back makes Streamlit send the new label with the value.
    """
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]
    elif default is not None:
        st.session_state[key] = default
