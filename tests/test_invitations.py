"""An organisation administrator invites an existing account; its owner accepts or declines.

Threat (docs/security.md, "Invitations"): adding an existing account by name attached another tenant's
user without consent, showed the inviting tenant that person's display name, e-mail and last sign-in,
and told whether the name existed at all.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from i18n import t
from services import members
from services.access import Actor, load_actor
from services.accounts import create_user
from services.errors import Forbidden, InvalidInput, NotFound
from services.invitations import answer_invitation, invite_member, my_invitations
from tests.support.apptest import app_test, shown
from tests.support.cli import run_cli
from tests.ui_flow import PASSWORD, Member, org_admin


@pytest.fixture
def db_url(any_db_url: str) -> str:
    return any_db_url


@pytest.fixture
def lead(engine: Engine) -> Member:
    return org_admin(engine, "lead", "邀请测试科技 Invitations Ltd")


def _member_names(engine: Engine, lead: Member) -> list[str]:
    return [m.username for m in members.list_members(engine, lead.actor(engine), lead.org_id)]


def test_the_answer_is_the_same_whether_the_name_exists_or_not(engine: Engine, lead: Member) -> None:
    create_user(engine, "wang", PASSWORD, display_name="王工", email="wang@example.com")
    create_user(engine, "gone", PASSWORD)
    me = lead.actor(engine)
    for name in ("wang", "nosuch", "lead", "wang", "WANG "):  # no account, a member, invited, invited again:
        invite_member(engine, me, lead.org_id, name, "respondent")  # all alike, nothing returned or raised
    assert _member_names(engine, lead) == ["lead"]  # nobody attached, nothing of wang shown
    wang = load_actor(engine, create_user(engine, "wang2", PASSWORD).id)
    assert my_invitations(engine, wang) == []


def test_the_old_direct_path_leaked_what_invitations_hide(engine: Engine, lead: Member) -> None:
    """Teeth: attaching directly (now only for platform administrators) tells the name apart and shows the
    person's details to the organisation; as an organisation administrator it is refused."""
    create_user(engine, "wang", PASSWORD, display_name="王工", email="wang@example.com")
    with pytest.raises(InvalidInput, match="no account 'nosuch'"):
        members.add_member(engine, Actor.system(), lead.org_id, "nosuch", "respondent")
    view = members.add_member(engine, Actor.system(), lead.org_id, "wang", "respondent")
    assert (view.display_name, view.email) == ("王工", "wang@example.com")
    with pytest.raises(Forbidden):
        members.add_member(engine, lead.actor(engine), lead.org_id, "wang", "org_admin")


def test_the_invitee_accepts_and_only_then_becomes_a_member(engine: Engine, lead: Member) -> None:
    wang_id = create_user(engine, "wang", PASSWORD).id
    invite_member(engine, lead.actor(engine), lead.org_id, "wang", "org_admin")
    wang = load_actor(engine, wang_id)
    [inv] = my_invitations(engine, wang)
    assert (inv.organisation_name, inv.role, inv.invited_by) == ("邀请测试科技 Invitations Ltd", "org_admin", "lead")
    assert load_actor(engine, wang_id).org_roles == {}
    stranger = load_actor(engine, create_user(engine, "stranger", PASSWORD).id)
    with pytest.raises(NotFound):  # nobody else answers it
        answer_invitation(engine, stranger, inv.id, accept=True)
    answer_invitation(engine, wang, inv.id, accept=True)
    assert load_actor(engine, wang_id).org_roles == {lead.org_id: "org_admin"}
    assert my_invitations(engine, wang) == [] and "wang" in _member_names(engine, lead)
    with pytest.raises(NotFound):  # answered once
        answer_invitation(engine, wang, inv.id, accept=False)


def test_a_declined_invitation_leaves_no_trace_in_the_organisation(engine: Engine, lead: Member) -> None:
    wang = load_actor(engine, create_user(engine, "wang", PASSWORD).id)
    invite_member(engine, lead.actor(engine), lead.org_id, "wang", "respondent")
    answer_invitation(engine, wang, my_invitations(engine, wang)[0].id, accept=False)
    assert my_invitations(engine, wang) == [] and _member_names(engine, lead) == ["lead"]


def test_other_tenants_and_respondents_cannot_invite(engine: Engine, lead: Member) -> None:
    other = org_admin(engine, "other", "Other Ltd")
    with pytest.raises(NotFound):
        invite_member(engine, other.actor(engine), lead.org_id, "other", "org_admin")


def test_members_page_invites_with_one_answer_and_account_page_accepts(app_db: str, engine: Engine,
                                                                       lead: Member) -> None:
    wang_id = create_user(engine, "wang", PASSWORD).id
    flashes = []
    for name in ("wang", "nosuch"):
        at = app_test(lead.user_id, org_id=lead.org_id, lang="en").run()
        at.switch_page("app_pages/members.py").run()
        at.text_input(key="member_add_username").set_value(name)
        at.button[[b.label for b in at.button].index(t("members.invite", "en"))].click().run()
        flashes.append([shown(s.value) for s in at.success])
    assert flashes == [[t("members.invited", "en", user=n, role=t("account.role.respondent", "en"))]
                       for n in ("wang", "nosuch")]
    at = app_test(wang_id, lang="en").run()
    at.switch_page("app_pages/account.py").run()
    assert any("邀请测试科技 Invitations Ltd" in shown(m.value) for m in at.markdown)
    next(b for b in at.button if b.key and b.key.startswith("invitation_accept_")).click().run()
    assert load_actor(engine, wang_id).org_roles == {lead.org_id: "respondent"}


def test_the_command_line_invites_lists_and_answers(engine: Engine, lead: Member, db_url: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    wang_id = create_user(engine, "wang", PASSWORD).id
    outs = [run_cli(["users", "grant", name, "--org", str(lead.org_id), "--as-user", "lead"])[1]
            for name in ("wang", "nosuch")]
    assert outs[0].replace("wang", "X") == outs[1].replace("nosuch", "X") and "invitation" in outs[0]
    code, out, err = run_cli(["users", "invitations", "--as-user", "wang"])
    assert code == 0, err
    inv_id = out.splitlines()[1].split("\t")[0]
    code, _out, err = run_cli(["users", "accept", inv_id, "--as-user", "lead"])
    assert code == 2 and "不存在" in err  # in the default language (zh): not lead's invitation
    code, out, err = run_cli(["users", "accept", inv_id, "--as-user", "wang"])
    assert code == 0 and "accepted" in out, err
    assert load_actor(engine, wang_id).org_roles == {lead.org_id: "respondent"}
