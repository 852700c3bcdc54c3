"""Administration: organisation members, accounts, associations, audit history and security events.

Every function takes the acting :class:`~services.access.Actor` and checks it against the object
touched, on the server: the members page, the platform-admin page and ``aigov users`` all call
these same functions, so a permission is enforced once. Objects of another tenant raise
NotFound (never "forbidden"), so ids guessed in a URL or a command reveal nothing.

Organisation administrators may add existing accounts to their organisation and create accounts
for new colleagues, but may not reset passwords or deactivate accounts: an account can belong to
several organisations, and such powers would let one tenant take over another's users. Those are
platform-administrator actions.

The "last administrator" guards count the other administrators and then write, in one transaction
that first takes the organisation's (or the platform's) administrators lock
(:func:`db.engine.serialise`): two administrators demoting each other at once run one after the
other, and the second is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import ACCOUNTS_LOCK, ORG_ADMINS_LOCK, read_session, serialise, write_session
from db.models import (
    ORG_ROLES,
    Assessment,
    Association,
    AssociationAdmin,
    EventLog,
    Membership,
    Organisation,
    User,
)
from i18n import t
from questionnaires import QuestionnaireError, get_questionnaire
from services.access import Actor
from services.assessments import AnswerChange, history
from services.auth import ChangedMeanwhile, find_user, new_user, revoke_sessions, set_password
from services.errors import InvalidInput, NotFound, Problem, StateError

EVENT_LIMIT = 500


class LastAdministrator(StateError):
    """An organisation (or the platform) would be left without an administrator."""

    key = "members.last_admin"


class LastPlatformAdministrator(StateError):
    key = "admin.last_platform_admin"


class NotYourself(StateError):
    key = "admin.not_yourself"


# --- organisation members --------------------------------------------------------------------------

@dataclass(frozen=True)
class MemberView:
    user_id: int
    username: str
    display_name: str
    email: str | None
    role: str
    is_active: bool
    last_login_at: datetime | None


def _check_role(role: str) -> None:
    if role not in ORG_ROLES:
        raise InvalidInput(problems=[Problem("role_unknown", role=role, choices=" or ".join(ORG_ROLES))])


def _org(s: Session, org_id: int) -> Organisation:
    org = s.get(Organisation, org_id)
    if org is None:
        raise NotFound(object="organisation", id=org_id)
    return org


def _user_named(s: Session, username: str) -> User:
    user = find_user(s, username)
    if user is None:
        raise InvalidInput(problems=[Problem("no_account", username=username.strip())])
    return user


def _log(s: Session, actor: Actor, action: str, object_type: str, object_id: int, **detail: Any) -> None:
    s.add(EventLog(user_id=actor.user_id, action=action, object_type=object_type, object_id=object_id,
                   detail={"by": actor.username, **detail}))


def _member_view(m: Membership, u: User) -> MemberView:
    return MemberView(u.id, u.username, u.display_name, u.email, m.role, bool(u.is_active), u.last_login_at)


def list_members(engine: Engine, actor: Actor, org_id: int) -> list[MemberView]:
    """The organisation's members with their roles (organisation administrators)."""
    actor.require_org_admin(org_id)
    with read_session(engine) as s:
        _org(s, org_id)
        rows = s.execute(select(Membership, User).join(User, User.id == Membership.user_id)
                         .where(Membership.organisation_id == org_id)
                         .order_by(Membership.role, func.lower(User.username)))
        return [_member_view(m, u) for m, u in rows]


def _admins_left(s: Session, org_id: int, without: int) -> int:
    """Active administrators of the organisation other than ``without`` (a deactivated one cannot act)."""
    return s.scalar(select(func.count()).select_from(Membership).join(User, User.id == Membership.user_id).where(
        Membership.organisation_id == org_id, Membership.role == "org_admin", Membership.user_id != without,
        User.is_active.is_(True))) or 0


