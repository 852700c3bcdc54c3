"""Members page, platform-admin page and ``aigov users``: the administration people actually do."""

from __future__ import annotations

import io
from contextlib import redirect_stderr, redirect_stdout

import pytest
from sqlalchemy import Engine

from i18n import t
from services import account_admin, association_admins, audit, members, organisations
from services.access import Actor, load_actor
from services.accounts import create_user
from services.associations import list_administered
from services.errors import Forbidden, InvalidInput, NotFound
from services.invitations import answer_invitation, my_invitations
from services.sign_in import SignInError, authenticate
from tests.support.apptest import app_test, page_texts, shown
from tests.ui_flow import PASSWORD, Member, open_page, org_admin, respondent

NEW_PASSWORD = "Initial-Password-55"


@pytest.fixture
def lead(engine: Engine) -> Member:
    return org_admin(engine, "lead", "成员测试科技 Members Ltd")


# --- organisation members (services) ----------------------------------------------------------------

def test_roles_can_be_added_changed_and_removed(engine: Engine, lead: Member, system: Actor) -> None:
    create_user(engine, "wang", PASSWORD)
    me = lead.actor(engine)
    added = members.add_member(engine, system, lead.org_id, "WANG", "respondent")  # the platform administrator
    assert (added.username, added.role) == ("wang", "respondent")
    assert load_actor(engine, added.user_id).org_roles == {lead.org_id: "respondent"}
    members.set_member_role(engine, me, lead.org_id, added.user_id, "org_admin")
    assert load_actor(engine, added.user_id).can_admin_org(lead.org_id)
    members.remove_member(engine, me, lead.org_id, added.user_id)
    assert load_actor(engine, added.user_id).org_roles == {}
    assert [m.username for m in members.list_members(engine, me, lead.org_id)] == ["lead"]


def test_unknown_user_name_and_role_are_explained_to_the_platform_administrator(engine: Engine, lead: Member,
                                                                               system: Actor) -> None:
    with pytest.raises(InvalidInput, match="no account 'nosuch'"):
        members.add_member(engine, system, lead.org_id, "nosuch", "respondent")
    with pytest.raises(InvalidInput, match="role"):
        members.add_member(engine, system, lead.org_id, "lead", "owner")
    with pytest.raises(Forbidden):  # an organisation administrator invites instead (tests/test_invitations.py)
        members.add_member(engine, lead.actor(engine), lead.org_id, "lead", "respondent")


def test_the_last_administrator_stays(engine: Engine, lead: Member) -> None:
    me = lead.actor(engine)
    with pytest.raises(members.LastAdministrator):
        members.set_member_role(engine, me, lead.org_id, lead.user_id, "respondent")
    with pytest.raises(members.LastAdministrator):
        members.remove_member(engine, me, lead.org_id, lead.user_id)
    second = respondent(engine, lead, "deputy")
    members.set_member_role(engine, me, lead.org_id, second.user_id, "org_admin")
    members.remove_member(engine, me, lead.org_id, lead.user_id)  # now allowed
    assert [m.username for m in members.list_members(engine, second.actor(engine), lead.org_id)] == ["deputy"]


def test_respondents_cannot_manage_members(engine: Engine, lead: Member) -> None:
    rita = respondent(engine, lead, "rita")
    for call in (lambda a: members.list_members(engine, a, lead.org_id),
                 lambda a: members.add_member(engine, a, lead.org_id, "rita", "org_admin"),
                 lambda a: members.create_colleague(engine, a, lead.org_id, "friend", NEW_PASSWORD, role="org_admin")):
        with pytest.raises(Forbidden):
            call(rita.actor(engine))


def test_new_colleague_can_sign_in_with_the_initial_password(engine: Engine, lead: Member) -> None:
    view = members.create_colleague(engine, lead.actor(engine), lead.org_id, "zhao", NEW_PASSWORD, role="respondent",
                                  display_name="赵敏")
    who = authenticate(engine, "zhao", NEW_PASSWORD)
    assert who.user_id == view.user_id and who.org_roles == {lead.org_id: "respondent"}
    with pytest.raises(InvalidInput, match="taken"):
        members.create_colleague(engine, lead.actor(engine), lead.org_id, "zhao", NEW_PASSWORD, role="respondent")


def test_organisation_administrators_cannot_reset_passwords(engine: Engine, lead: Member) -> None:
    """An account may belong to several organisations: a reset would let one tenant take over another's user."""
    rita = respondent(engine, lead, "rita")
    with pytest.raises(Forbidden):
        account_admin.reset_password(engine, lead.actor(engine), rita.user_id, NEW_PASSWORD)
    with pytest.raises(Forbidden):
        account_admin.set_active(engine, lead.actor(engine), rita.user_id, False)


