"""Association benchmarking: associations, members, rounds, sharing choices and peer comparison.

Who may do what (docs/benchmarking.md):

* a platform administrator creates associations;
* an association administrator opens and closes rounds, sets the suppression threshold (never
  below 3), adds member organisations and reads the round dashboard — aggregates, plus scores by
  name of the members that chose to be identified; nothing else about anonymous members;
* an organisation joins with the invitation code (its administrators), starts an assessment in a
  round choosing anonymous (default) or identified sharing, may change that choice until it
  submits, and compares itself with its peers.

Objects the actor may not see raise :class:`NotFound`, never revealing whether they exist. The
statistics are computed in :mod:`services.benchmark_stats` from two frames that one SQL query each
loads here; for anonymous members the queries never select the organisation's name.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, case, func, null, select
from sqlalchemy.orm import Session

from db.engine import read_session, write_session
from db.models import (
    Answer,
    Assessment,
    Association,
    AssociationAdmin,
    AssociationMember,
    BenchmarkRound,
    EventLog,
    Membership,
    Organisation,
    User,
    utcnow,
)
from excel.benchmark import RoundInfo, benchmark_workbook, peer_workbook
from questionnaires import DEFAULT_ID, get_questionnaire
from services import assessments as assessment_service
from services.access import Actor
from services.assessments import AssessmentView
from services.benchmark_stats import (
    ANONYMOUS_FLOOR,
    SUBMISSION_COLUMNS,
    DashboardStats,
    Dist,
    MemberStats,
    dashboard_stats,
    member_stats,
)
from services.errors import Forbidden, InvalidInput, NotFound, Problem, StateError
from services.organisations import validate_profile
from services.text import clean_name

MIN_GROUP_FLOOR = ANONYMOUS_FLOOR  # the suppression threshold can never be set below this
DEFAULT_MIN_GROUP = 5
MAX_MIN_GROUP = 100
SHARING = ("anonymous", "identified")
SEGMENTS = ("auto", "all", "sector", "size", "ai_role")
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read out and typed


# --- views -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AssociationView:
    id: int
    name: str
    description: str
    min_group_size: int
    member_count: int
    invite_code: str | None  # only for the association's administrators


@dataclass(frozen=True)
class RoundView:
    id: int
    association_id: int
    association_name: str
    name: str
    questionnaire_id: str
    questionnaire_version: str
    deadline: datetime | None
    status: str  # open | closed
    created_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def past_deadline(self) -> bool:
        return self.deadline is not None and utcnow() > self.deadline


@dataclass(frozen=True)
class RoundSummary:
    """A round with its participation counts (for the round selector and ``aigov round list``)."""

    round: RoundView
    invited: int
    started: int
    submitted: int


@dataclass(frozen=True)
class MemberRound:
    """A round as one member organisation sees it, with its own assessment there (if any)."""

    round: RoundView
    assessment_id: int | None
    status: str | None  # draft | submitted | None (not started)
    sharing: str | None


@dataclass(frozen=True)
class RoundStamp:
    """What a round's statistics and workbook depend on, read in one cheap query; a cache key only.

    Pages key cached statistics and prepared workbooks by it, so a new submission, a reopened
    assessment, a member joining or leaving, a profile edit or a new threshold means a recompute.
    Never shown: the time of the latest change may be an anonymous member's. Holds no id but the
    round's, no name but the round's and the association's.
    """

    round_id: int
    round: tuple[str, str, datetime | None]  # name, status, deadline (as the workbook prints them)
    association_name: str
    min_group_size: int
    members: tuple[int, datetime | None]  # how many member organisations, and when the latest joined
    assessments: int  # in the association's rounds (drafts count in participation)
    submitted: int
    last_submitted_at: datetime | None
    last_change: datetime | None  # latest update of such an assessment or of its organisation


@dataclass(frozen=True)
class RoundDashboard:
    """The association's view of one round: the round, its association, and the statistics.

    ``stamp`` is read in the same transaction as the statistics' data: a page keys what it
    prepares from them (the workbook) by it.
    """

    round: RoundView
    association_name: str
    stats: DashboardStats
    stamp: RoundStamp


@dataclass(frozen=True)
class MemberComparison:
    round: RoundView
    assessment_id: int
    assessment_status: str
    organisation_name: str  # the member's own name (it reads its own comparison)
    min_group_size: int
    stats: MemberStats


@dataclass(frozen=True)
class PeerSummary:
    """The peer distribution per dimension for the results page (``dimensions[dim].median`` etc.).

    :func:`peer_summary` returns None instead when the assessment is in no round or the
    comparison group is too small to show; with ``include_hidden`` it returns a ``suppressed``
    summary in that second case, so the page can say "too few to show" instead of drawing nothing.
    """

    round_id: int
    round_name: str
    segment: str  # "all" or sector | size | ai_role
    segment_value: str | None
    peers: int | None  # None when suppressed
    dimensions: dict[str, Dist]
    suppressed: bool = False
    min_group_size: int = DEFAULT_MIN_GROUP

    @property
    def median(self) -> dict[str, float | None]:
        return {d: v.median for d, v in self.dimensions.items()}

    @property
    def p75(self) -> dict[str, float | None]:
        return {d: v.p75 for d, v in self.dimensions.items()}


# --- helpers ---------------------------------------------------------------------------------------

def _new_code() -> str:
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _canonical_code(code: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", (code or "").upper())


def _member_count(s: Session, association_id: int) -> int:
    return s.scalar(select(func.count()).select_from(AssociationMember)
                    .where(AssociationMember.association_id == association_id)) or 0


def _assoc_view(s: Session, a: Association, *, admin: bool) -> AssociationView:
    return AssociationView(a.id, a.name, a.description or "", a.min_group_size, _member_count(s, a.id),
                           a.invite_code if admin else None)


def _round_view(r: BenchmarkRound, association_name: str) -> RoundView:
    return RoundView(r.id, r.association_id, association_name, r.name, r.questionnaire_id, r.questionnaire_version,
                     r.deadline, r.status, r.created_at)


def _admin_association(s: Session, actor: Actor, association_id: int) -> Association:
    a = s.get(Association, association_id)
    if a is None or not actor.can_admin_association(association_id):
        raise NotFound(object="association", id=association_id)
    return a


def _admin_round(s: Session, actor: Actor, round_id: int) -> tuple[BenchmarkRound, Association]:
    r = s.get(BenchmarkRound, round_id)
    if r is None or not actor.can_admin_association(r.association_id):
        raise NotFound(object="round", id=round_id)
    a = s.get(Association, r.association_id)
    assert a is not None
    return r, a


def _check_min_group(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_GROUP_FLOOR <= value <= MAX_MIN_GROUP:
        raise InvalidInput(problems=[Problem("min_group_size", value=repr(value), floor=MIN_GROUP_FLOOR, max=MAX_MIN_GROUP)])
    return value


def _log(s: Session, actor: Actor, action: str, object_type: str, object_id: int, **detail: Any) -> None:
    s.add(EventLog(user_id=actor.user_id, action=action, object_type=object_type, object_id=object_id,
                   detail=detail or None))


def _user_by_name(s: Session, username: str) -> User:
    user = s.scalars(select(User).where(func.lower(User.username) == (username or "").strip().lower())).first()
    if user is None:
        raise InvalidInput(problems=[Problem("admin_no_account", username=username)])
    return user


# --- associations ----------------------------------------------------------------------------------

def create_association(engine: Engine, actor: Actor, name: str, *, description: str = "",
                       min_group_size: int = DEFAULT_MIN_GROUP, admin_username: str | None = None) -> AssociationView:
    """A new association with a fresh invitation code (platform administrators only)."""
    if not actor.is_platform_admin:
        raise Forbidden(object="association")
    name = clean_name(name)
    _check_min_group(min_group_size)
    with write_session(engine) as s:
        admin = _user_by_name(s, admin_username) if admin_username else None
        a = Association(name=name, description=(description or "").strip()[:2000], invite_code=_new_code(),
                        min_group_size=min_group_size)
        s.add(a)
        s.flush()
        if admin is not None:
            s.add(AssociationAdmin(user_id=admin.id, association_id=a.id))
        _log(s, actor, "association_created", "association", a.id)
        return _assoc_view(s, a, admin=True)


def list_administered(engine: Engine, actor: Actor) -> list[AssociationView]:
    """Associations the actor administers (every association for a platform administrator)."""
    with read_session(engine) as s:
        stmt = select(Association).order_by(Association.name, Association.id)
        if not actor.is_platform_admin:
            stmt = stmt.where(Association.id.in_(sorted(actor.association_admin) or [-1]))
        return [_assoc_view(s, a, admin=True) for a in s.scalars(stmt)]


def get_association(engine: Engine, actor: Actor, association_id: int) -> AssociationView:
    with read_session(engine) as s:
        return _assoc_view(s, _admin_association(s, actor, association_id), admin=True)


def set_min_group_size(engine: Engine, actor: Actor, association_id: int, value: int) -> AssociationView:
    """Change the suppression threshold; it can never go below 3."""
    _check_min_group(value)
    with write_session(engine) as s:
        a = _admin_association(s, actor, association_id)
        old = a.min_group_size
        a.min_group_size = value
        _log(s, actor, "association_threshold", "association", a.id, old=old, new=value)
        s.flush()
        return _assoc_view(s, a, admin=True)


def rotate_invite_code(engine: Engine, actor: Actor, association_id: int) -> AssociationView:
    """A new invitation code; the old one stops working (members already in stay)."""
    with write_session(engine) as s:
        a = _admin_association(s, actor, association_id)
        a.invite_code = _new_code()
        _log(s, actor, "association_code_rotated", "association", a.id)
        s.flush()
        return _assoc_view(s, a, admin=True)


def join_association(engine: Engine, actor: Actor, org_id: int, code: str) -> AssociationView:
    """The organisation joins the association whose invitation code this is (organisation admins)."""
    actor.require_org(org_id)
    if not actor.can_admin_org(org_id):
        raise Forbidden(object="organisation", id=org_id)
    wanted = _canonical_code(code)
    with write_session(engine) as s:
        match = None
        if wanted:
            for a in s.scalars(select(Association)):
                if secrets.compare_digest(_canonical_code(a.invite_code), wanted):
                    match = a
        if match is None:
            # Recorded (committed) before the refusal, so repeated code guessing is visible to administrators.
            s.add(EventLog(user_id=actor.user_id, action="association_join_failed", object_type="organisation",
                           object_id=org_id))
        else:
            if s.get(AssociationMember, (match.id, org_id)) is None:
                s.add(AssociationMember(association_id=match.id, organisation_id=org_id))
                _log(s, actor, "association_joined", "association", match.id, organisation_id=org_id)
            s.flush()
            view = _assoc_view(s, match, admin=False)
    if match is None:
        raise InvalidInput(problems=[Problem("invite_code")])
    return view


def leave_association(engine: Engine, actor: Actor, org_id: int, association_id: int) -> None:
    """The organisation leaves; its assessments stay its own and drop out of future dashboards."""
    actor.require_org(org_id)
    if not actor.can_admin_org(org_id):
        raise Forbidden(object="organisation", id=org_id)
    with write_session(engine) as s:
        m = s.get(AssociationMember, (association_id, org_id))
        if m is None:
            raise NotFound(object="association", id=association_id)
        s.delete(m)
        _log(s, actor, "association_left", "association", association_id, organisation_id=org_id)


def create_member_organisation(engine: Engine, actor: Actor, association_id: int, name: str,
                               profile: dict[str, Any], *, admin_username: str | None = None) -> int:
    """The association administrator registers a member organisation on its behalf.

    The association gets no access to the organisation's data: ``admin_username`` (an existing
    account, e.g. the member's compliance lead) becomes the organisation's administrator.
    Returns the new organisation's id.
    """
    name = clean_name(name)
    clean = validate_profile(profile)
    with write_session(engine) as s:
        _admin_association(s, actor, association_id)
        admin = _user_by_name(s, admin_username) if admin_username else None
        return register_member(s, actor, association_id, name, clean, admin=admin).id


def register_member(s: Session, actor: Actor, association_id: int, name: str, profile: dict[str, Any], *,
                    admin: User | None = None) -> Organisation:
    """Create a member organisation inside the caller's transaction (the caller checked the rights and
    validated name and profile). The event ``association_member_added`` on the organisation with
    ``registered_by`` is the record that this association registered it (see :func:`registered_members`)."""
    org = Organisation(name=name, profile=profile)
    s.add(org)
    s.flush()
    s.add(AssociationMember(association_id=association_id, organisation_id=org.id))
    if admin is not None:
        s.add(Membership(user_id=admin.id, organisation_id=org.id, role="org_admin"))
    _log(s, actor, "association_member_added", "organisation", org.id, registered_by=association_id)
    return org


def registered_members(s: Session, association_id: int) -> list[tuple[Organisation, bool]]:
    """Current members that this association registered itself, each with whether it has an account yet.

    An organisation that joined with the invitation code, or that a platform administrator added,
    is not among them: the association learns nothing about it from this list.
    """
    ids = {oid for oid, detail in s.execute(
        select(EventLog.object_id, EventLog.detail)
        .join(AssociationMember, and_(AssociationMember.organisation_id == EventLog.object_id,
                                      AssociationMember.association_id == association_id))
        .where(EventLog.action == "association_member_added", EventLog.object_type == "organisation"))
        if (detail or {}).get("registered_by") == association_id}
    with_accounts = set(s.scalars(select(Membership.organisation_id).where(Membership.organisation_id.in_(ids or [-1]))))
    orgs = s.scalars(select(Organisation).where(Organisation.id.in_(ids or [-1])).order_by(Organisation.id))
    return [(org, org.id in with_accounts) for org in orgs]


def add_member_organisation(engine: Engine, actor: Actor, association_id: int, org_id: int) -> None:
    """Add an existing organisation; the actor must administer both (e.g. a platform administrator)."""
    actor.require_org(org_id, admin=True)
    with write_session(engine) as s:
        _admin_association(s, actor, association_id)
        if s.get(Organisation, org_id) is None:
            raise NotFound(object="organisation", id=org_id)
        if s.get(AssociationMember, (association_id, org_id)) is None:
            s.add(AssociationMember(association_id=association_id, organisation_id=org_id))
            _log(s, actor, "association_member_added", "organisation", org_id, association_id=association_id)


def member_associations(engine: Engine, actor: Actor, org_id: int) -> list[AssociationView]:
    """The associations an organisation belongs to (no invitation codes: members do not need them)."""
    actor.require_org(org_id)
    with read_session(engine) as s:
        rows = s.scalars(select(Association).join(AssociationMember, AssociationMember.association_id == Association.id)
                         .where(AssociationMember.organisation_id == org_id).order_by(Association.name))
        return [_assoc_view(s, a, admin=actor.can_admin_association(a.id)) for a in rows]


# --- rounds ----------------------------------------------------------------------------------------

def _deadline(value: date | datetime | None) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    return datetime.combine(value, time(23, 59, 59))


def open_round(engine: Engine, actor: Actor, association_id: int, name: str, *,
               deadline: date | datetime | None, questionnaire_id: str = DEFAULT_ID) -> RoundView:
    """Open a round (测评轮次) on the questionnaire's current version; members may then submit into it."""
    problems = []
    try:
        name = clean_name(name)
    except InvalidInput as exc:
        problems += exc.problems
    when = _deadline(deadline)
    if when is not None and when < utcnow():
        problems.append(Problem("deadline_past"))
    try:
        q = get_questionnaire(questionnaire_id)
    except Exception:
        problems.append(Problem("questionnaire_unknown", id=questionnaire_id, default=DEFAULT_ID))
    with write_session(engine) as s:
        a = _admin_association(s, actor, association_id)
        if problems:
            raise InvalidInput(problems=problems)
        r = BenchmarkRound(association_id=a.id, name=name, questionnaire_id=q.id, questionnaire_version=q.version,
                           deadline=when, status="open")
        s.add(r)
        s.flush()
        _log(s, actor, "round_opened", "round", r.id)
        return _round_view(r, a.name)


