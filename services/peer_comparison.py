"""A member's comparison with its peers in a round, and the peer summary of the results page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from db.engine import read_session
from db.models import AssessmentStatus, Organisation
from questionnaires import get_questionnaire
from services import answers as answer_service
from services.access import Actor
from services.associations import DEFAULT_MIN_GROUP
from services.benchmark_stats import Dist, MemberStats, member_stats
from services.errors import InvalidInput, NotFound, Problem
from services.round_data import load_answers, load_submissions
from services.round_members import member_round
from services.rounds import RoundView, comparable_rounds, round_view

SEGMENTS = ("auto", "all", "sector", "size", "ai_role")


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


def member_comparison(engine: Engine, actor: Actor, assessment_id: int, segment: str = "auto") -> MemberComparison:
    """The organisation's assessment against its peers in the assessment's round.

    NotFound unless the actor may read the organisation and the assessment is in a round of an
    association the organisation still belongs to.
    """
    if segment not in SEGMENTS:
        raise InvalidInput(problems=[Problem("segment", choices=", ".join(SEGMENTS))])
    with read_session(engine) as s:
        own = answer_service.load(s, actor, assessment_id)
        if own.round_id is None:
            raise NotFound(object="round", id=assessment_id)
        r, a = member_round(s, actor, own.organisation_id, own.round_id)
        rounds = comparable_rounds(s, r)
        previous = rounds[-2].id if len(rounds) > 1 else None
        ids = [r.id] + ([previous] if previous is not None else [])
        subs = load_submissions(s, a.id, ids, with_names=False)
        subs = subs[(subs["status"] == AssessmentStatus.SUBMITTED) | (subs["assessment_id"] == assessment_id)]
        answers = load_answers(s, ids, extra_assessment=assessment_id)
        view, min_group, status = round_view(r, a.name), a.min_group_size, own.status
        org = s.get(Organisation, own.organisation_id)
        org_name = org.name if org else ""
    q = get_questionnaire(view.questionnaire_id, view.questionnaire_version)
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
        own = answer_service.load(s, actor, assessment_id)
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