# --- platform administration (services) -------------------------------------------------------------

def test_platform_admin_account_lifecycle(engine: Engine, system: Actor) -> None:
    chief_id = create_user(engine, "chief", PASSWORD, platform_admin=True).id
    chief = load_actor(engine, chief_id)
    uid = account_admin.create_account(engine, chief, "lilei", NEW_PASSWORD, display_name="李雷", email="LiLei@Example.com")
    [row] = [u for u in account_admin.list_users(engine, chief, "example") if u.id == uid]
    assert row.email == "lilei@example.com" and row.is_active and row.has_password and not row.is_platform_admin
    account_admin.set_active(engine, chief, uid, False)
    with pytest.raises(SignInError):
        authenticate(engine, "lilei", NEW_PASSWORD)
    with pytest.raises(NotFound):
        load_actor(engine, uid)
    account_admin.set_active(engine, chief, uid, True)
    account_admin.reset_password(engine, chief, uid, "Another-Password-66")
    assert authenticate(engine, "lilei", "Another-Password-66").user_id == uid
    account_admin.set_platform_admin(engine, chief, uid, True)
    assert load_actor(engine, uid).is_platform_admin
    actions = [e.action for e in audit.recent_events(engine, chief, limit=50)]
    for action in ("user_created", "user_deactivated", "user_activated", "password_reset", "platform_admin_granted",
                   "sign_in"):
        assert action in actions
    assert audit.recent_events(engine, chief, actions=["password_reset"])[0].detail["user"] == "lilei"


def test_the_platform_keeps_an_active_administrator(engine: Engine) -> None:
    chief = load_actor(engine, create_user(engine, "chief", PASSWORD, platform_admin=True).id)
    with pytest.raises(account_admin.NotYourself):
        account_admin.set_active(engine, chief, chief.user_id or 0, False)
    with pytest.raises(account_admin.LastPlatformAdministrator):
        account_admin.set_platform_admin(engine, chief, chief.user_id or 0, False)


def test_only_platform_administrators_administer_the_platform(engine: Engine, lead: Member) -> None:
    me = lead.actor(engine)
    for call in (lambda: account_admin.list_users(engine, me), lambda: audit.recent_events(engine, me),
                 lambda: account_admin.create_account(engine, me, "x-user", NEW_PASSWORD),
                 lambda: organisations.list_all_organisations(engine, me)):
        with pytest.raises(Forbidden):
            call()


def test_association_administrators_are_assigned_and_removed(engine: Engine, system: Actor) -> None:
    from services.associations import create_association

    create_user(engine, "secretariat", PASSWORD)
    assoc = create_association(engine, system, "测试联盟")
    association_admins.add_association_admin(engine, system, assoc.id, "secretariat")
    assert association_admins.association_admins(engine, system)[assoc.id] == ("secretariat",)
    uid = authenticate(engine, "secretariat", PASSWORD).user_id
    assert [a.id for a in list_administered(engine, load_actor(engine, uid or 0))] == [assoc.id]
    association_admins.remove_association_admin(engine, system, assoc.id, "secretariat")
    assert association_admins.association_admins(engine, system).get(assoc.id) is None


# --- pages -------------------------------------------------------------------------------------------

def test_members_page_adds_changes_and_removes_members(app_db: str, engine: Engine, lead: Member) -> None:
    wang_id = create_user(engine, "wang", PASSWORD).id
    at = open_page(lead, "members")
    at.text_input(key="member_add_username").input("wang")
    at.selectbox(key="member_add_role").set_value("respondent")
    at.button(key="FormSubmitter:member_add-" + t("members.invite")).click().run()
    assert not at.exception
    assert t("members.invited", user="wang", role=t("account.role.respondent")) in page_texts(at)
    assert "wang" not in set(at.dataframe[0].value[t("members.col.username")])  # not before wang accepts
    [invitation] = my_invitations(engine, load_actor(engine, wang_id))
    answer_invitation(engine, load_actor(engine, wang_id), invitation.id, accept=True)
    at.run()
    assert "wang" in set(at.dataframe[0].value[t("members.col.username")])

    wang = next(m for m in members.list_members(engine, lead.actor(engine), lead.org_id) if m.username == "wang")
    at.selectbox(key="member_edit_user").set_value(wang.user_id)
    at.selectbox(key="member_edit_role").set_value("org_admin")
    at.button(key="FormSubmitter:member_edit-" + t("members.change_role")).click().run()
    assert load_actor(engine, wang.user_id).can_admin_org(lead.org_id)

    at.selectbox(key="member_edit_user").set_value(wang.user_id)
    at.button(key="FormSubmitter:member_edit-" + t("members.remove")).click().run()
    assert t("members.confirm_needed") in page_texts(at)  # nothing removed without the tick
    assert wang.user_id in [m.user_id for m in members.list_members(engine, lead.actor(engine), lead.org_id)]
    at.checkbox(key="member_edit_confirm").check()
    at.button(key="FormSubmitter:member_edit-" + t("members.remove")).click().run()
    assert wang.user_id not in [m.user_id for m in members.list_members(engine, lead.actor(engine), lead.org_id)]


