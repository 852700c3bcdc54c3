"""The benchmarking pages, driven as users drive them (AppTest): open a round, take part, submit, look."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from benchmarking.labels import unit_label
from i18n import t
from questionnaires import get_questionnaire
from services.assessments import get_assessment
from services.associations import get_association, set_min_group_size
from services.benchmark_workbooks import benchmark_xlsx
from services.round_dashboard import round_dashboard
from services.round_members import member_rounds
from services.rounds import close_round, list_rounds, open_round, reopen_round
from tests.support.apptest import Downloads, app_test
from tests.support.benchmark_data import Cohort, cohort, profile, rendered_text, workbook_values

ANON = "Anonymous Member Ltd 匿名成员"
IDENT = "Identified Member Ltd 实名成员"


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _round_label(at: AppTest) -> str:
    """The selected round as the round selector shows it (it carries the participation counts)."""
    box = at.selectbox(key="round_pick")
    return str(box.format_func(box.value))


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
    mine = next(mr for mr in member_rounds(c.engine, c.member(name), org_id) if mr.round.id == c.round_id)
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
    rounds = list_rounds(engine, c.admin(), c.association_id)
    assert [r.round.name for r in rounds] == ["Spring 2026"] and rounds[0].round.is_open
    c.round_id = rounds[0].round.id
    assert "Nothing is released for this round yet" in rendered_text(at) and _round_label(at).endswith("0/3 submitted)")

    anon_id = _take_part(c, ANON, "anonymous")
    ident_id = _take_part(c, IDENT, "identified")
    c.answer(ANON, anon_id, 2, note="our private evidence")
    c.answer(IDENT, ident_id, 3)
    _submit(c, ANON, anon_id)
    assert _round_label(_dashboard(c)).endswith("1/3 submitted)")
    _submit(c, IDENT, ident_id)

    at = _dashboard(c)
    assert _round_label(at).endswith("2/3 submitted)") and "Nothing is released for this round yet" in rendered_text(at)
    _button(at, "Close round").click().run()  # closing publishes the final release
    assert not at.exception, at.exception
    assert _metrics(at) == {"Invited members": "3", "Started": "0", "Submitted": "2", "Response rate": "66.7%"}
    text = rendered_text(at)
    assert IDENT in text
    assert ANON not in text and "our private evidence" not in text and "Silent Member Ltd" not in text
    identified = next(df.value for df in at.dataframe if "Organisation" in df.value.columns)
    assert list(identified["Organisation"]) == [IDENT] and list(identified["Overall"]) == ["3.00"]
    # Two submissions are below the threshold of five: no statistics at all, only the notice.
    assert "Fewer than 5 independent anonymous members are in this release" in text
    assert "Showing release #1 (final)" in text
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
    assert box["x"][0] == "Overall" and 0 <= box["q1"][0] <= box["median"][0] <= box["q3"][0] <= 5
    assert "y" not in box  # the box is drawn from published quantiles, not from members' scores
    assert "These are privacy-protected estimates (differential privacy, ε = 2 for this release)" in rendered_text(at)
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
    assert member_rounds(engine, c.member(IDENT), org_id)[0].sharing == "identified"


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
    open_round(engine, theirs.admin(), theirs.association_id, "Their secret round", deadline=None)
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
    from services.accounts import create_user
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
    code = get_association(engine, system, c.association_id).invite_code or ""
    at.text_input(key="join_code").input(code)
    _button(at, "Join").click().run()
    text = rendered_text(at)
    assert "Joined \"Alliance of assoc-admin\"." in text
    assert "2026 round" in text  # the open round is offered at once


# --- audit fixes ---------------------------------------------------------------------------------

TOO_FEW = "Too few to show"


def _large_round(engine) -> Cohort:
    c = cohort(engine)
    for i in range(6):
        c.add(f"Member {i}", profile("finance"))
        c.submit(f"Member {i}", 1 + i % 4)
    return c


def _chart_types(at: AppTest) -> set[str]:
    return {json.loads(el.proto.spec)["data"][0]["type"] for el in at.get("plotly_chart")}


def test_a_form_error_is_shown_at_the_form_and_the_dashboard_still_renders(app_db, engine):
    c = _large_round(engine)
    at = _dashboard(c)
    assert {"box", "scatterpolar", "heatmap"} <= _chart_types(at)
    _button(at, "Register and add to the association").click().run()  # the organisation name left empty
    assert not at.exception, at.exception
    assert any("name: give a name of 1 to 200 characters" in e.value for e in at.error)
    assert {"box", "scatterpolar", "heatmap"} <= _chart_types(at)  # the rest of the dashboard is still there
    assert _metrics(at)["Submitted"] == "6" and "Identified members' scores" in rendered_text(at)
    at.text_input(key="round_name").input("x" * 201)
    _button(at, "Open round").click().run()
    assert any("1 to 200 characters" in e.value for e in at.error)
    assert {"box", "scatterpolar", "heatmap"} <= _chart_types(at)


def test_a_peers_page_action_error_keeps_the_comparison(app_db, engine):
    c = _large_round(engine)
    org_id, user_id = c.orgs["Member 0"]
    at = app_test(user_id, lang="en", org_id=org_id).run()
    at.switch_page("app_pages/peers.py").run()
    at.text_input(key="join_code").input("not-a-code")
    _button(at, "Join").click().run()
    assert not at.exception, at.exception
    assert any("no association has this invitation code" in e.value for e in at.error)
    assert "Compare with members like you" in rendered_text(at) and "scatterpolar" in _chart_types(at)


def _mixed(engine) -> tuple[Cohort, str]:
    """Finance: 3 identified and 7 anonymous members; three anonymous ones are N/A on the whole last
    dimension, so it is scored by four independent members only and hidden, while the segment is shown."""
    c = cohort(engine)
    last = get_questionnaire().dimensions[-1]
    na = tuple(x.id for s in last.subdimensions for x in s.questions)
    for i in range(3):
        c.add(f"Named {i}", profile("finance"))
        c.submit(f"Named {i}", 1 + i % 4, sharing="identified")
    for i in range(7):
        c.add(f"Quiet {i}", profile("finance"))
        c.submit(f"Quiet {i}", 2 + i % 2, na=na if i < 3 else ())
    return c, last.id


def test_a_hidden_unit_inside_a_shown_segment_reads_too_few_everywhere(app_db, engine):
    c, hidden = _mixed(engine)
    q = get_questionnaire()
    last = q.dimensions[-1]
    s = round_dashboard(engine, c.admin(), c.round_id).stats
    finance = next(r for r in s.segment_rows("sector") if r.value == "finance")
    assert not s.suppressed and not finance.suppressed and 5 <= (finance.count or 0) <= 10
    assert finance.dist(hidden).suppressed and not finance.dist(q.dimensions[0].id).suppressed

    at = _dashboard(c)
    name = unit_label(q, hidden, "en")  # tables name a unit with its code
    assert name == f"{hidden} {q.t(last.name, 'en')}"
    segments = next(df.value for df in at.dataframe if "Sector" in df.value.columns)
    row = segments[segments["Sector"] == "Finance"].iloc[0]
    assert row["Organisations"].isdigit() and row[name] == TOO_FEW  # not "Not scored", not blank
    assert row[unit_label(q, q.dimensions[0].id, "en")] not in (TOO_FEW, "Not scored", "")
    heat = next(json.loads(el.proto.spec) for el in at.get("plotly_chart")
                if json.loads(el.proto.spec)["data"][0]["type"] == "heatmap")["data"][0]
    fin = heat["y"].index("Finance")
    for column, z, text in zip(heat["x"], heat["z"][fin], heat["text"][fin], strict=True):
        if column == q.t(last.name, "en"):
            assert z is None and text.replace("<br>", " ") == TOO_FEW, column
        else:
            assert z is not None and text == f"{z:.2f}", column
    radar = next(json.loads(el.proto.spec) for el in at.get("plotly_chart") if json.loads(el.proto.spec)["data"][0]
                 ["type"] == "scatterpolar")["data"]
    assert [t["name"] for t in radar] == ["P25–P75 band", "Median"]  # the band stays for the shown dimensions
    assert f"{q.t(last.name, 'en')}<br>({TOO_FEW})" in radar[1]["theta"]

    values = workbook_values(benchmark_xlsx(engine, c.admin(), c.round_id, "en"))
    fin_at = values.index("Finance", values.index("Sector"))
    assert values[fin_at + 1].isdigit() and TOO_FEW in values[fin_at + 2: fin_at + 2 + 1 + len(q.dimensions)]

    org_id, user_id = c.orgs["Named 0"]
    at = app_test(user_id, lang="en", org_id=org_id).run()
    at.switch_page("app_pages/peers.py").run()
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if "Your position" in df.value.columns)
    mine = table[table["Unit"] == name].iloc[0]
    assert mine["Peer median"] == TOO_FEW and mine["P75"] == TOO_FEW and mine["Your position"] == "—"


def test_every_sector_is_listed_so_a_hidden_one_looks_like_an_empty_one(app_db, engine):
    c = _large_round(engine)
    for i in range(2):
        c.add(f"ICT {i}", profile("ict"))
        c.submit(f"ICT {i}", 3)
    s = round_dashboard(engine, c.admin(), c.round_id).stats
    rows = {r.value: r for r in s.segment_rows("sector")}
    assert list(rows) == [o.id for o in get_questionnaire().profile_field("sector").options]
    assert rows["ict"] == replace(rows["education"], value="ict")  # two submitted and none: the same row
    at = _dashboard(c)
    segments = next(df.value for df in at.dataframe if "Sector" in df.value.columns)
    ict = segments[segments["Sector"] == "ICT and internet"].drop(columns="Sector").iloc[0].to_list()
    education = segments[segments["Sector"] == "Education"].drop(columns="Sector").iloc[0].to_list()
    assert ict == education and ict[0] == TOO_FEW


def test_the_peers_page_shows_the_release_whatever_the_member_submits(app_db, engine):
    """A draft and its submission are compared with the same released figures; only the member's
    own scores and position change. The page says the figures are estimates, with their error."""
    c = _large_round(engine)
    c.add("Drafter", profile("finance"))
    aid = _take_part(c, "Drafter", "anonymous")
    c.answer("Drafter", aid, 3)
    org_id, user_id = c.orgs["Drafter"]
    at = app_test(user_id, lang="en", org_id=org_id).run()
    at.switch_page("app_pages/peers.py").run()
    assert not at.exception, at.exception
    text = rendered_text(at)
    assert "These are privacy-protected estimates" in text and "typically lies within ±" in text
    before = next(df.value for df in at.dataframe if "Your position" in df.value.columns)
    _button(at, "Submit to this round").click().run()
    at.switch_page("app_pages/peers.py").run()
    after = next(df.value for df in at.dataframe if "Your position" in df.value.columns)
    peers = ["P25", "Peer median", "P75"]
    assert before[peers].equals(after[peers])


def test_the_workbook_is_built_at_the_click_from_the_round_as_it_is_then(app_db: str, engine: Engine,
                                                                         downloads: Downloads) -> None:
    c = _large_round(engine)
    at = _dashboard(c)
    assert "Download benchmark workbook (Excel)" in [b.proto.label for b in at.get("download_button")]
    assert "Submitted: 6" in workbook_values(downloads.file(at, "benchmark_xlsx"))
    c.add("Late Ltd", profile("finance"))
    c.submit("Late Ltd", 4)  # a submission after the page was shown: not in the current release
    set_min_group_size(engine, c.admin(), c.association_id, 6)
    assert "Submitted: 6" in workbook_values(downloads.file(at, "benchmark_xlsx"))  # the same release
    close_round(engine, c.admin(), c.round_id)  # the final release
    values = workbook_values(downloads.file(at, "benchmark_xlsx"))
    assert "Submitted: 7" in values and "#2, ε = 2" in values


def test_reopen_is_not_offered_for_a_submission_in_a_closed_round(app_db, engine):
    c = _large_round(engine)
    close_round(engine, c.admin(), c.round_id)
    org_id, user_id = c.orgs["Member 0"]
    at = app_test(user_id, lang="en", org_id=org_id).run()
    at.switch_page("app_pages/assessments.py").run()
    assert not at.exception, at.exception
    reopen = next(b for b in at.button if b.label == "Reopen")
    assert reopen.disabled
    assert "Submitted to the closed benchmarking round “2026 round”" in rendered_text(at)
    reopen_round(engine, c.admin(), c.round_id)
    at.run()
    reopen = next(b for b in at.button if b.label == "Reopen")
    assert not reopen.disabled


def test_a_refused_reopen_is_explained_in_the_users_language(app_db, engine, monkeypatch):
    """Should the button be offered anyway (the round closed in between), the service's refusal is translated."""
    c = _large_round(engine)
    close_round(engine, c.admin(), c.round_id)
    from services import rounds

    monkeypatch.setattr(rounds, "round_of", lambda *_: None)  # the page does not know about the round
    org_id, user_id = c.orgs["Member 0"]
    at = app_test(user_id, lang="en", org_id=org_id).run()
    at.switch_page("app_pages/assessments.py").run()
    next(b for b in at.button if b.label == "Reopen").click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "This assessment was submitted to the benchmarking round “2026 round”, which is closed. Reopening it would "
        "take its submission out of that round for good, so it stays submitted. Ask the association to reopen the "
        "round first."]
    assert get_assessment(engine, c.member("Member 0"), c.assessments["Member 0"]).status == "submitted"



@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_submission_refused_because_the_round_closed_meanwhile_says_which_state(app_db, engine, lang):
    """A member confirms "Submit" after the association closed the round: the page says the round is closed
    (its number, what that means, who can reopen it) in the page's language — not a generic "not possible in
    the current state" — and the assessment stays a draft."""
    c = _large_round(engine)
    c.add("Late Member", profile("finance"))
    aid = _take_part(c, "Late Member", "anonymous")
    org_id, user_id = c.orgs["Late Member"]
    at = app_test(user_id, lang=lang, org_id=org_id).run()
    at.switch_page("app_pages/assessments.py").run()
    _button(at, t("assessments.submit", lang)).click().run()
    close_round(engine, c.admin(), c.round_id)  # the association, while the member reads the confirmation
    _button(at, t("assessments.confirm_submit_button", lang)).click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [t("state.round_closed", lang, id=c.round_id)]
    assert get_assessment(engine, c.member("Late Member"), aid).status == "draft"
