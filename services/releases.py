"""Releases of a round's statistics: publishing them, reading them, and the round's privacy budget.

Round statistics are never computed for a reader. They are computed when a release is
*published* — by :func:`privacy.release.build_release`, the one place where privacy is decided —
stored as a :class:`~db.models.BenchmarkRelease`, and every output (association dashboard, both
workbooks, member comparison, results-page peer median, command line, trend, common gaps,
"close this gap first") shows the stored release unchanged until the next one
(docs/benchmarking.md, "Releases"):

* **Closing a round publishes its final release** in the same transaction. A closed round's
  release never changes, whoever leaves or reopens later.
* **An interim release** (round open) needs at least ``min_group_size`` *new independent*
  submissions since the previous release: otherwise comparing two releases would isolate the
  few members that submitted in between.
* **First access.** A round without a release (e.g. one that existed before releases did) gets
  its first one when first read, if it is closed or has at least ``min_group_size`` independent
  submissions.
* **Budget.** Each release spends at most the association's release ε; a round's releases may
  spend at most :data:`privacy.parameters.ROUND_BUDGET` in all. Without budget, nothing new is
  computed: closing then re-publishes the previous release's figures at no cost.

Independent members are anonymous members the association does not know: not registered or
imported by it, and with no account of its administrators (:func:`known_to_association`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, func, select
from sqlalchemy.orm import Session

from benchmarking.statistics import (
    Participation,
    identified_rows,
    latest_submissions,
    participation,
    release_cohort,
)
from db.engine import read_session, write_session
from db.models import (
    Assessment,
    Association,
    AssociationAdmin,
    AssociationMember,
    BenchmarkRelease,
    BenchmarkRound,
    Membership,
    utcnow,
)
from enums import AssessmentStatus, ReleaseKind, RoundStatus, Sharing
from privacy.parameters import MAX_RELEASE_EPSILON, MIN_RELEASE_EPSILON, ROUND_BUDGET
from privacy.release import ReleasedStatistics, build_release
from privacy.utility import typical_median_error
from questionnaires import get_questionnaire
from services.access import Actor
from services.association_members import registered_members
from services.associations import member_count
from services.errors import StateError
from services.events import log_event
from services.round_data import load_answers, load_submissions
from services.rounds import RoundView, admin_round, round_view

_BUDGET_SLACK = 1e-9


@dataclass(frozen=True)
class ReleaseEntry:
    """One release in a round's ledger."""

    seq: int
    kind: ReleaseKind
    published_at: datetime
    epsilon: float  # the ε set for it
    spent: float  # the sum of its mechanisms' ε (0 for a final release that re-publishes the previous figures)


@dataclass(frozen=True)
class StoredRelease:
    """A stored release as read back: the statistics and what the round showed when it was published."""

    round_id: int
    entry: ReleaseEntry
    statistics: ReleasedStatistics
    participation: Participation
    identified: tuple[dict[str, Any], ...]

    @property
    def typical_error(self) -> float | None:
        """Typical |released − exact| of the round's medians at this size and ε (privacy/utility.py)."""
        s = self.statistics
        return typical_median_error(s.count, s.epsilon) if s.shown and s.count is not None else None


@dataclass(frozen=True)
class PublishedRelease:
    """A round's current published snapshot as its association may read it.

    Returned by :func:`get_published_release`. Everything in it may be shown or exported as is:
    ``statistics`` is differentially private (see :mod:`privacy.release`), ``identified`` holds
    only members that chose to be identified, ``participation`` the counts at publication. Any
    report built from it (dashboard, workbooks, PDF) therefore shows exactly what every other
    output shows.
    """

    round: RoundView
    release: StoredRelease


@dataclass(frozen=True)
class Ledger:
    """A round's privacy budget and releases, for its association."""

    round_id: int
    budget: float
    spent: float
    releases: tuple[ReleaseEntry, ...]
    release_epsilon: float  # the association's ε per release (it may change it within the bounds)
    new_independent: int  # independent members that submitted since the latest release (0 once closed)
    needed: int  # new independent submissions an interim release needs
    is_open: bool  # a closed round publishes nothing more: its final release stands

    @property
    def remaining(self) -> float:
        return max(self.budget - self.spent, 0.0)

    @property
    def affordable(self) -> bool:
        return self.spent + self.release_epsilon <= self.budget + _BUDGET_SLACK

    @property
    def can_publish(self) -> bool:
        return self.is_open and self.affordable and self.new_independent >= self.needed


# --- who is independent ---------------------------------------------------------------------------------

