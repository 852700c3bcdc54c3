"""Associations, invitation codes, rounds, sharing choices and who may see what (services.associations, rounds, round_members, peer_comparison, ...)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from benchmarking.statistics import Participation
from db.engine import make_engine, read_session, write_session
from db.models import Association, AssociationMember
from questionnaires import get_questionnaire
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import create_assessment, get_assessment, submit
from services.associations import (
    create_association,
    get_association,
    join_association,
    leave_association,
    list_administered,
    member_associations,
    rotate_invite_code,
    set_min_group_size,
)
from services.benchmark_workbooks import benchmark_xlsx
from services.errors import Forbidden, InvalidInput, NotFound, StateError
from services.members import add_member
from services.organisations import create_organisation
from services.peer_comparison import member_comparison, peer_summary
from services.round_dashboard import RoundStamp, peer_stamp, round_dashboard
from services.round_members import set_sharing, start_round_assessment, submit_to_round
from services.rounds import close_round, get_round, list_rounds, open_round, reopen_round, round_of
from tests.support.benchmark_data import PASSWORD, cohort, profile

# Where a member's own score may lie among the released quantiles (benchmarking.statistics._position).
POSITIONS = ("below_p25", "p25_median", "median_p75", "above_p75", "below_median", "above_median")


def test_only_platform_admins_create_associations(engine, system):
    user = create_user(engine, "someone", PASSWORD)
    with pytest.raises(Forbidden):
        create_association(engine, Actor(user.id, "someone"), "Park")
    a = create_association(engine, system, "Park", admin_username="someone")
    assert a.min_group_size == 5 and a.invite_code and len(list_administered(engine, system)) == 1


@pytest.mark.parametrize("bad", [2, 0, -5, 1.5, True, 101])
def test_threshold_is_never_below_three(engine, system, bad):
    with pytest.raises(InvalidInput, match="min_group_size"):
        create_association(engine, system, "Park", min_group_size=bad)
    a = create_association(engine, system, "Park", min_group_size=3)
    with pytest.raises(InvalidInput, match="from 3"):
        set_min_group_size(engine, system, a.id, bad)
    assert get_association(engine, system, a.id).min_group_size == 3


def test_database_refuses_a_threshold_below_three(engine, system):
    """Even a write that bypasses the service cannot store a threshold below 3."""
    a = create_association(engine, system, "Park")
    with pytest.raises(IntegrityError), write_session(engine) as s:
        s.get(Association, a.id).min_group_size = 2


def test_join_with_invitation_code(engine, system):
    c = cohort(engine)
    user = create_user(engine, "lead", PASSWORD)
    org = create_organisation(engine, load_actor(engine, user.id), "Joiner Ltd", profile())
    lead = load_actor(engine, user.id)
    code = get_association(engine, system, c.association_id).invite_code
    assert code is not None
    with pytest.raises(InvalidInput, match="invitation code"):
        join_association(engine, lead, org.id, "WRONG-CODE-0000")
    assert member_associations(engine, lead, org.id) == []
    joined = join_association(engine, lead, org.id, code.lower().replace("-", " "))
    assert joined.id == c.association_id and joined.invite_code is None  # members never see the code
    assert [a.id for a in member_associations(engine, lead, org.id)] == [c.association_id]
    join_association(engine, lead, org.id, code)  # joining twice changes nothing
    with read_session(engine) as s:
        assert len(list(s.scalars(select(AssociationMember).where(AssociationMember.organisation_id == org.id)))) == 1


def test_rotated_code_stops_the_old_one(engine, system):
    c = cohort(engine)
    old = get_association(engine, system, c.association_id).invite_code
    new = rotate_invite_code(engine, c.admin(), c.association_id).invite_code
    assert new != old
    user = create_user(engine, "lead", PASSWORD)
    org = create_organisation(engine, load_actor(engine, user.id), "Late Ltd", profile())
    lead = load_actor(engine, user.id)
    with pytest.raises(InvalidInput):
        join_association(engine, lead, org.id, old or "")
    join_association(engine, lead, org.id, new or "")


def test_respondents_cannot_join_or_be_identified(engine, system):
    c = cohort(engine)
    org_id = c.add("Member A", profile())
    resp_user = create_user(engine, "resp", PASSWORD)
    add_member(engine, system, org_id, "resp", "respondent")
    resp = load_actor(engine, resp_user.id)
    code = get_association(engine, system, c.association_id).invite_code or ""
    with pytest.raises(Forbidden):
        join_association(engine, resp, org_id, code)
    with pytest.raises(Forbidden):
        start_round_assessment(engine, resp, org_id, c.round_id, sharing="identified")
    view = start_round_assessment(engine, resp, org_id, c.round_id)
    assert view.sharing == "anonymous" and view.round_id == c.round_id
    with pytest.raises(Forbidden):
        set_sharing(engine, resp, view.id, "identified")


def test_rounds_open_close_and_participation(engine, system):
    c = cohort(engine)
    for name in ("A", "B", "C"):
        c.add(name, profile())
    admin = c.admin()
    with pytest.raises(InvalidInput, match="deadline"):
        open_round(engine, admin, c.association_id, "Old", deadline=date.today() - timedelta(days=1))
    with pytest.raises(InvalidInput, match="name"):
        open_round(engine, admin, c.association_id, "  ", deadline=None)
    r = open_round(engine, admin, c.association_id, "Spring", deadline=date.today() + timedelta(days=10))
    assert r.is_open and r.deadline is not None and r.deadline.hour == 23
    c.submit("A", 2)
    start_round_assessment(engine, c.member("B"), c.orgs["B"][0], c.round_id)
    summary = {s.round.id: s for s in list_rounds(engine, admin, c.association_id)}
    assert (summary[c.round_id].invited, summary[c.round_id].started, summary[c.round_id].submitted) == (3, 1, 1)
    assert (summary[r.id].started, summary[r.id].submitted) == (0, 0)
    closed = close_round(engine, admin, c.round_id)
    assert closed.status == "closed"
    with pytest.raises(StateError):
        close_round(engine, admin, c.round_id)
    with pytest.raises(StateError):
        start_round_assessment(engine, c.member("C"), c.orgs["C"][0], c.round_id)
    assert reopen_round(engine, admin, c.round_id).is_open


def test_submission_needs_an_open_round(engine):
    c = cohort(engine)
    c.add("A", profile())
    view = start_round_assessment(engine, c.member("A"), c.orgs["A"][0], c.round_id)
    close_round(engine, c.admin(), c.round_id)
    with pytest.raises(StateError):
        submit_to_round(engine, c.member("A"), view.id)
    assert get_assessment(engine, c.member("A"), view.id).status == "draft"


def test_one_assessment_per_round(engine):
    c = cohort(engine)
    c.add("A", profile())
    start_round_assessment(engine, c.member("A"), c.orgs["A"][0], c.round_id)
    with pytest.raises(StateError):
        start_round_assessment(engine, c.member("A"), c.orgs["A"][0], c.round_id)


def test_sharing_changes_only_before_submission(engine):
    c = cohort(engine)
    c.add("A", profile())
    who = c.member("A")
    view = start_round_assessment(engine, who, c.orgs["A"][0], c.round_id)
    assert set_sharing(engine, who, view.id, "identified").sharing == "identified"
    assert set_sharing(engine, who, view.id, "anonymous").sharing == "anonymous"
    with pytest.raises(InvalidInput):
        set_sharing(engine, who, view.id, "public")
    submit(engine, who, view.id)
    with pytest.raises(StateError):
        set_sharing(engine, who, view.id, "identified")
    assert get_assessment(engine, who, view.id).sharing == "anonymous"


def test_non_members_cannot_start_in_a_round(engine, system):
    c = cohort(engine)
    user = create_user(engine, "outsider", PASSWORD)
    org = create_organisation(engine, load_actor(engine, user.id), "Outside Ltd", profile())
    with pytest.raises(NotFound):
        start_round_assessment(engine, load_actor(engine, user.id), org.id, c.round_id)


def test_members_and_other_associations_get_not_found(engine, system):
    """A member cannot open the dashboard; another association's admin cannot open this round by id."""
    c = cohort(engine, admin="admin-one")
    other = cohort(engine, admin="admin-two")
    c.add("A", profile())
    c.submit("A", 3)
    member, stranger = c.member("A"), other.admin()
    for who in (member, stranger):
        with pytest.raises(NotFound):
            round_dashboard(engine, who, c.round_id)
        with pytest.raises(NotFound):
            get_round(engine, who, c.round_id)
        with pytest.raises(NotFound):
            benchmark_xlsx(engine, who, c.round_id, "zh")
        with pytest.raises(NotFound):
            list_rounds(engine, who, c.association_id)
        with pytest.raises(NotFound):
            close_round(engine, who, c.round_id)
        with pytest.raises(NotFound):
            get_association(engine, who, c.association_id)
    with pytest.raises(NotFound):  # a round id that does not exist reads the same
        round_dashboard(engine, stranger, 99999)
    with pytest.raises(NotFound):  # the other association's admin cannot read the member's comparison either
        member_comparison(engine, stranger, c.assessments["A"])
    dash = round_dashboard(engine, c.admin(), c.round_id)
    assert dash.stats is None and dash.release is None  # open, one member: nothing is released yet