def _set_status(engine: Engine, actor: Actor, round_id: int, status: str) -> RoundView:
    with write_session(engine) as s:
        r, a = _admin_round(s, actor, round_id)
        if r.status == status:
            raise StateError(f"round already {status}", object="round", id=round_id)
        r.status = status
        _log(s, actor, f"round_{'closed' if status == 'closed' else 'reopened'}", "round", r.id)
        s.flush()
        return _round_view(r, a.name)


def close_round(engine: Engine, actor: Actor, round_id: int) -> RoundView:
    """Close a round: no new assessments or submissions; the dashboard keeps what was submitted."""
    return _set_status(engine, actor, round_id, "closed")


def reopen_round(engine: Engine, actor: Actor, round_id: int) -> RoundView:
    return _set_status(engine, actor, round_id, "open")


def get_round(engine: Engine, actor: Actor, round_id: int) -> RoundView:
    """A round for its association's administrators; NotFound for everyone else."""
    with read_session(engine) as s:
        r, a = _admin_round(s, actor, round_id)
        return _round_view(r, a.name)


def list_rounds(engine: Engine, actor: Actor, association_id: int) -> list[RoundSummary]:
    """The association's rounds, newest first, with participation counts."""
    with read_session(engine) as s:
        a = _admin_association(s, actor, association_id)
        rounds = list(s.scalars(select(BenchmarkRound).where(BenchmarkRound.association_id == a.id)
                                .order_by(BenchmarkRound.created_at.desc(), BenchmarkRound.id.desc())))
        invited = _member_count(s, a.id)
        per_org = (select(Assessment.round_id, Assessment.organisation_id,
                          func.max(case((Assessment.status == "submitted", 1), else_=0)).label("done"))
                   .join(AssociationMember, and_(AssociationMember.organisation_id == Assessment.organisation_id,
                                                 AssociationMember.association_id == a.id))
                   .where(Assessment.round_id.in_([r.id for r in rounds] or [-1]))
                   .group_by(Assessment.round_id, Assessment.organisation_id)).subquery()
        counts = {rid: (started, done) for rid, started, done in s.execute(
            select(per_org.c.round_id, func.count().filter(per_org.c.done == 0), func.count().filter(per_org.c.done == 1))
            .group_by(per_org.c.round_id))}
        return [RoundSummary(_round_view(r, a.name), invited, *counts.get(r.id, (0, 0))) for r in rounds]