def known_to_association(s: Session, association_id: int) -> set[int]:
    """Member organisations the association knows: they never count toward a threshold.

    Those it registered or imported itself (whoever holds an account there now), and those an
    administrator of the association belongs to (it could have created them to sit next to a
    real member). Identified members are excluded separately, by their sharing choice.
    """
    known = {org.id for org, _ in registered_members(s, association_id)}
    known |= set(s.scalars(
        select(Membership.organisation_id)
        .join(AssociationAdmin, AssociationAdmin.user_id == Membership.user_id)
        .join(AssociationMember, and_(AssociationMember.organisation_id == Membership.organisation_id,
                                      AssociationMember.association_id == association_id))
        .where(AssociationAdmin.association_id == association_id)))
    return known


def independent_submitted(s: Session, r: BenchmarkRound, since: datetime | None = None) -> int:
    """Independent members whose submission in the round is current (after ``since`` when given)."""
    known = known_to_association(s, r.association_id)
    stmt = (select(Assessment.organisation_id, func.max(Assessment.submitted_at))
            .join(AssociationMember, and_(AssociationMember.organisation_id == Assessment.organisation_id,
                                          AssociationMember.association_id == r.association_id))
            .where(Assessment.round_id == r.id, Assessment.status == AssessmentStatus.SUBMITTED,
                   Assessment.sharing != Sharing.IDENTIFIED)
            .group_by(Assessment.organisation_id))
    return sum(1 for org, at in s.execute(stmt) if org not in known and (since is None or (at is not None and at > since)))


# --- computing and storing ------------------------------------------------------------------------------

def _rows(s: Session, round_id: int) -> list[BenchmarkRelease]:
    return list(s.scalars(select(BenchmarkRelease).where(BenchmarkRelease.round_id == round_id)
                          .order_by(BenchmarkRelease.seq)))


def _latest(s: Session, round_id: int) -> BenchmarkRelease | None:
    return s.scalars(select(BenchmarkRelease).where(BenchmarkRelease.round_id == round_id)
                     .order_by(BenchmarkRelease.seq.desc()).limit(1)).first()


def _entry(row: BenchmarkRelease) -> ReleaseEntry:
    return ReleaseEntry(row.seq, ReleaseKind(row.kind), row.published_at, row.epsilon, row.epsilon_spent)


def _stored(row: BenchmarkRelease) -> StoredRelease:
    p = row.participation
    return StoredRelease(row.round_id, _entry(row), ReleasedStatistics.from_json(row.statistics),
                         Participation(int(p["invited"]), int(p["started"]), int(p["submitted"])),
                         tuple(row.identified.get("rows", [])))


def _spent(s: Session, round_id: int) -> float:
    return float(s.scalar(select(func.coalesce(func.sum(BenchmarkRelease.epsilon_spent), 0.0))
                          .where(BenchmarkRelease.round_id == round_id)) or 0.0)


def compute_release(s: Session, r: BenchmarkRound, a: Association) -> tuple[ReleasedStatistics, dict[str, int],
                                                                              list[dict[str, Any]], int]:
    """The release of the round's current submissions: statistics, participation, identified rows, independents."""
    q = get_questionnaire(r.questionnaire_id, r.questionnaire_version)
    subs = load_submissions(s, a.id, [r.id], with_names=True)
    answers = load_answers(s, [r.id])
    latest = latest_submissions(subs)
    known = known_to_association(s, a.id)
    cohort, scored, scores = release_cohort(q, latest, answers, known)
    stats = build_release(cohort, epsilon=_epsilon(a), min_group=a.min_group_size)
    part = participation(subs, r.id, member_count(s, a.id))
    identified = identified_rows(q, latest, scored, scores)
    return stats, dataclasses.asdict(part), identified, int(cohort.scores["independent"].sum())


def _epsilon(a: Association) -> float:
    return min(max(float(a.release_epsilon), MIN_RELEASE_EPSILON), MAX_RELEASE_EPSILON)