def test_members_page_refuses_to_remove_the_last_administrator(app_db: str, engine: Engine, lead: Member) -> None:
    at = open_page(lead, "members")
    at.selectbox(key="member_edit_user").set_value(lead.user_id)
    at.checkbox(key="member_edit_confirm").check()
    at.button(key="FormSubmitter:member_edit-" + t("members.remove")).click().run()
    assert t("members.last_admin") in page_texts(at)
    assert [m.username for m in members.list_members(engine, lead.actor(engine), lead.org_id)] == ["lead"]


def test_members_page_creates_a_colleague_account(app_db: str, engine: Engine, lead: Member) -> None:
    at = open_page(lead, "members")
    at.text_input(key="member_new_username").input("zhao")
    at.text_input(key="member_new_display").input("赵敏")
    at.text_input(key="member_new_pw1").input(NEW_PASSWORD)
    at.text_input(key="member_new_pw2").input(NEW_PASSWORD)
    at.selectbox(key="member_new_role").set_value("respondent")
    at.button(key="FormSubmitter:member_new-" + t("members.create")).click().run()
    assert not at.exception
    assert t("members.created", user="zhao", role=t("account.role.respondent")) in page_texts(at)
    assert authenticate(engine, "zhao", NEW_PASSWORD).org_roles == {lead.org_id: "respondent"}
    assert NEW_PASSWORD not in page_texts(at)


def test_members_page_lists_every_problem_of_a_new_account(app_db: str, engine: Engine, lead: Member) -> None:
    at = open_page(lead, "members")
    at.text_input(key="member_new_username").input("x")
    at.text_input(key="member_new_pw1").input("short")
    at.text_input(key="member_new_pw2").input("short")
    at.button(key="FormSubmitter:member_new-" + t("members.create")).click().run()
    errors = " ".join(e.value for e in at.error)
    # every problem at once, in the page's language (Chinese by default)
    assert t("problem.username_format") in errors and t("problem.password_short", min=12) in errors
    assert len(members.list_members(engine, lead.actor(engine), lead.org_id)) == 1


def test_admin_page_manages_accounts_and_associations(app_db: str, engine: Engine) -> None:
    chief_id = create_user(engine, "chief", PASSWORD, platform_admin=True).id
    at = app_test(chief_id).run()
    at.switch_page("app_pages/admin.py").run()
    assert not at.exception, at.exception
    at.text_input(key="admin_new_username").input("lilei")
    at.text_input(key="admin_new_pw1").input(NEW_PASSWORD)
    at.text_input(key="admin_new_pw2").input(NEW_PASSWORD)
    at.button(key="FormSubmitter:admin_user_new-" + t("members.create")).click().run()
    assert t("admin.users.created", user="lilei") in page_texts(at)
    li = authenticate(engine, "lilei", NEW_PASSWORD)

    at.selectbox(key="admin_manage_user").set_value(li.user_id)
    at.run()
    at.button(key="admin_toggle_active").click().run()
    assert t("admin.users.deactivated", user="lilei") in page_texts(at)
    with pytest.raises(SignInError):
        authenticate(engine, "lilei", NEW_PASSWORD)

    at.text_input(key="admin_assoc_name").input("长三角测试联盟")
    at.text_input(key="admin_assoc_admin").input("chief")
    at.button(key="FormSubmitter:admin_assoc_new-" + t("admin.assocs.create")).click().run()
    assert not at.exception
    [assoc] = list_administered(engine, Actor.system())
    assert assoc.name == "长三角测试联盟" and association_admins.association_admins(engine, Actor.system())[assoc.id] == ("chief",)
    assert any(assoc.invite_code in shown(s.value) for s in at.success)
    events = at.dataframe[-1].value
    assert t("admin.events.action.user_deactivated") in set(events[t("admin.events.col.action")])


def test_admin_page_is_not_routed_for_other_users(app_db: str, engine: Engine, lead: Member) -> None:
    at = app_test(lead.user_id, org_id=lead.org_id).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/admin.py")