# --- a member in a round ---------------------------------------------------------------------------

def _member_round(s: Session, actor: Actor, org_id: int, round_id: int) -> tuple[BenchmarkRound, Association]:
    actor.require_org(org_id)
    r = s.get(BenchmarkRound, round_id)
    if r is None or s.get(AssociationMember, (r.association_id, org_id)) is None:
        raise NotFound(object="round", id=round_id)
    a = s.get(Association, r.association_id)
    assert a is not None
    return r, a


def member_rounds(engine: Engine, actor: Actor, org_id: int) -> list[MemberRound]:
    """Every round of the organisation's associations, newest first, with its assessment there."""
    actor.require_org(org_id)
    with read_session(engine) as s:
        rows = s.execute(
            select(BenchmarkRound, Association.name)
            .join(Association, Association.id == BenchmarkRound.association_id)
            .join(AssociationMember, and_(AssociationMember.association_id == Association.id,
                                          AssociationMember.organisation_id == org_id))
            .order_by(BenchmarkRound.created_at.desc(), BenchmarkRound.id.desc())).all()
        mine: dict[int, Assessment] = {}
        for a in s.scalars(select(Assessment).where(Assessment.organisation_id == org_id,
                                                    Assessment.round_id.is_not(None))
                           .order_by(Assessment.created_at, Assessment.id)):
            best = mine.get(a.round_id)  # type: ignore[arg-type]
            if best is None or a.status == "submitted" or best.status != "submitted":
                mine[a.round_id] = a  # type: ignore[index]
        out = []
        for r, assoc_name in rows:
            a = mine.get(r.id)
            out.append(MemberRound(_round_view(r, assoc_name), a.id if a else None, a.status if a else None,
                                   a.sharing if a else None))
        return out