def add_member(engine: Engine, actor: Actor, org_id: int, username: str, role: str) -> MemberView:
    """Give an existing account a role in the organisation (or change the role it has).

    The same account added twice at once is added once (the second call finds the membership);
    a membership written meanwhile by a path that does not take the lock is ChangedMeanwhile.
    """
    _check_role(role)
    actor.require_org_admin(org_id)
    try:
        with write_session(engine) as s:
            serialise(s, ORG_ADMINS_LOCK, org_id)
            _org(s, org_id)
            user = _user_named(s, username)
            m = s.get(Membership, (user.id, org_id))
            if m is None:
                m = Membership(user_id=user.id, organisation_id=org_id, role=role)
                s.add(m)
                _log(s, actor, "member_added", "organisation", org_id, user=user.username, role=role)
            elif m.role != role:
                return _set_role(s, actor, org_id, m, user, role)
            return _member_view(m, user)
    except IntegrityError as exc:
        raise ChangedMeanwhile(f"'{username.strip()}' was added to the organisation meanwhile; check the "
                               "member list", object="organisation", id=org_id) from exc


def _set_role(s: Session, actor: Actor, org_id: int, m: Membership, user: User, role: str) -> MemberView:
    if m.role == "org_admin" and role != "org_admin" and not _admins_left(s, org_id, user.id):
        raise LastAdministrator(f"{user.username} is the organisation's last administrator; make another "
                                "member administrator first", object="organisation", id=org_id)
    _log(s, actor, "member_role_changed", "organisation", org_id, user=user.username, old=m.role, new=role)
    m.role = role
    return _member_view(m, user)


def _member(s: Session, org_id: int, user_id: int) -> tuple[Membership, User]:
    """A member of an existing organisation, or NotFound."""
    _org(s, org_id)
    m = s.get(Membership, (user_id, org_id))
    user = s.get(User, user_id)
    if m is None or user is None:
        raise NotFound(object="member", id=user_id)
    return m, user


def set_member_role(engine: Engine, actor: Actor, org_id: int, user_id: int, role: str) -> MemberView:
    """Change a member's role; the last administrator of an organisation cannot be demoted."""
    _check_role(role)
    actor.require_org_admin(org_id)
    with write_session(engine) as s:
        serialise(s, ORG_ADMINS_LOCK, org_id)
        m, user = _member(s, org_id, user_id)
        return _set_role(s, actor, org_id, m, user, role)


def remove_member(engine: Engine, actor: Actor, org_id: int, user_id: int) -> None:
    """Take a member out of the organisation; their answers keep their name in the audit trail."""
    actor.require_org_admin(org_id)
    with write_session(engine) as s:
        serialise(s, ORG_ADMINS_LOCK, org_id)
        m, user = _member(s, org_id, user_id)
        if m.role == "org_admin" and not _admins_left(s, org_id, user_id):
            raise LastAdministrator(f"{user.username} is the organisation's last administrator; make another "
                                    "member administrator first", object="organisation", id=org_id)
        s.delete(m)
        _log(s, actor, "member_removed", "organisation", org_id, user=user.username)


def create_colleague(engine: Engine, actor: Actor, org_id: int, username: str, password: str, *, role: str,
                     display_name: str = "") -> MemberView:
    """Create an account for a new colleague with an initial password, as a member of the organisation.

    No e-mail address: single sign-on maps identities to accounts by e-mail, so an organisation
    administrator who could set one on an account whose password they know could later sign in as
    whoever signs on with that address. Platform administrators set e-mail addresses.
    """
    _check_role(role)
    actor.require_org_admin(org_id)
    try:
        with write_session(engine) as s:
            _org(s, org_id)
            user = new_user(s, username, password, display_name=display_name)
            m = Membership(user_id=user.id, organisation_id=org_id, role=role)
            s.add(m)
            _log(s, actor, "user_created", "user", user.id, organisation=org_id, role=role)
            return _member_view(m, user)
    except IntegrityError as exc:
        raise _taken_meanwhile(username) from exc


def _taken_meanwhile(username: str) -> InvalidInput:
    """A name or address taken by a concurrent creation between the check and the insert."""
    return InvalidInput(problems=[Problem("account_taken_meanwhile", username=(username or "").strip())])


# --- audit history of answers ----------------------------------------------------------------------

def audit_history(engine: Engine, actor: Actor, assessment_id: int) -> list[AnswerChange]:
    """An assessment's answer changes, newest first (organisation administrators)."""
    return history(engine, actor, assessment_id)


def filter_changes(changes: Iterable[AnswerChange], *, question_ids: Iterable[str] = (),
                   users: Iterable[str] = (), sources: Iterable[str] = ()) -> list[AnswerChange]:
    """The changes matching every non-empty filter; ``users`` holds user names, "" for the system actor."""
    qs, us, ss = set(question_ids), set(users), set(sources)
    return [c for c in changes
            if (not qs or c.question_id in qs) and (not us or (c.user or "") in us) and (not ss or c.source in ss)]