def test_peer_summary_for_the_results_page(engine, system):
    c = cohort(engine)
    for i in range(6):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 1 + i % 4)
    own = c.assessments["M0"]
    summary = peer_summary(engine, c.member("M0"), own)
    assert summary is not None and summary.segment == "sector" and summary.peers is not None
    assert 5 <= summary.peers <= 6  # a noisy count, known to be at least the threshold and at most the round
    assert set(summary.dimensions) == {"GOV", "IDE", "ASM", "RES"}
    gov = summary.median["GOV"]  # an estimate of the median of 1, 1, 2, 2, 3, 4: any value of the scale, 0 included
    assert gov is not None and 0 <= gov <= 5
    assert summary.epsilon == 2.0 and summary.typical_error is not None
    # Not in a round → None; another organisation's assessment → NotFound.
    outside = create_organisation(engine, c.member("M0"), "Second org", profile())
    plain = create_assessment(engine, system, outside.id)
    assert peer_summary(engine, system, plain.id) is None
    with pytest.raises(NotFound):
        peer_summary(engine, c.member("M1"), own)


def test_peer_summary_is_none_when_the_group_is_too_small(engine):
    c = cohort(engine)
    for i in range(4):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 2)
    assert peer_summary(engine, c.member("M0"), c.assessments["M0"]) is None
    comp = member_comparison(engine, c.member("M0"), c.assessments["M0"])
    assert comp.stats.suppressed and comp.stats.peers is None
    assert all(d.median is None for d in comp.stats.units.values())