def _check_sharing(actor: Actor, org_id: int, sharing: str) -> None:
    if sharing not in SHARING:
        raise InvalidInput(problems=[Problem("sharing")])
    if sharing == "identified" and not actor.can_admin_org(org_id):
        raise Forbidden(object="organisation", id=org_id)


def start_round_assessment(engine: Engine, actor: Actor, org_id: int, round_id: int, *,
                           sharing: str = "anonymous", carry_forward_from: int | None = None) -> AssessmentView:
    """Start the organisation's assessment in a round (one per round); sharing defaults to anonymous.

    Being identified is the organisation's decision, so only its administrators may choose it.
    """
    _check_sharing(actor, org_id, sharing)
    with read_session(engine) as s:
        r, _ = _member_round(s, actor, org_id, round_id)
        if r.status != "open":
            raise StateError("round closed", object="round", id=round_id)
        existing = s.scalar(select(Assessment.id).where(Assessment.organisation_id == org_id,
                                                        Assessment.round_id == round_id).limit(1))
        if existing is not None:
            raise StateError("already in this round", object="assessment", id=existing)
        title = r.name[:200]
    return assessment_service.create_assessment(engine, actor, org_id, round_id=round_id, sharing=sharing,
                                                carry_forward_from=carry_forward_from, title=title)


