"""Releases are snapshots: a closed round reads the same for good, and interim releases need news.

* A closed round's workbook is byte-for-byte the same before and after a member leaves the
  association, or a member tries to reopen its submission (refused while the round is closed),
  and after the association changes the threshold and the ε.
* An interim release is refused until at least ``min_group_size`` new independent members have
  submitted since the previous release; resubmissions, members the association registered itself
  and identified members do not count as new independent submissions.
"""

from __future__ import annotations

import pytest

from services.assessments import reopen
from services.associations import leave_association, set_min_group_size, set_release_epsilon
from services.benchmark_workbooks import benchmark_xlsx, peer_xlsx
from services.errors import StateError
from services.releases import get_published_release, publish_release, round_ledger
from services.round_dashboard import round_dashboard
from services.round_members import submit_to_round
from services.rounds import close_round
from tests.support.benchmark_data import cohort, profile


def test_a_closed_rounds_workbook_never_changes(engine) -> None:
    c = cohort(engine)
    for i in range(7):
        c.add(f"M{i}", profile("finance" if i < 5 else "retail"))
        c.submit(f"M{i}", 1 + i % 4, sharing="identified" if i == 6 else "anonymous")
    close_round(engine, c.admin(), c.round_id)
    before = {lang: benchmark_xlsx(engine, c.admin(), c.round_id, lang) for lang in ("zh", "en")}
    peer_before = peer_xlsx(engine, c.member("M1"), c.assessments["M1"], "en")

    leave_association(engine, c.member("M0"), c.orgs["M0"][0], c.association_id)  # a member leaves
    leave_association(engine, c.member("M6"), c.orgs["M6"][0], c.association_id)  # the identified one too
    with pytest.raises(StateError):  # a member cannot take its submission out of a closed round
        reopen(engine, c.member("M2"), c.assessments["M2"])
    set_min_group_size(engine, c.admin(), c.association_id, 6)
    set_release_epsilon(engine, c.admin(), c.association_id, 0.5)

    after = {lang: benchmark_xlsx(engine, c.admin(), c.round_id, lang) for lang in ("zh", "en")}
    assert after == before  # byte for byte
    assert peer_xlsx(engine, c.member("M1"), c.assessments["M1"], "en") == peer_before
    published = get_published_release(engine, c.admin(), c.round_id)
    assert published is not None and published.release.entry.kind == "final"
    assert published.release.participation.submitted == 7 and len(published.release.identified) == 1


def test_an_interim_release_waits_for_enough_new_independent_submissions(engine) -> None:
    c = cohort(engine)
    for i in range(5):
        c.add(f"M{i}", profile())
        c.submit(f"M{i}", 2)
    first = round_dashboard(engine, c.admin(), c.round_id).release  # the first release, on first access
    assert first is not None and first.seq == 1

    # News that does not count: a resubmission, members the association registered, an identified member.
    reopen(engine, c.member("M0"), c.assessments["M0"])
    submit_to_round(engine, c.member("M0"), c.assessments["M0"])
    for i in range(3):
        c.add(f"Registered {i}", profile(), registered=True)
        c.submit(f"Registered {i}", 5)
    c.add("Named", profile())
    c.submit("Named", 4, sharing="identified")
    for i in range(3):
        c.add(f"New {i}", profile())
        c.submit(f"New {i}", 3)
    ledger = round_ledger(engine, c.admin(), c.round_id)
    # M0's resubmission is after the release: it counts once, as its organisation; 3 new + M0 = 4 < 5.
    assert (ledger.new_independent, ledger.needed, ledger.can_publish) == (4, 5, False)
    with pytest.raises(StateError):
        publish_release(engine, c.admin(), c.round_id)
    assert round_dashboard(engine, c.admin(), c.round_id).release == first

    c.add("New 3", profile())
    c.submit("New 3", 1)
    assert round_ledger(engine, c.admin(), c.round_id).can_publish
    second = publish_release(engine, c.admin(), c.round_id)
    assert second.release.entry.seq == 2 and second.release.participation.submitted == 13
    assert round_ledger(engine, c.admin(), c.round_id).new_independent == 0