def _level_text(values: dict[str, Any], lang: str) -> str:
    if values.get("na"):
        return t("members.history.na", lang)
    return "" if values.get("level") is None else str(values["level"])


def _cell(text: Any) -> str:
    """A CSV cell that spreadsheet programs show as text, never run as a formula."""
    s = "" if text is None else str(text)
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _question_texts(engine: Engine, actor: Actor, assessment_id: int, lang: str) -> dict[str, str]:
    with read_session(engine) as s:
        a = s.get(Assessment, assessment_id)
        qid = a.questionnaire_id if a is not None and actor.can_read_org(a.organisation_id) else None
    if qid is None:
        return {}
    try:
        q = get_questionnaire(qid)
    except QuestionnaireError:
        return {}
    return {x.id: q.t(x.text, lang) for x in q.questions()}


HISTORY_COLUMNS = ("at", "user", "source", "question", "question_text", "old_level", "new_level",
                   "old_justification", "new_justification", "old_note", "new_note")


def history_rows(engine: Engine, actor: Actor, assessment_id: int, changes: list[AnswerChange],
                 lang: str) -> list[dict[str, str]]:
    """Changes as display rows (columns :data:`HISTORY_COLUMNS`): who, when (UTC), question, old → new."""
    texts = _question_texts(engine, actor, assessment_id, lang)
    system = t("members.history.system", lang)
    return [dict(zip(HISTORY_COLUMNS, (
        c.at.strftime("%Y-%m-%d %H:%M:%S"), c.user or system, t(f"members.history.source.{c.source}", lang),
        c.question_id, texts.get(c.question_id, ""), _level_text(c.old, lang), _level_text(c.new, lang),
        c.old.get("justification") or "", c.new.get("justification") or "", c.old.get("note") or "",
        c.new.get("note") or ""), strict=True)) for c in changes]


def history_headers(lang: str) -> dict[str, str]:
    """Column titles of :func:`history_rows` in ``lang``."""
    return {k: t(f"members.history.col.{k}", lang) for k in HISTORY_COLUMNS}


def history_csv(engine: Engine, actor: Actor, assessment_id: int, changes: list[AnswerChange], lang: str) -> bytes:
    """The rows of :func:`history_rows` as UTF-8 CSV with a byte-order mark (Excel then reads Chinese).

    Justifications and notes are user text: cells that a spreadsheet would run as a formula are
    written with a leading apostrophe.
    """
    headers = history_headers(lang)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(headers.values())
    for row in history_rows(engine, actor, assessment_id, changes, lang):
        writer.writerow(_cell(row[k]) for k in HISTORY_COLUMNS)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


# --- accounts (platform administrators) ------------------------------------------------------------

@dataclass(frozen=True)
class AccountView:
    id: int
    username: str
    display_name: str
    email: str | None
    is_platform_admin: bool
    is_active: bool
    has_password: bool
    locked_until: datetime | None
    last_login_at: datetime | None
    created_at: datetime
    organisations: tuple[tuple[str, str], ...]  # (organisation name, role)
    associations: tuple[str, ...]


def list_users(engine: Engine, actor: Actor, search: str = "") -> list[AccountView]:
    """Every account with its roles, optionally filtered by a part of the name or e-mail."""
    actor.require_platform_admin()
    needle = f"%{search.strip().lower()}%"
    with read_session(engine) as s:
        stmt = select(User).order_by(func.lower(User.username))
        if search.strip():
            stmt = stmt.where(func.lower(User.username).like(needle) | func.lower(User.display_name).like(needle)
                              | func.lower(func.coalesce(User.email, "")).like(needle))
        users = list(s.scalars(stmt))
        ids = [u.id for u in users] or [-1]
        orgs: dict[int, list[tuple[str, str]]] = {}
        for uid, name, role in s.execute(select(Membership.user_id, Organisation.name, Membership.role)
                                         .join(Organisation, Organisation.id == Membership.organisation_id)
                                         .where(Membership.user_id.in_(ids)).order_by(Organisation.name)):
            orgs.setdefault(uid, []).append((name, role))
        assocs: dict[int, list[str]] = {}
        for uid, name in s.execute(select(AssociationAdmin.user_id, Association.name)
                                   .join(Association, Association.id == AssociationAdmin.association_id)
                                   .where(AssociationAdmin.user_id.in_(ids)).order_by(Association.name)):
            assocs.setdefault(uid, []).append(name)
        return [AccountView(u.id, u.username, u.display_name, u.email, bool(u.is_platform_admin), bool(u.is_active),
                            u.password_hash is not None, u.locked_until, u.last_login_at, u.created_at,
                            tuple(orgs.get(u.id, ())), tuple(assocs.get(u.id, ())))
                for u in users]