def set_sharing(engine: Engine, actor: Actor, assessment_id: int, sharing: str) -> AssessmentView:
    """Change anonymous ↔ identified before submission (organisation administrators only)."""
    with write_session(engine) as s:
        a = assessment_service._load(s, actor, assessment_id, for_update=True)
        if sharing not in SHARING:
            raise InvalidInput(problems=[Problem("sharing")])
        if not actor.can_admin_org(a.organisation_id):
            raise Forbidden(object="assessment", id=assessment_id)
        if a.round_id is None:
            raise StateError("not in a round", object="assessment", id=assessment_id)
        if a.status != "draft":
            raise StateError("submitted", object="assessment", id=assessment_id)
        if a.sharing != sharing:
            a.sharing = sharing
            _log(s, actor, "sharing_changed", "assessment", a.id, sharing=sharing)
        s.flush()
        org = s.get(Organisation, a.organisation_id)
        return assessment_service._view(a, org.name if org else "")


def submit_to_round(engine: Engine, actor: Actor, assessment_id: int) -> AssessmentView:
    """Submit an assessment that is in a round, while the round is open."""
    with read_session(engine) as s:
        a = assessment_service._load(s, actor, assessment_id)
        if a.round_id is None:
            raise StateError("not in a round", object="assessment", id=assessment_id)
        r = s.get(BenchmarkRound, a.round_id)
        if r is None or r.status != "open":
            raise StateError("round closed", object="round", id=a.round_id)
    return assessment_service.submit(engine, actor, assessment_id)


