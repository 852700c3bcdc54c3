"""A member organisation leaves an association from the Peer comparison page, as docs/benchmarking.md says.

"Leaving": the organisation's assessments stay its own; it is not in the association's next
releases (neither its scores nor, if it shared identified, its name); releases already published stay
as they were. The administrator reads that before confirming; a respondent has no such control.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from enums import AssessmentStatus, OrgRole, Sharing
from services.access import Actor
from services.accounts import create_user
from services.assessments import get_assessment
from services.associations import leave_association, member_associations
from services.errors import StateError
from services.members import add_member
from services.releases import get_published_release
from services.round_members import start_round_assessment, submit_to_round
from services.rounds import close_round
from tests.support.apptest import app_test
from tests.support.benchmark_data import PASSWORD, Cohort, cohort, profile, rendered_text

LEAVER = "Leaving Member Ltd 退出成员"


def _peers(c: Cohort, user_id: int, org_id: int, lang: str = "en") -> AppTest:
    at = app_test(user_id, lang=lang, org_id=org_id, query={"round": str(c.round_id)})
    at.run()
    at.switch_page("app_pages/peers.py").run()
    assert not at.exception, at.exception
    return at


def _button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def _round_with_an_identified_leaver(engine: Engine) -> Cohort:
    c = cohort(engine)
    for i in range(5):
        c.add(f"Member {i}", profile())
        c.submit(f"Member {i}", 1 + i % 4)
    c.add(LEAVER, profile())
    c.submit(LEAVER, 3, sharing=Sharing.IDENTIFIED)
    return c


def test_the_administrator_confirms_and_the_association_is_gone(app_db: str, engine: Engine) -> None:
    c = _round_with_an_identified_leaver(engine)
    org_id, user_id = c.orgs[LEAVER]
    published = get_published_release(engine, c.admin(), c.round_id)  # the first release, with the leaver
    assert published is not None
    assert [r["name"] for r in published.release.identified] == [LEAVER]

    at = _peers(c, user_id, org_id)
    assert "Your organisation is a member of: Alliance of assoc-admin" in rendered_text(at)
    _button(at, "leave_ask").click().run()
    text = rendered_text(at)
    assert 'Leave "Alliance of assoc-admin"?' in text
    assert "Releases already published, closed rounds' included, stay as they were." in text
    _button(at, "leave_no").click().run()  # cancelled: nothing changed
    assert not at.exception, at.exception
    assert [a.name for a in member_associations(engine, c.member(LEAVER), org_id)] == ["Alliance of assoc-admin"]
    assert not any(b.key == "leave_yes" for b in at.button)

    _button(at, "leave_ask").click().run()
    _button(at, "leave_yes").click().run()
    assert not at.exception, at.exception
    text = rendered_text(at)
    assert 'Your organisation has left "Alliance of assoc-admin".' in text
    assert "has not joined an association yet" in text  # the page it now has: join with a code
    assert "2026 round" not in text and "round" not in at.query_params  # the round it had open is gone
    assert member_associations(engine, c.member(LEAVER), org_id) == []

    # Its assessment stays its own, submitted as it was.
    own = get_assessment(engine, c.member(LEAVER), c.assessments[LEAVER])
    assert own.status == AssessmentStatus.SUBMITTED
    # The published release is unchanged; the next one (here the final one) has neither its name nor it.
    again = get_published_release(engine, c.admin(), c.round_id)
    assert again is not None and again.release == published.release
    close_round(engine, c.admin(), c.round_id)
    final = get_published_release(engine, c.admin(), c.round_id)
    assert final is not None and final.release.entry.seq == published.release.entry.seq + 1
    assert final.release.identified == () and final.release.participation.submitted == 5
    assert final.release.participation.invited == 5


def test_the_confirmation_is_in_chinese_too(app_db: str, engine: Engine) -> None:
    c = _round_with_an_identified_leaver(engine)
    org_id, user_id = c.orgs[LEAVER]
    at = _peers(c, user_id, org_id, lang="zh")
    _button(at, "leave_ask").click().run()
    text = rendered_text(at)
    assert "确定退出“Alliance of assoc-admin”？" in text and "已经发布的版本" in text
    _button(at, "leave_yes").click().run()
    assert "本组织已退出“Alliance of assoc-admin”。" in rendered_text(at)


def test_a_respondent_cannot_leave_for_the_organisation(app_db: str, engine: Engine) -> None:
    c = _round_with_an_identified_leaver(engine)
    org_id, _admin = c.orgs[LEAVER]
    rita = create_user(engine, "rita-leaver", PASSWORD)
    add_member(engine, Actor.system(), org_id, "rita-leaver", OrgRole.RESPONDENT)
    at = _peers(c, rita.id, org_id)
    assert "Your organisation is a member of: Alliance of assoc-admin" in rendered_text(at)
    assert not any(b.key in ("leave_ask", "leave_yes") for b in at.button)
    assert not any(e.label == "Leave an association" for e in at.expander)


def test_after_leaving_a_draft_in_the_open_round_cannot_be_submitted_there(engine: Engine) -> None:
    """A draft started in the round before leaving: submitting it afterwards is refused (it would not
    count, so accepting it would mislead), and the draft stays a draft with its answers."""
    c = cohort(engine)
    c.add(LEAVER, profile())
    org_id, _ = c.orgs[LEAVER]
    who = c.member(LEAVER)
    draft = start_round_assessment(engine, who, org_id, c.round_id)
    c.answer(LEAVER, draft.id, 3)
    (association,) = member_associations(engine, who, org_id)
    leave_association(engine, who, org_id, association.id)
    before = get_assessment(engine, c.member(LEAVER), draft.id)
    with pytest.raises(StateError):
        submit_to_round(engine, c.member(LEAVER), draft.id)
    after = get_assessment(engine, c.member(LEAVER), draft.id)
    assert after.status == AssessmentStatus.DRAFT and after.version_id == before.version_id  # nothing written