def create_account(engine: Engine, actor: Actor, username: str, password: str | None, *, display_name: str = "",
                   email: str | None = None, platform_admin: bool = False) -> int:
    """Create an account (password None: single sign-on only); returns its id."""
    actor.require_platform_admin()
    try:
        with write_session(engine) as s:
            user = new_user(s, username, password, display_name=display_name, email=email,
                            platform_admin=platform_admin)
            _log(s, actor, "user_created", "user", user.id, platform_admin=platform_admin)
            return user.id
    except IntegrityError as exc:
        raise _taken_meanwhile(username) from exc


def _account(s: Session, user_id: int) -> User:
    user = s.get(User, user_id)
    if user is None:
        raise NotFound(object="user", id=user_id)
    return user


def user_id_for(engine: Engine, actor: Actor, username: str) -> int:
    """The id of an account by name, for administrators acting by name (command line)."""
    actor.require_platform_admin()
    with read_session(engine) as s:
        return _user_named(s, username).id


def _other_active_admins(s: Session, user_id: int) -> int:
    return s.scalar(select(func.count()).select_from(User).where(
        User.is_platform_admin.is_(True), User.is_active.is_(True), User.id != user_id)) or 0


def _keep_an_active_admin_in_each_organisation(s: Session, user: User) -> None:
    """Refuse to deactivate the last active administrator of any organisation (the organisation
    would be left with nobody who can manage it); its lock, in id order, as role changes take it."""
    org_ids = sorted(s.scalars(select(Membership.organisation_id).where(
        Membership.user_id == user.id, Membership.role == "org_admin")))
    for org_id in org_ids:
        serialise(s, ORG_ADMINS_LOCK, org_id)
        if not _admins_left(s, org_id, user.id):
            org = s.get(Organisation, org_id)
            raise LastAdministrator(f"{user.username} is the last active administrator of "
                                    f"'{org.name if org else org_id}'; make another member administrator first",
                                    object="organisation", id=org_id)


def set_active(engine: Engine, actor: Actor, user_id: int, active: bool) -> None:
    """Deactivate (sign-in refused, open sessions end at their next click) or reactivate an account."""
    actor.require_platform_admin()
    with write_session(engine) as s:
        serialise(s, ACCOUNTS_LOCK)
        user = _account(s, user_id)
        if not active and user.id == actor.user_id:
            raise NotYourself("you cannot deactivate your own account", object="user", id=user_id)
        if not active and user.is_platform_admin and not _other_active_admins(s, user.id):
            raise LastPlatformAdministrator("the last active platform administrator must stay", object="user",
                                            id=user_id)
        if not active:
            _keep_an_active_admin_in_each_organisation(s, user)
        if bool(user.is_active) != active:
            user.is_active = active
            if not active:
                revoke_sessions(s, user.id)
            _log(s, actor, "user_activated" if active else "user_deactivated", "user", user.id, user=user.username)


def reset_password(engine: Engine, actor: Actor, user_id: int, password: str) -> None:
    """Set a new password for an account (and lift any lock-out); the user should change it next."""
    actor.require_platform_admin()
    with write_session(engine) as s:
        user = _account(s, user_id)
        set_password(s, user, password)
        _log(s, actor, "password_reset", "user", user.id, user=user.username)


def set_platform_admin(engine: Engine, actor: Actor, user_id: int, flag: bool) -> None:
    """Grant or revoke platform administration; the last active platform administrator stays."""
    actor.require_platform_admin()
    with write_session(engine) as s:
        serialise(s, ACCOUNTS_LOCK)
        user = _account(s, user_id)
        if not flag and user.is_platform_admin and not _other_active_admins(s, user.id):
            raise LastPlatformAdministrator("the last active platform administrator must stay", object="user",
                                            id=user_id)
        if bool(user.is_platform_admin) != flag:
            user.is_platform_admin = flag
            _log(s, actor, "platform_admin_granted" if flag else "platform_admin_revoked", "user", user.id,
                 user=user.username)