# --- loading frames: one SQL query each -------------------------------------------------------------

def load_submissions(s: Session, association_id: int, round_ids: list[int], *, with_names: bool) -> pd.DataFrame:
    """Assessments of current members in the given rounds (drafts too), one row each.

    ``name`` is selected only for identified members, and only when ``with_names`` (the
    association's view); a member's view never loads any name.
    """
    name = (case((Assessment.sharing == "identified", Organisation.name), else_=None) if with_names
            else null()).label("name")
    stmt = (select(Assessment.round_id, Assessment.id.label("assessment_id"), Assessment.organisation_id,
                   Assessment.status, Assessment.sharing, Assessment.form,
                   func.coalesce(Assessment.target_preset, Organisation.target_preset).label("target_preset"),
                   Assessment.profile_snapshot, Organisation.profile.label("live_profile"),
                   Assessment.submitted_at, name)
            .join(Organisation, Organisation.id == Assessment.organisation_id)
            .join(AssociationMember, and_(AssociationMember.organisation_id == Assessment.organisation_id,
                                          AssociationMember.association_id == association_id))
            .where(Assessment.round_id.in_(round_ids or [-1])))
    rows = s.execute(stmt).all()
    frame = pd.DataFrame(rows, columns=["round_id", "assessment_id", "organisation_id", "status", "sharing", "form",
                                        "target_preset", "profile_snapshot", "live_profile", "submitted_at", "name"])
    return _with_profile(frame)


def _with_profile(frame: pd.DataFrame) -> pd.DataFrame:
    """The profile scoring uses: the snapshot taken at submission, else the live profile (drafts)."""
    snap = frame["profile_snapshot"]
    frame["profile"] = snap.where(snap.notna() & (frame["status"] == "submitted"), frame["live_profile"])
    frame["profile"] = [p if isinstance(p, dict) else {} for p in frame["profile"]]
    return frame[list(SUBMISSION_COLUMNS)]


def load_answers(s: Session, round_ids: list[int], *, extra_assessment: int | None = None) -> pd.DataFrame:
    """Answers (level, N/A) of every submitted assessment in the rounds: one query into a DataFrame."""
    cond = and_(Assessment.round_id.in_(round_ids or [-1]), Assessment.status == "submitted")
    if extra_assessment is not None:
        cond = cond | (Assessment.id == extra_assessment)
    stmt = (select(Answer.assessment_id, Answer.question_id, Answer.level, Answer.is_na.label("na"))
            .join(Assessment, Assessment.id == Answer.assessment_id).where(cond))
    frame = _read_frame(s, stmt)
    frame["level"] = frame["level"].astype("float64")
    frame["na"] = frame["na"].fillna(False).astype(bool)
    return frame