def test_members_who_left_drop_out_at_the_next_release(engine):
    """A release never changes; a member who left is not in the next one (here the final one)."""
    c = cohort(engine)
    for i in range(5):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 2)
    first = round_dashboard(engine, c.admin(), c.round_id)
    assert first.stats is not None and not first.stats.suppressed
    leave_association(engine, c.member("M4"), c.orgs["M4"][0], c.association_id)
    assert round_dashboard(engine, c.admin(), c.round_id).stats == first.stats
    close_round(engine, c.admin(), c.round_id)
    dash = round_dashboard(engine, c.admin(), c.round_id)
    assert dash.stats is not None and dash.stats.participation == Participation(invited=4, started=0, submitted=4)
    assert dash.stats.suppressed


def test_dashboard_and_comparison_on_both_backends(any_db_url):
    """The one-query loaders read the same frames from SQLite and PostgreSQL (N/A and levels alike)."""
    engine = make_engine(any_db_url)
    try:
        c = cohort(engine)
        first = get_questionnaire().questions()[0].id
        for i in range(6):
            c.add(f"M{i}", profile())
            c.submit(f"M{i}", min(1 + i, 5), na=(first,) if i == 0 else (),
                     sharing="identified" if i == 5 else "anonymous")
        s = round_dashboard(engine, c.admin(), c.round_id).stats
        assert s is not None and s.units["overall"].count == 6
        median = s.units["overall"].median  # a noisy estimate: any value of the scale, 0 included
        assert median is not None and 0 <= median <= 5
        assert [r.organisation_name for r in s.identified] == ["M5"] and s.identified[0].overall == pytest.approx(5.0)
        comp = member_comparison(engine, c.member("M0"), c.assessments["M0"], "all")
        assert comp.stats.peers == 6 and comp.stats.own["overall"] == pytest.approx(1.0)
        assert comp.stats.position["overall"] in POSITIONS
        assert peer_summary(engine, c.member("M2"), c.assessments["M2"]) is not None
    finally:
        engine.dispose()


