"""Concurrent account administration on SQLite and PostgreSQL: the guards hold under a race.

SQLite serialises every writer (BEGIN IMMEDIATE); PostgreSQL runs them side by side, so a check
("no account yet", "another administrator is left", "not a member yet") and the write that depends
on it must be serialised explicitly. Where the window between check and write is short, the tests
widen it with a pause, so that a missing lock fails every time rather than once in a while.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select

from db.engine import make_engine, read_session
from db.models import Membership, User
from services import account_admin, accounts, members, single_sign_on
from services.access import Actor, load_actor
from services.accounts import AlreadySetUp, ChangedMeanwhile, create_first_admin, create_user
from services.errors import InvalidInput, Problem
from services.single_sign_on import sso_actor
from tests.ui_flow import PASSWORD, org_admin

PAUSE = 0.3  # seconds between a check and its write: longer than any lock hand-over takes


@pytest.fixture
def db(any_db_url: str) -> Iterator[Engine]:
    eng = make_engine(any_db_url)
    yield eng
    eng.dispose()


def _at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; each result is the return value or the exception."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # returned for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def _slowed(fn: Callable[..., Any]) -> Callable[..., Any]:
    def slow(*args: Any, **kwargs: Any) -> Any:
        result = fn(*args, **kwargs)
        time.sleep(PAUSE)
        return result

    return slow


def _unexpected(results: list[Any], *allowed: type[Exception]) -> list[Any]:
    return [r for r in results if isinstance(r, Exception) and not isinstance(r, allowed)]


# --- the first administrator ------------------------------------------------------------------------

def test_exactly_one_first_administrator(db: Engine) -> None:
    results = _at_once(*(lambda i=i: create_first_admin(db, f"chief{i}", PASSWORD) for i in range(6)))
    assert _unexpected(results, AlreadySetUp) == []
    assert len([r for r in results if isinstance(r, Actor)]) == 1
    with read_session(db) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1


# --- the last organisation administrator ------------------------------------------------------------

def _two_org_admins(db: Engine) -> tuple[int, Actor, Actor]:
    lead = org_admin(db, "lead", "并发管理测试 Races Ltd")
    deputy = create_user(db, "deputy", PASSWORD)
    members.add_member(db, Actor.system(), lead.org_id, "deputy", "org_admin")
    return lead.org_id, lead.actor(db), load_actor(db, deputy.id)


def _org_admins(db: Engine, org_id: int) -> int:
    with read_session(db) as s:
        return s.scalar(select(func.count()).select_from(Membership).where(
            Membership.organisation_id == org_id, Membership.role == "org_admin")) or 0


def test_mutual_demotion_leaves_an_organisation_administrator(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    org, lead, deputy = _two_org_admins(db)
    monkeypatch.setattr(members, "admins_left", _slowed(members.admins_left))
    results = _at_once(lambda: members.set_member_role(db, lead, org, deputy.user_id or 0, "respondent"),
                       lambda: members.set_member_role(db, deputy, org, lead.user_id or 0, "respondent"))
    assert _unexpected(results, members.LastAdministrator) == []
    assert len([r for r in results if isinstance(r, members.LastAdministrator)]) == 1
    assert _org_admins(db, org) == 1


def test_mutual_removal_leaves_an_organisation_administrator(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    org, lead, deputy = _two_org_admins(db)
    monkeypatch.setattr(members, "admins_left", _slowed(members.admins_left))
    results = _at_once(lambda: members.remove_member(db, lead, org, deputy.user_id or 0),
                       lambda: members.remove_member(db, deputy, org, lead.user_id or 0))
    assert _unexpected(results, members.LastAdministrator) == []
    assert _org_admins(db, org) == 1


def _active_org_admins(db: Engine, org_id: int) -> int:
    with read_session(db) as s:
        return s.scalar(select(func.count()).select_from(Membership).join(User, User.id == Membership.user_id)
                        .where(Membership.organisation_id == org_id, Membership.role == "org_admin",
                               User.is_active.is_(True))) or 0


def test_the_last_active_organisation_administrator_cannot_be_deactivated(db: Engine) -> None:
    org, lead, deputy = _two_org_admins(db)
    chief = load_actor(db, create_user(db, "chief", PASSWORD, platform_admin=True).id)
    account_admin.set_active(db, chief, deputy.user_id or 0, False)
    with pytest.raises(members.LastAdministrator, match="last active administrator of '并发管理测试 Races Ltd'"):
        account_admin.set_active(db, chief, lead.user_id or 0, False)
    # A deactivated administrator is no stand-in either: the active one can be neither demoted nor removed.
    with pytest.raises(members.LastAdministrator):
        members.set_member_role(db, lead, org, lead.user_id or 0, "respondent")
    with pytest.raises(members.LastAdministrator):
        members.remove_member(db, lead, org, lead.user_id or 0)
    account_admin.set_active(db, chief, deputy.user_id or 0, True)
    account_admin.set_active(db, chief, lead.user_id or 0, False)  # another active administrator: allowed
    assert _active_org_admins(db, org) == 1


def test_deactivation_racing_a_demotion_leaves_an_active_organisation_administrator(
        db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    org, lead, deputy = _two_org_admins(db)
    chief = load_actor(db, create_user(db, "chief", PASSWORD, platform_admin=True).id)
    monkeypatch.setattr(account_admin, "admins_left", _slowed(members.admins_left))
    monkeypatch.setattr(members, "admins_left", _slowed(members.admins_left))
    results = _at_once(lambda: account_admin.set_active(db, chief, deputy.user_id or 0, False),
                       lambda: members.set_member_role(db, deputy, org, lead.user_id or 0, "respondent"))
    assert _unexpected(results, members.LastAdministrator) == []
    assert _active_org_admins(db, org) == 1


@pytest.mark.parametrize("how", ["colleague", "account"])
def test_a_name_taken_between_the_check_and_the_insert_is_a_clear_problem(
        db: Engine, monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    """What two administrators creating the same user name at once meet: the unique index decides,
    and the loser gets the field-named problem, not a database error."""
    lead = org_admin(db, "lead", "同名竞争 Same Name Ltd")
    chief = load_actor(db, create_user(db, "chief", PASSWORD, platform_admin=True).id)
    create_user(db, "newcomer", PASSWORD)  # the other creation won
    monkeypatch.setattr(accounts, "_account_problems", lambda *args: [])  # this one had checked before it
    with pytest.raises(InvalidInput) as refused:
        if how == "colleague":
            members.create_colleague(db, lead.actor(db), lead.org_id, "newcomer", PASSWORD, role="respondent")
        else:
            account_admin.create_account(db, chief, "newcomer", PASSWORD)
    assert refused.value.problems == [Problem("account_taken_meanwhile", {"username": "newcomer"})]
    assert "newcomer" in refused.value.problems[0]


# --- the last platform administrator ----------------------------------------------------------------

def _two_platform_admins(db: Engine) -> tuple[Actor, Actor]:
    a = create_user(db, "chief-a", PASSWORD, platform_admin=True)
    b = create_user(db, "chief-b", PASSWORD, platform_admin=True)
    return load_actor(db, a.id), load_actor(db, b.id)


def _active_platform_admins(db: Engine) -> int:
    with read_session(db) as s:
        return s.scalar(select(func.count()).select_from(User).where(
            User.is_platform_admin.is_(True), User.is_active.is_(True))) or 0


@pytest.mark.parametrize("how", ["revoke", "deactivate", "mixed"])
def test_mutual_demotion_leaves_a_platform_administrator(db: Engine, monkeypatch: pytest.MonkeyPatch,
                                                         how: str) -> None:
    a, b = _two_platform_admins(db)
    monkeypatch.setattr(account_admin, "_other_active_admins", _slowed(account_admin._other_active_admins))
    revoke = {"revoke": (True, True), "deactivate": (False, False), "mixed": (True, False)}[how]

    def demote(by: Actor, whom: Actor, by_revoking: bool) -> None:
        if by_revoking:
            account_admin.set_platform_admin(db, by, whom.user_id or 0, False)
        else:
            account_admin.set_active(db, by, whom.user_id or 0, False)

    results = _at_once(lambda: demote(a, b, revoke[0]), lambda: demote(b, a, revoke[1]))
    assert _unexpected(results, account_admin.LastPlatformAdministrator) == []
    assert len([r for r in results if isinstance(r, account_admin.LastPlatformAdministrator)]) == 1
    assert _active_platform_admins(db) == 1


# --- the same change twice at once: the second sees the first, never an IntegrityError ----------------

def test_adding_the_same_member_twice_at_once(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    lead = org_admin(db, "lead", "并发成员测试 Members Ltd")
    create_user(db, "wang", PASSWORD)
    me = lead.actor(db)
    monkeypatch.setattr(members, "log_admin_event", _slowed(members.log_admin_event))  # between "not a member yet" and the insert
    system = Actor.system()  # a platform administrator attaches directly; organisation administrators invite
    results = _at_once(*(lambda: members.add_member(db, system, lead.org_id, "wang", "respondent") for _ in range(3)))
    assert [type(r) for r in results] == [members.MemberView] * 3, results
    assert {(r.username, r.role) for r in results} == {("wang", "respondent")}
    assert [m.username for m in members.list_members(db, me, lead.org_id)] == ["lead", "wang"]


def test_a_membership_added_meanwhile_is_a_clear_error(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another path (an import, a new organisation) may write the membership without taking the lock."""
    lead = org_admin(db, "lead", "并发成员测试 Members Ltd")
    wang = create_user(db, "wang", PASSWORD)
    real_log = members.log_admin_event

    def someone_else_adds_it(s: Any, *args: Any, **kwargs: Any) -> None:
        real_log(s, *args, **kwargs)
        s.execute(insert(Membership).values(user_id=wang.id, organisation_id=lead.org_id, role="respondent"))

    monkeypatch.setattr(members, "log_admin_event", someone_else_adds_it)
    with pytest.raises(ChangedMeanwhile):
        members.add_member(db, Actor.system(), lead.org_id, "wang", "respondent")


def test_the_same_identity_signing_on_twice_at_once(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(single_sign_on, "_free_username", _slowed(single_sign_on._free_username))  # between lookup and insert
    results = _at_once(*(lambda: sso_actor(db, "New.Person@example.com", "New", email_verified=True)
                         for _ in range(3)))
    assert [type(r) for r in results] == [Actor] * 3, results
    assert len({r.user_id for r in results}) == 1
    with read_session(db) as s:
        assert s.scalar(select(func.count()).select_from(User).where(User.email == "new.person@example.com")) == 1


def test_a_sign_on_that_keeps_colliding_is_a_clear_error(db: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    create_user(db, "taken", PASSWORD)
    monkeypatch.setattr(single_sign_on, "_free_username", lambda _s, _email: "taken")  # as if taken after each check
    with pytest.raises(ChangedMeanwhile):
        sso_actor(db, "someone@example.com", email_verified=True)
    with read_session(db) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1