def _read_frame(s: Session, stmt: Any) -> pd.DataFrame:
    """Run a Core statement on the session's connection and read the rows straight into a DataFrame.

    A round's answers are hundreds of thousands of rows; building a SQLAlchemy ``Row`` per row costs
    twice the query itself, so the compiled statement goes to the driver's cursor and the tuples to
    pandas, as ``pandas.read_sql`` does with a bare DB-API connection (perf/bench_round_statistics.py).
    """
    conn = s.connection()
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params: Any = ([compiled.params[k] for k in compiled.positiontup] if compiled.positiontup is not None
                   else compiled.params)
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, params)
        columns = [d[0] for d in cursor.description]
        return pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
    finally:
        cursor.close()


def _comparable_rounds(s: Session, r: BenchmarkRound) -> list[BenchmarkRound]:
    """The association's rounds on the same questionnaire up to ``r``, oldest first (for trends)."""
    return list(s.scalars(select(BenchmarkRound).where(
        BenchmarkRound.association_id == r.association_id, BenchmarkRound.questionnaire_id == r.questionnaire_id,
        BenchmarkRound.created_at <= r.created_at).order_by(BenchmarkRound.created_at, BenchmarkRound.id)))


# --- dashboards ------------------------------------------------------------------------------------

def round_dashboard(engine: Engine, actor: Actor, round_id: int) -> RoundDashboard:
    """The association dashboard of a round (its administrators only; NotFound for anyone else)."""
    with read_session(engine) as s:
        r, a = _admin_round(s, actor, round_id)
        stamp = _round_stamp(s, r, a)  # before the data: a change in between then only makes it older
        rounds = _comparable_rounds(s, r)
        ids = [x.id for x in rounds]
        subs = load_submissions(s, a.id, ids, with_names=True)
        answers = load_answers(s, ids)
        invited = _member_count(s, a.id)
        view, min_group = _round_view(r, a.name), a.min_group_size
        trend = [(x.id, x.name, x.created_at) for x in rounds]
    q = get_questionnaire(view.questionnaire_id)
    stats = dashboard_stats(q, subs, answers, round_id=round_id, min_group=min_group, invited=invited, rounds=trend)
    return RoundDashboard(view, view.association_name, stats, stamp)


def _round_stamp(s: Session, r: BenchmarkRound, a: Association) -> RoundStamp:
    members = s.execute(select(func.count(), func.max(AssociationMember.joined_at))
                        .where(AssociationMember.association_id == a.id)).one()
    row = s.execute(
        select(func.count(), func.count().filter(Assessment.status == "submitted"), func.max(Assessment.submitted_at),
               func.max(Assessment.updated_at), func.max(Organisation.updated_at))
        .select_from(Assessment)
        .join(BenchmarkRound, BenchmarkRound.id == Assessment.round_id)
        .join(Organisation, Organisation.id == Assessment.organisation_id)
        .join(AssociationMember, and_(AssociationMember.organisation_id == Assessment.organisation_id,
                                      AssociationMember.association_id == a.id))
        .where(BenchmarkRound.association_id == a.id)).one()
    changes = [t for t in (row[3], row[4]) if t is not None]
    return RoundStamp(r.id, (r.name, r.status, r.deadline), a.name, a.min_group_size, (members[0], members[1]),
                      row[0], row[1], row[2], max(changes) if changes else None)


def peer_stamp(engine: Engine, view: AssessmentView) -> RoundStamp | None:
    """The stamp of the round ``view`` compares in, to key the results page's cached peer summary.

    ``view`` must come from an access-checked call for the signed-in actor (the page's current
    assessment); the stamp holds nothing of other members but counts and times. None when the
    assessment is in no round or its organisation left the association (then it has no peers).
    """
    if view.round_id is None:
        return None
    with read_session(engine) as s:
        r = s.get(BenchmarkRound, view.round_id)
        if r is None or s.get(AssociationMember, (r.association_id, view.organisation_id)) is None:
            return None
        a = s.get(Association, r.association_id)
        assert a is not None
        return _round_stamp(s, r, a)


def round_of(engine: Engine, view: AssessmentView) -> RoundView | None:
    """The round ``view`` was started in, or None; ``view`` comes from an access-checked call."""
    if view.round_id is None:
        return None
    with read_session(engine) as s:
        r = s.get(BenchmarkRound, view.round_id)
        a = s.get(Association, r.association_id) if r is not None else None
        return _round_view(r, a.name) if r is not None and a is not None else None


def log_export(engine: Engine, actor: Actor, kind: str, object_type: str, object_id: int) -> None:
    """Record that a benchmark workbook left the platform (who, what, when)."""
    with write_session(engine) as s:
        _log(s, actor, f"export_{kind}", object_type, object_id)


