"""Organisation profile: the facts that decide which questions apply and the default target level.

The form is generated from the questionnaire's profile fields (no field is named in code). Changing
the profile never touches answers: applicability is evaluated when scores are computed.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.assessment_context import keep_choice
from app_pages.common import (
    actor,
    current_org_id,
    engine,
    flash,
    guarded,
    lang,
    qt,
    questionnaire,
    set_current_org,
    show_error,
    show_flash,
    tr,
    tr_plain,
)
from questionnaires.schema import ProfileField
from services.access import Actor
from services.errors import InvalidInput, Problem
from services.organisations import create_organisation, get_organisation, update_organisation

AUTO = "__auto__"


def _field(f: ProfileField, key: str, disabled: bool) -> None:
    """One profile widget; its value lives in session_state[key] (seeded by the caller)."""
    label = qt(f.label)
    help_text = qt(f.help) if f.help else None
    names = {o.id: qt(o.label) for o in f.options}
    keep_choice(key)
    if f.type == "multi":
        st.multiselect(label, f.option_ids(), format_func=lambda v: names.get(v, str(v)), key=key,
                       help=help_text, disabled=disabled, placeholder=tr("profile.choose_one_or_more"))
    elif f.type == "single":
        st.selectbox(label, f.option_ids(), format_func=lambda v: names.get(v, str(v)), key=key,
                     help=help_text, disabled=disabled)
    else:
        st.toggle(label, key=key, help=help_text, disabled=disabled)


def _seed(prefix: str, marker: Any, name: str, profile: dict[str, Any], preset: str | None) -> None:
    """Load stored values into the widgets once per stored version (or after the widgets were dropped)."""
    q = questionnaire()
    if st.session_state.get(f"{prefix}seeded") == marker and f"{prefix}name" in st.session_state:
        return
    st.session_state[f"{prefix}name"] = name
    defaults = q.default_profile()
    for f in q.profile.fields:
        value = profile.get(f.id, defaults.get(f.id))
        if f.type == "multi":
            value = [v for v in (value or []) if v in f.option_ids()]
        elif f.type == "single" and value not in f.option_ids():
            value = f.option_ids()[0]
        elif f.type == "bool":
            value = bool(value)
        st.session_state[f"{prefix}{f.id}"] = value
    st.session_state[f"{prefix}preset"] = preset or AUTO
    st.session_state[f"{prefix}seeded"] = marker


def _values(prefix: str) -> tuple[str, dict[str, Any], str | None]:
    q = questionnaire()
    profile = {f.id: st.session_state.get(f"{prefix}{f.id}") for f in q.profile.fields}
    preset = st.session_state.get(f"{prefix}preset", AUTO)
    return st.session_state.get(f"{prefix}name", ""), profile, None if preset == AUTO else preset


def _form(prefix: str, disabled: bool) -> None:
    """Name, the questionnaire's profile fields, and the target preset with what the profile implies."""
    q = questionnaire()
    st.text_input(tr("profile.name"), key=f"{prefix}name", max_chars=200, disabled=disabled)
    left, right = st.columns(2, gap="large")
    half = (len(q.profile.fields) + 1) // 2
    for i, f in enumerate(q.profile.fields):
        with left if i < half else right:
            _field(f, f"{prefix}{f.id}", disabled)
    _, profile, _ = _values(prefix)
    implied = q.preset(q.default_preset(profile))
    st.subheader(tr("profile.target_heading"))
    st.caption(tr("profile.target_help"))
    presets = {p.id: p for p in q.targets.presets}
    labels = {AUTO: tr_plain("profile.preset_auto", name=qt(implied.name))} | {p: qt(x.name) for p, x in presets.items()}
    keep_choice(f"{prefix}preset")
    st.selectbox(tr("profile.target_preset"), list(labels), format_func=labels.__getitem__, key=f"{prefix}preset",
                 disabled=disabled)
    chosen = presets.get(st.session_state.get(f"{prefix}preset", AUTO), implied)
    names = q.unit_labels(lang())
    levels = " · ".join(f"{names[('dimension', d.id)]} {chosen.levels.get(d.id, 0):g}" for d in q.dimensions)
    st.info(tr("profile.preset_summary", name=qt(chosen.name), description=qt(chosen.description),
               levels=levels, critical=f"{chosen.critical:g}"))
    _applicability(profile)


def _applicability(profile: dict[str, Any]) -> None:
    """How many questions this profile makes applicable (the effect of the answers above)."""
    q = questionnaire()
    if q.profile_problems(profile):
        return
    questions = q.questions()
    full = sum(q.applies(x, profile) for x in questions)
    core = sum(q.applies(x, profile) for x in questions if x.core)
    st.caption(tr("profile.applicable", full=full, total=len(questions), core=core,
                  core_total=sum(x.core for x in questions)))


def _problems(name: str, profile: dict[str, Any]) -> list[Problem]:
    """What the user must fix, named by the field labels they see (the service checks again)."""
    problems: list[Problem] = []
    if not (name or "").strip():
        problems.append(Problem("profile_name_required", field="name"))
    elif len(name.strip()) > 200:
        problems.append(Problem("profile_name_too_long", field="name"))
    for f in questionnaire().profile.fields:
        if f.type == "multi" and not profile.get(f.id):
            problems.append(Problem("profile_choose_at_least_one", {"field": qt(f.label)}, field=f.id))
    return problems


def _refused(problems: list[Problem]) -> bool:
    if problems:
        show_error(InvalidInput(problems=problems))
    return bool(problems)


def _create(who: Actor) -> None:
    st.info(tr("profile.no_org_intro"))
    q = questionnaire()
    _seed("new_", "new", "", q.default_profile(), None)
    _form("new_", disabled=False)
    if st.button(tr("profile.create"), type="primary", key="profile_create"):
        name, profile, preset = _values("new_")
        if _refused(_problems(name, profile)):
            return
        try:
            org = create_organisation(engine(), who, name, profile, target_preset=preset)
        except InvalidInput as exc:
            show_error(exc)
            return
        set_current_org(org.id)
        flash(tr("profile.created", name=org.name))
        st.rerun()


def _edit(who: Actor, org_id: int) -> None:
    org = get_organisation(engine(), who, org_id)
    can_edit = who.can_admin_org(org_id)
    if not can_edit:
        st.info(tr("profile.read_only"))
    _seed("prof_", (org.id, org.updated_at.isoformat()), org.name, org.profile, org.target_preset)
    _form("prof_", disabled=not can_edit)
    st.caption(tr("profile.answers_kept"))
    if can_edit and st.button(tr("profile.save"), type="primary", key="profile_save"):
        name, profile, preset = _values("prof_")
        if _refused(_problems(name, profile)):
            return
        try:
            saved = update_organisation(engine(), who, org_id, name=name, profile=profile, target_preset=preset)
        except InvalidInput as exc:
            show_error(exc)
            return
        flash(tr("profile.saved", name=saved.name))
        st.rerun()


def main() -> None:
    who = actor()
    st.title(tr("profile.title"))
    st.caption(tr("profile.intro"))
    show_flash()
    org_id = current_org_id()
    if org_id is None:
        _create(who)
    else:
        _edit(who, org_id)


guarded(main)