def test_failed_join_is_recorded(engine) -> None:
    """A wrong invitation code is refused, and the attempt stays in the security events."""
    from sqlalchemy import func, select

    from db.engine import read_session
    from db.models import EventLog
    from services.access import load_actor
    from services.accounts import create_user
    from services.associations import join_association
    from services.errors import InvalidInput
    from services.organisations import create_organisation

    user = create_user(engine, "joiner", "joiner-password-1")
    who = load_actor(engine, user.id)
    org = create_organisation(engine, who, "加入者", {"ai_roles": ["user"], "genai_public": False,
                                                  "high_impact": False, "sector": "ict", "size": "small"})
    who = load_actor(engine, user.id)
    with pytest.raises(InvalidInput):
        join_association(engine, who, org.id, "NOPE-NOPE-NOPE")
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(EventLog)
                        .where(EventLog.action == "association_join_failed")) == 1


# --- audit fixes: reopen in a closed round, hidden peers, percentile of drafts, stamps -----------

def test_a_submission_in_a_closed_round_cannot_be_reopened(engine):
    """A closed round keeps what was submitted: reopening would drop the member out of it for good."""
    from services.assessments import RoundClosedReopen, reopen

    c = cohort(engine)
    for i in range(5):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 2)
    close_round(engine, c.admin(), c.round_id)
    with pytest.raises(StateError) as refused:
        reopen(engine, c.member("M0"), c.assessments["M0"])
    assert isinstance(refused.value, RoundClosedReopen) and refused.value.values["round"] == "2026 round"
    assert "closed" in str(refused.value)
    assert get_assessment(engine, c.member("M0"), c.assessments["M0"]).status == "submitted"
    s = round_dashboard(engine, c.admin(), c.round_id).stats
    assert s.participation.submitted == 5 and not s.suppressed  # still counted, still shown
    reopen_round(engine, c.admin(), c.round_id)  # once the round is open again, reopening is allowed
    assert reopen(engine, c.member("M0"), c.assessments["M0"]).status == "draft"


def test_hidden_peer_group_is_a_suppressed_summary_on_request(engine):
    c = cohort(engine)
    for i in range(3):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 2)
    own = c.assessments["M0"]
    assert peer_summary(engine, c.member("M0"), own) is None  # the workbook's contract is unchanged
    hidden = peer_summary(engine, c.member("M0"), own, include_hidden=True)
    assert hidden is not None and hidden.suppressed and hidden.peers is None and hidden.min_group_size == 5
    assert hidden.round_name == "2026 round" and all(d.suppressed for d in hidden.dimensions.values())
    with pytest.raises(NotFound):
        peer_summary(engine, c.member("M1"), own, include_hidden=True)