def member_comparison(engine: Engine, actor: Actor, assessment_id: int, segment: str = "auto") -> MemberComparison:
    """The organisation's assessment against its peers in the assessment's round.

    NotFound unless the actor may read the organisation and the assessment is in a round of an
    association the organisation still belongs to.
    """
    if segment not in SEGMENTS:
        raise InvalidInput(problems=[Problem("segment", choices=", ".join(SEGMENTS))])
    with read_session(engine) as s:
        own = assessment_service._load(s, actor, assessment_id)
        if own.round_id is None:
            raise NotFound(object="round", id=assessment_id)
        r, a = _member_round(s, actor, own.organisation_id, own.round_id)
        rounds = _comparable_rounds(s, r)
        previous = rounds[-2].id if len(rounds) > 1 else None
        ids = [r.id] + ([previous] if previous is not None else [])
        subs = load_submissions(s, a.id, ids, with_names=False)
        subs = subs[(subs["status"] == "submitted") | (subs["assessment_id"] == assessment_id)]
        answers = load_answers(s, ids, extra_assessment=assessment_id)
        view, min_group, status = _round_view(r, a.name), a.min_group_size, own.status
        org = s.get(Organisation, own.organisation_id)
        org_name = org.name if org else ""
    q = get_questionnaire(view.questionnaire_id)
    stats = member_stats(q, subs, answers, own_assessment_id=assessment_id, round_id=view.id,
                         previous_round_id=previous, segment=segment, min_group=min_group)
    return MemberComparison(view, assessment_id, status, org_name, min_group, stats)


def peer_summary(engine: Engine, actor: Actor, assessment_id: int, *,
                 include_hidden: bool = False) -> PeerSummary | None:
    """Per-dimension peer distribution of the automatic comparison group, for the results page.

    None when the assessment is in no round (or its organisation left the association), and when
    every comparison group is too small to show — unless ``include_hidden``: then a ``suppressed``
    summary, so the page can say "too few to show". NotFound when the actor may not read it.
    """
    with read_session(engine) as s:
        own = assessment_service._load(s, actor, assessment_id)
        if own.round_id is None:
            return None
    try:
        comp = member_comparison(engine, actor, assessment_id)
    except NotFound:
        return None
    st = comp.stats
    if st.suppressed and not include_hidden:
        return None
    return PeerSummary(comp.round.id, comp.round.name, st.segment, st.segment_value,
                       None if st.suppressed else st.peers or 0,
                       {u: d for u, d in st.units.items() if u != "overall"}, st.suppressed, comp.min_group_size)


# --- workbooks -------------------------------------------------------------------------------------

def _info(view: RoundView) -> RoundInfo:
    return RoundInfo(view.association_name, view.name, view.status, view.deadline, view.questionnaire_id,
                     view.questionnaire_version, utcnow())


def benchmark_xlsx(engine: Engine, actor: Actor, round_id: int, lang: str, *,
                   dashboard: RoundDashboard | None = None) -> bytes:
    """The association's benchmark workbook of a round (same data and suppression as the dashboard).

    ``dashboard``: the round's :func:`round_dashboard`, already built for ``actor`` (the page and
    the command print it too), so the round is not scored twice; the actor's rights are checked
    either way.
    """
    if dashboard is None:
        dashboard = round_dashboard(engine, actor, round_id)
    else:
        get_round(engine, actor, round_id)  # NotFound for anyone but the round's administrators
        if dashboard.round.id != round_id:
            raise InvalidInput(problems=[f"dashboard: built for round {dashboard.round.id}, not round {round_id}"])
    data = benchmark_workbook(get_questionnaire(dashboard.round.questionnaire_id), _info(dashboard.round),
                              dashboard.stats, lang)
    log_export(engine, actor, "benchmark", "round", round_id)
    return data


def peer_xlsx(engine: Engine, actor: Actor, assessment_id: int, lang: str, segment: str = "auto") -> bytes:
    """A member's one-page peer comparison workbook."""
    comp = member_comparison(engine, actor, assessment_id, segment)
    data = peer_workbook(get_questionnaire(comp.round.questionnaire_id), _info(comp.round), comp.organisation_name,
                         comp.assessment_status, comp.stats, comp.min_group_size, lang)
    log_export(engine, actor, "peer", "assessment", assessment_id)
    return data