def test_account_page_lists_my_roles(app_db: str, engine: Engine, lead: Member) -> None:
    at = open_page(lead, "account")
    roles = at.dataframe[0].value
    assert list(roles[t("account.col.role")]) == [t("account.role.org_admin")]
    assert list(roles[t("account.col.scope")]) == ["成员测试科技 Members Ltd"]


# --- aigov users ---------------------------------------------------------------------------------------

def _cli(argv: list[str], stdin: str = "") -> tuple[int, str, str]:
    from cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        import sys

        saved = sys.stdin
        sys.stdin = io.StringIO(stdin)
        try:
            code = main(argv)
        finally:
            sys.stdin = saved
    return code, out.getvalue(), err.getvalue()


def test_users_command_manages_accounts(app_db: str, engine: Engine) -> None:
    code, out, err = _cli(["users", "create", "chief", "--platform-admin", "--password-stdin"], PASSWORD + "\n")
    assert code == 0, err
    assert authenticate(engine, "chief", PASSWORD).is_platform_admin
    code, out, err = _cli(["users", "create", "lilei", "--email", "lilei@example.com", "--password-stdin"], NEW_PASSWORD)
    assert code == 0, err
    code, out, _ = _cli(["users", "list"])
    assert "lilei\t" in out and "lilei@example.com" in out and PASSWORD not in out and NEW_PASSWORD not in out
    code, _, err = _cli(["users", "passwd", "lilei", "--password-stdin"], "Changed-By-Operator-7\n")
    assert code == 0, err
    assert authenticate(engine, "lilei", "Changed-By-Operator-7").username == "lilei"
    code, _, err = _cli(["users", "deactivate", "lilei"])
    assert code == 0
    with pytest.raises(SignInError):
        authenticate(engine, "lilei", "Changed-By-Operator-7")
    code, out, _ = _cli(["users", "events", "--action", "user_deactivated"])
    assert code == 0 and "user_deactivated" in out and "lilei" in out


def test_users_command_grants_roles_and_acts_as_a_user(app_db: str, engine: Engine, lead: Member) -> None:
    create_user(engine, "wang", PASSWORD)
    code, _, err = _cli(["users", "grant", "wang", "--org", str(lead.org_id), "--role", "respondent",
                           "--as-user", "lead"])  # an invitation, which wang accepts
    assert code == 0, err
    code, out, err = _cli(["users", "invitations", "--as-user", "wang"])
    code, _, err = _cli(["users", "accept", out.splitlines()[1].split("\t")[0], "--as-user", "wang"])
    assert code == 0, err
    code, _, err = _cli(["users", "list", "--org", str(lead.org_id), "--as-user", "wang"])
    assert code == 2 and "无权执行此操作" in err  # said in the default language (zh); a respondent does not list members
    code, _, err = _cli(["users", "list", "--as-user", "lead"])
    assert code == 2 and "无权执行此操作" in err  # only platform administrators list every account
    code, _, err = _cli(["users", "revoke", "wang", "--org", str(lead.org_id)])
    assert code == 0, err
    assert load_actor(engine, lead.user_id).org_roles == {lead.org_id: "org_admin"}
    code, _, err = _cli(["users", "list", "--as-user", "ghost"])
    assert code == 2 and "--as-user ghost" in err


def test_users_command_never_takes_a_password_from_the_command_line(app_db: str, engine: Engine) -> None:
    code, _, err = _cli(["users", "create", "lilei"])  # no terminal, no --password-stdin
    assert code == 2 and "--password-stdin" in err
    code, _, err = _cli(["users", "create", "lilei", "--password-stdin"], "")
    assert code == 2 and "empty" in err
    code, _, err = _cli(["users", "create", "lilei", "--password-stdin"], "short\n")
    assert code == 2 and "[password_short]" in err  # the catalogued problem, in the default language
    with pytest.raises(SystemExit):
        _cli(["users", "create", "lilei", "--password", NEW_PASSWORD])


def test_a_user_switches_between_organisations_with_their_own_roles(app_db: str, engine: Engine,
                                                                      lead: Member) -> None:
    other = org_admin(engine, "other-lead", "另一家公司 Other Co")
    members.add_member(engine, Actor.system(), other.org_id, "lead", "respondent")
    at = app_test(lead.user_id, org_id=lead.org_id).run()
    at.switch_page("app_pages/members.py").run()  # administrator here
    assert at.title[0].value == t("nav.members")
    at.sidebar.selectbox(key="org_switch").set_value(other.org_id).run()
    assert at.session_state["org_id"] == other.org_id
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("app_pages/members.py")  # only a respondent there: the page is not offered
    with pytest.raises(Forbidden):
        members.list_members(engine, lead.actor(engine), other.org_id)