def _store(s: Session, actor: Actor | None, r: BenchmarkRound, a: Association, kind: ReleaseKind) -> BenchmarkRelease:
    """Compute and store a release, or — for a final release without budget — re-publish the latest at no cost."""
    latest = _latest(s, r.id)
    affordable = _spent(s, r.id) + _epsilon(a) <= ROUND_BUDGET + _BUDGET_SLACK
    if affordable:
        stats, part, identified, independent = compute_release(s, r, a)
    elif kind == ReleaseKind.FINAL and latest is not None:
        previous = ReleasedStatistics.from_json(latest.statistics)
        stats = dataclasses.replace(previous, ledger=())
        part, identified, independent = latest.participation, latest.identified.get("rows", []), \
            latest.independent_submitted
    else:
        raise StateError(reason="privacy_budget_spent", object="round", id=r.id)
    row = BenchmarkRelease(round_id=r.id, seq=(latest.seq + 1) if latest else 1, kind=kind, epsilon=stats.epsilon,
                           epsilon_spent=stats.spent, independent_submitted=independent, published_at=utcnow(),
                           published_by=actor.user_id if actor else None, statistics=stats.to_json(),
                           participation=dict(part), identified={"rows": list(identified)})
    s.add(row)
    s.flush()
    if actor is not None:
        log_event(s, actor, "release_published", "round", r.id, seq=row.seq, kind=kind, epsilon=row.epsilon_spent)
    return row


def publish_final(s: Session, actor: Actor, r: BenchmarkRound, a: Association) -> None:
    """The final release of a round being closed, inside the caller's (closing) transaction."""
    _store(s, actor, r, a, ReleaseKind.FINAL)


def publish_release(engine: Engine, actor: Actor, round_id: int) -> PublishedRelease:
    """An interim release of an open round (its association's administrators).

    Refused (StateError) when the round is closed (its final release stands), when fewer than
    ``min_group_size`` independent members submitted since the previous release, or when the
    round's budget cannot pay for one more release.
    """
    with write_session(engine) as s:
        r, a = admin_round(s, actor, round_id)
        s.refresh(r, with_for_update=True)  # one publication at a time per round
        if r.status != RoundStatus.OPEN:
            raise StateError(reason="round_closed", object="round", id=round_id)
        latest = _latest(s, r.id)
        new = independent_submitted(s, r, latest.published_at if latest else None)
        if new < a.min_group_size:
            raise StateError(reason="too_few_new_submissions", object="round", id=round_id, new=new, needed=a.min_group_size)
        row = _store(s, actor, r, a, ReleaseKind.INTERIM)
        return PublishedRelease(round_view(r, a.name), _stored(row))


def _eligible_first(s: Session, r: BenchmarkRound, a: Association) -> bool:
    return r.status == RoundStatus.CLOSED or independent_submitted(s, r) >= a.min_group_size


def current_release(engine: Engine, round_id: int) -> StoredRelease | None:
    """The round's latest release; a round without one gets its first here if it is eligible.

    Callers have checked the reader's rights to the round. None: nothing has been released yet.
    """
    with read_session(engine) as s:
        row = _latest(s, round_id)
        if row is not None:
            return _stored(row)
        r = s.get(BenchmarkRound, round_id)
        a = s.get(Association, r.association_id) if r is not None else None
        if r is None or a is None or not _eligible_first(s, r, a):
            return None
    with write_session(engine) as s:
        r = s.get(BenchmarkRound, round_id, with_for_update=True)
        assert r is not None
        row = _latest(s, round_id)  # another reader may have published it meanwhile
        if row is None:
            a = s.get(Association, r.association_id)
            assert a is not None
            row = _store(s, None, r, a, ReleaseKind.FINAL if r.status == RoundStatus.CLOSED else ReleaseKind.INTERIM)
        return _stored(row)


def get_published_release(engine: Engine, actor: Actor, round_id: int) -> PublishedRelease | None:
    """The round's current published snapshot, for its association's administrators (NotFound otherwise).

    This is what every association-facing output of the round is made from; a report (e.g. a
    PDF) built from it shows the same figures as the dashboard and the workbook. None when the
    round has nothing released yet.
    """
    with read_session(engine) as s:
        r, a = admin_round(s, actor, round_id)
        view = round_view(r, a.name)
    stored = current_release(engine, round_id)
    return None if stored is None else PublishedRelease(view, stored)


def round_ledger(engine: Engine, actor: Actor, round_id: int) -> Ledger:
    """The round's ε ledger and whether an interim release may be published now (administrators only)."""
    with read_session(engine) as s:
        r, a = admin_round(s, actor, round_id)
        rows = _rows(s, r.id)
        since = rows[-1].published_at if rows else None
        new = independent_submitted(s, r, since) if r.status == RoundStatus.OPEN else 0
        return Ledger(r.id, ROUND_BUDGET, float(sum(x.epsilon_spent for x in rows)), tuple(_entry(x) for x in rows),
                      _epsilon(a), new, a.min_group_size, r.status == RoundStatus.OPEN)