def test_a_members_own_changes_never_change_what_it_sees_of_its_peers(engine):
    """Draft or submitted, edited or not: the peers' figures are the release's until the next one.

    Re-reading a live comparison after each edit would trace out the peers' scores one by one; the
    position is read off the released quantiles, so it tells nothing the release does not.
    """
    c = cohort(engine)
    for i in range(6):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 1 + i % 4)
    c.add("Drafter", profile())
    org_id = c.orgs["Drafter"][0]
    draft = start_round_assessment(engine, c.member("Drafter"), org_id, c.round_id).id
    c.answer("Drafter", draft, 3)
    comp = member_comparison(engine, c.member("Drafter"), draft)
    assert comp.assessment_status == "draft" and not comp.stats.suppressed and comp.release is not None
    assert comp.stats.own["overall"] == pytest.approx(3.0) and comp.stats.units["overall"].median is not None
    c.answer("Drafter", draft, 5)
    submit_to_round(engine, c.member("Drafter"), draft)
    again = member_comparison(engine, c.member("Drafter"), draft)
    assert again.stats.own["overall"] == pytest.approx(5.0)
    assert again.stats.units == comp.stats.units and again.release == comp.release
    assert all(v in POSITIONS for v in again.stats.position.values())


def test_round_stamps_change_with_every_release_and_nothing_else_of_other_members(engine):
    """The pages key prepared workbooks and cached peer summaries by these stamps: the statistics
    change only with a release; a member's view also with its own assessment."""
    from services.assessments import reopen

    c = cohort(engine)
    for i in range(5):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 2)
    view = get_assessment(engine, c.member("M0"), c.assessments["M0"])

    def stamps() -> tuple[RoundStamp, RoundStamp | None]:
        return round_dashboard(engine, c.admin(), c.round_id).stamp, peer_stamp(engine, view)

    first = stamps()
    assert first[0] == stamps()[0] and first[0].release == 1
    assert first[1] is not None and (first[1].round_id, first[1].release) == (first[0].round_id, first[0].release)
    c.add("M5", profile())
    c.submit("M5", 3)  # a new submission: no new release, the same statistics
    reopen(engine, c.member("M5"), c.assessments["M5"])
    set_min_group_size(engine, c.admin(), c.association_id, 4)
    assert stamps()[0] == first[0]
    close_round(engine, c.admin(), c.round_id)  # the final release
    last = stamps()
    assert last[0] != first[0] and last[0].release == 2 and last[1] is not None and last[1].release == 2
    blob = repr(last[0])
    assert "M0" not in blob and "assessment_id" not in blob and "organisation_id" not in blob
    plain = create_assessment(engine, c.member("M0"), c.orgs["M0"][0])
    assert peer_stamp(engine, plain) is None and round_of(engine, plain) is None
    assert round_of(engine, view).status == "closed"


def test_benchmark_workbook_from_a_dashboard_already_built(engine, system):
    """The command line prints and exports one dashboard; the actor's rights are still checked."""
    c = cohort(engine)
    other = open_round(engine, system, c.association_id, "Other round", deadline=None)
    c.add("M0", profile())
    with pytest.raises(StateError):  # nothing released yet: no workbook
        benchmark_xlsx(engine, c.admin(), c.round_id, "en")
    close_round(engine, c.admin(), c.round_id)
    dash = round_dashboard(engine, c.admin(), c.round_id)
    assert benchmark_xlsx(engine, c.admin(), c.round_id, "en", dashboard=dash)[:2] == b"PK"
    with pytest.raises(InvalidInput, match="dashboard"):
        benchmark_xlsx(engine, c.admin(), other.id, "en", dashboard=dash)
    with pytest.raises(NotFound):
        benchmark_xlsx(engine, c.member("M0"), c.round_id, "en", dashboard=dash)


def test_command_line_export_scores_the_round_once(engine, db_url, monkeypatch, capsys, tmp_path):
    from cli.main import main as cli_main

    c = cohort(engine)
    for i in range(5):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 2)
    calls: list[int] = []
    from services import round_dashboard as dashboard_module

    real = dashboard_module.dashboard_view
    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dashboard_module, "dashboard_view", counted)
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = tmp_path / "bench.xlsx"
    assert cli_main(["export", "benchmark", "--round", str(c.round_id), "--out", str(out), "--lang", "en"]) == 0
    assert len(calls) == 1 and out.read_bytes()[:2] == b"PK"
    assert "5 submitted" in capsys.readouterr().out
