"""The organisation profile page: a form generated from the questionnaire, target preset, roles."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from services.access import Actor
from services.organisations import get_organisation
from tests.ui_flow import msg, open_page, org_admin, q, respondent, texts


def _widget(at: AppTest, kind: str, key: str) -> Any:
    return {"multi": at.multiselect, "single": at.selectbox, "bool": at.toggle}[kind](key=key)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_profile_field_of_the_questionnaire_is_a_labelled_widget(app_db: str, engine: Engine,
                                                                       lang: str) -> None:
    alice = org_admin(engine)
    at = open_page(alice, "profile", lang=lang)
    org = get_organisation(engine, Actor.system(), alice.org_id)
    for f in q().profile.fields:
        w = _widget(at, f.type, f"prof_{f.id}")
        assert w.label == f.label[lang]
        assert w.value == org.profile[f.id]
        if f.help:
            assert w.help == f.help[lang]
        if f.type != "bool":
            assert list(w.options) == [o.label[lang] for o in f.options]
    assert at.text_input(key="prof_name").value == org.name


def test_the_implied_target_follows_the_profile_and_can_be_overridden(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    at = open_page(alice, "profile")
    presets = {p.id: p for p in q().targets.presets}
    # Make every flag and role apply: the strongest default rule wins.
    strongest: dict[str, Any] = {}
    for f in q().profile.fields:
        strongest[f.id] = f.option_ids() if f.type == "multi" else (True if f.type == "bool" else f.option_ids()[0])
        _widget(at, f.type, f"prof_{f.id}").set_value(strongest[f.id])
    at.run()
    implied = presets[q().default_preset(strongest)]
    assert at.selectbox(key="prof_preset").options[0] == msg("profile.preset_auto", name=implied.name["zh"])
    assert implied.name["zh"] in texts(at)

    other = next(p for p in presets if p != implied.id)
    at.selectbox(key="prof_preset").set_value(other).run()
    at.button(key="profile_save").click().run()
    org = get_organisation(engine, Actor.system(), alice.org_id)
    assert (org.profile, org.target_preset) == (strongest, other)
    assert msg("profile.saved", name=org.name) in texts(at)


def test_an_invalid_profile_is_refused_and_nothing_is_changed(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    before = get_organisation(engine, Actor.system(), alice.org_id)
    multi = next(f for f in q().profile.fields if f.type == "multi")
    at = open_page(alice, "profile")
    at.multiselect(key=f"prof_{multi.id}").set_value([]).run()
    at.text_input(key="prof_name").input("  ").run()
    at.button(key="profile_save").click().run()
    shown = texts(at)
    assert msg("errors.invalid") in shown
    assert msg("problem.profile_name_required") in shown
    assert msg("problem.profile_choose_at_least_one", field=multi.label["zh"]) in shown
    assert get_organisation(engine, Actor.system(), alice.org_id) == before


def test_a_respondent_reads_the_profile_but_cannot_change_it(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    rita = respondent(engine, alice)
    at = open_page(rita, "profile")
    assert msg("profile.read_only") in texts(at)
    for f in q().profile.fields:
        assert _widget(at, f.type, f"prof_{f.id}").disabled
    assert at.text_input(key="prof_name").disabled
    assert msg("profile.save") not in [b.label for b in at.button]
