"""The benchmarking pages, driven as users drive them (AppTest): open a round, take part, submit, look."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from services import benchmark as bm
from tests.support.apptest import app_test
from tests.support.benchmark_data import Cohort, cohort, profile, rendered_text

ANON = "Anonymous Member Ltd 匿名成员"
IDENT = "Identified Member Ltd 实名成员"


def _button(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _dashboard(c: Cohort) -> AppTest:
    at = app_test(c.admin_user_id, lang="en").run()
    at.switch_page("app_pages/association.py").run()
    assert not at.exception, at.exception
    return at


def _take_part(c: Cohort, name: str, sharing: str) -> int:
    org_id, user_id = c.orgs[name]
    at = app_test(user_id, lang="en", org_id=org_id).run()
    at.switch_page("app_pages/peers.py").run()
    assert not at.exception, at.exception
    at.radio(key=f"sharing_new_{c.round_id}").set_value(sharing)
    _button(at, "Take part and start answering").click().run()
    mine = next(mr for mr in bm.member_rounds(c.engine, c.member(name), org_id) if mr.round.id == c.round_id)
    assert mine.status == "draft" and mine.sharing == sharing and mine.assessment_id is not None
    return mine.assessment_id


def _submit(c: Cohort, name: str, assessment_id: int) -> None:
    org_id, user_id = c.orgs[name]
    at = app_test(user_id, lang="en", org_id=org_id).run()
    at.switch_page("app_pages/peers.py").run()
    _button(at, "Submit to this round").click().run()
    assert not at.exception, at.exception
    assert "Submitted; your scores now count in this round's benchmark." in rendered_text(at)


def test_round_opened_two_members_submit_and_the_dashboard_updates(app_db, engine):
    c = cohort(engine, with_round=False)
    c.add(ANON, profile("finance"))
    c.add(IDENT, profile("ict"))
    c.add("Silent Member Ltd", profile("retail"))

    at = _dashboard(c)
    assert "No rounds yet. Open the first one above." in rendered_text(at)
    at.text_input(key="round_name").input("Spring 2026")
    _button(at, "Open round").click().run()
    assert not at.exception, at.exception
    rounds = bm.list_rounds(engine, c.admin(), c.association_id)
    assert [r.round.name for r in rounds] == ["Spring 2026"] and rounds[0].round.is_open
    c.round_id = rounds[0].round.id
    assert _metrics(at) == {"Invited members": "3", "Started": "0", "Submitted": "0", "Response rate": "0.0%"}

    anon_id = _take_part(c, ANON, "anonymous")
    assert _metrics(_dashboard(c))["Started"] == "1"
    ident_id = _take_part(c, IDENT, "identified")
    c.answer(ANON, anon_id, 2, note="our private evidence")
    c.answer(IDENT, ident_id, 3)
    _submit(c, ANON, anon_id)
    at = _dashboard(c)
    assert _metrics(at)["Submitted"] == "1" and _metrics(at)["Started"] == "1"
    _submit(c, IDENT, ident_id)

    at = _dashboard(c)
    assert _metrics(at) == {"Invited members": "3", "Started": "0", "Submitted": "2", "Response rate": "66.7%"}
    text = rendered_text(at)
    assert IDENT in text
    assert ANON not in text and "our private evidence" not in text and "Silent Member Ltd" not in text
    identified = next(df.value for df in at.dataframe if "Organisation" in df.value.columns)
    assert list(identified["Organisation"]) == [IDENT] and list(identified["Overall"]) == ["3.00"]
    # Two submissions are below the threshold of five: no statistics at all, only the notice.
    assert "Fewer than 5 organisations submitted in this round" in text
    assert not [el for el in at.get("plotly_chart") if json.loads(el.proto.spec)["data"][0]["type"] == "box"]


def test_dashboard_shows_distributions_once_the_round_is_large_enough(app_db, engine):
    c = cohort(engine)
    for i in range(6):
        c.add(f"Member {i}", profile("finance"))
        c.submit(f"Member {i}", 1 + i % 4)
    at = _dashboard(c)
    charts = {json.loads(el.proto.spec)["data"][0]["type"]: json.loads(el.proto.spec) for el in at.get("plotly_chart")}
    assert {"box", "scatterpolar", "heatmap"} <= set(charts)
    box = charts["box"]["data"][0]
    assert box["x"][0] == "Overall" and box["median"][0] == 2.0 and box["q1"][0] == 1.25
    assert "y" not in box  # the box is drawn from published quantiles, not from members' scores
    radar = charts["scatterpolar"]["data"]
    assert [t["name"] for t in radar] == ["P25–P75 band", "Median"]


def test_member_changes_sharing_before_submitting(app_db, engine):
    c = cohort(engine)
    c.add(IDENT, profile("ict"))
    aid = _take_part(c, IDENT, "anonymous")
    org_id, user_id = c.orgs[IDENT]
    at = app_test(user_id, lang="en", org_id=org_id).run()
    at.switch_page("app_pages/peers.py").run()
    at.radio(key=f"sharing_edit_{aid}").set_value("identified")
    _button(at, "Save sharing choice").click().run()
    assert not at.exception, at.exception
    assert bm.member_rounds(engine, c.member(IDENT), org_id)[0].sharing == "identified"


def test_member_has_no_association_dashboard(app_db, engine):
    """The page is not even routed for a member; the service behind it answers NotFound (test_benchmark_service)."""
    c = cohort(engine)
    c.add(ANON, profile())
    org_id, user_id = c.orgs[ANON]
    at = app_test(user_id, lang="en", org_id=org_id, query={"round": str(c.round_id)}).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/association.py")


def test_other_associations_round_in_the_url_is_not_shown(app_db, engine):
    mine = cohort(engine, admin="admin-one")
    theirs = cohort(engine, admin="admin-two")
    bm.open_round(engine, theirs.admin(), theirs.association_id, "Their secret round", deadline=None)
    for query in ({"round": str(theirs.round_id)}, {"association": str(theirs.association_id)}, {"round": "x1"}):
        at = app_test(mine.admin_user_id, lang="en", query=query).run()
        at.switch_page("app_pages/association.py").run()
        text = rendered_text(at)
        assert "Not found, or you do not have access to it." in text
        assert "Their secret round" not in text and "Alliance of admin-two" not in text and not at.metric
    at = app_test(mine.admin_user_id, lang="en", query={"round": str(mine.round_id)}).run()
    at.switch_page("app_pages/association.py").run()
    assert at.selectbox(key="round_pick").value == mine.round_id


def test_peers_page_joins_with_the_invitation_code(app_db, engine, system):
    from services.access import load_actor
    from services.auth import create_user
    from services.organisations import create_organisation

    c = cohort(engine)
    user = create_user(engine, "newcomer", "bench-Pass-2024!")
    org = create_organisation(engine, load_actor(engine, user.id), "Newcomer Ltd", profile())
    at = app_test(user.id, lang="en", org_id=org.id).run()
    at.switch_page("app_pages/peers.py").run()
    assert "has not joined an association yet" in rendered_text(at)
    at.text_input(key="join_code").input("not-a-code")
    _button(at, "Join").click().run()
    assert "no association has this invitation code" in rendered_text(at)
    code = bm.get_association(engine, system, c.association_id).invite_code or ""
    at.text_input(key="join_code").input(code)
    _button(at, "Join").click().run()
    text = rendered_text(at)
    assert "Joined \"Alliance of assoc-admin\"." in text
    assert "2026 round" in text  # the open round is offered at once