# --- organisations and associations (platform administrators) --------------------------------------

@dataclass(frozen=True)
class OrganisationSummary:
    id: int
    name: str
    members: int
    admins: tuple[str, ...]
    assessments: int
    created_at: datetime


def list_all_organisations(engine: Engine, actor: Actor) -> list[OrganisationSummary]:
    actor.require_platform_admin()
    with read_session(engine) as s:
        orgs = list(s.scalars(select(Organisation).order_by(Organisation.name, Organisation.id)))
        members = dict(s.execute(select(Membership.organisation_id, func.count())
                                 .group_by(Membership.organisation_id)).all())
        counts = dict(s.execute(select(Assessment.organisation_id, func.count())
                                .group_by(Assessment.organisation_id)).all())
        admins: dict[int, list[str]] = {}
        for oid, name in s.execute(select(Membership.organisation_id, User.username)
                                   .join(User, User.id == Membership.user_id)
                                   .where(Membership.role == "org_admin").order_by(User.username)):
            admins.setdefault(oid, []).append(name)
        return [OrganisationSummary(o.id, o.name, members.get(o.id, 0), tuple(admins.get(o.id, ())),
                                    counts.get(o.id, 0), o.created_at) for o in orgs]


def association_admins(engine: Engine, actor: Actor) -> dict[int, tuple[str, ...]]:
    """User names of each association's administrators (platform administrators).

    Associations themselves are created and listed by :mod:`services.associations`.
    """
    actor.require_platform_admin()
    with read_session(engine) as s:
        out: dict[int, list[str]] = {}
        for aid, name in s.execute(select(AssociationAdmin.association_id, User.username)
                                   .join(User, User.id == AssociationAdmin.user_id).order_by(User.username)):
            out.setdefault(aid, []).append(name)
        return {k: tuple(v) for k, v in out.items()}


def _association(s: Session, association_id: int) -> Association:
    a = s.get(Association, association_id)
    if a is None:
        raise NotFound(object="association", id=association_id)
    return a


def add_association_admin(engine: Engine, actor: Actor, association_id: int, username: str) -> None:
    """Make an account an administrator of the association (platform administrators)."""
    actor.require_association(association_id)
    actor.require_platform_admin()
    with write_session(engine) as s:
        _association(s, association_id)
        user = _user_named(s, username)
        if s.get(AssociationAdmin, (user.id, association_id)) is None:
            s.add(AssociationAdmin(user_id=user.id, association_id=association_id))
            _log(s, actor, "association_admin_added", "association", association_id, user=user.username)


def remove_association_admin(engine: Engine, actor: Actor, association_id: int, username: str) -> None:
    actor.require_association(association_id)
    actor.require_platform_admin()
    with write_session(engine) as s:
        _association(s, association_id)
        user = _user_named(s, username)
        row = s.get(AssociationAdmin, (user.id, association_id))
        if row is None:
            raise InvalidInput(problems=[Problem("not_association_admin", username=user.username)])
        s.delete(row)
        _log(s, actor, "association_admin_removed", "association", association_id, user=user.username)


# --- security events -------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventView:
    at: datetime
    user: str | None
    action: str
    object_type: str | None
    object_id: int | None
    detail: dict[str, Any]


def recent_events(engine: Engine, actor: Actor, *, limit: int = 200, actions: Iterable[str] = ()) -> list[EventView]:
    """The latest security events (sign-ins, failures, lock-outs, account and role changes), newest first."""
    actor.require_platform_admin()
    limit = max(1, min(int(limit), EVENT_LIMIT))
    with read_session(engine) as s:
        stmt = (select(EventLog, User.username).outerjoin(User, User.id == EventLog.user_id)
                .order_by(EventLog.at.desc(), EventLog.id.desc()).limit(limit))
        wanted = list(actions)
        if wanted:
            stmt = stmt.where(EventLog.action.in_(wanted))
        return [EventView(e.at, name, e.action, e.object_type, e.object_id, dict(e.detail or {}))
                for e, name in s.execute(stmt)]


def event_actions(engine: Engine, actor: Actor) -> list[str]:
    """The kinds of events recorded so far (for a filter)."""
    actor.require_platform_admin()
    with read_session(engine) as s:
        return sorted(s.scalars(select(EventLog.action).distinct()))
