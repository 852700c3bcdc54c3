"""A member's comparison with its peers in a round, and the peer summary of the results page."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from benchmarking.statistics import Dist, MemberStats, OwnGap, member_view, score_submissions
from db.engine import read_session
from db.models import Organisation
from enums import AssessmentStatus
from privacy.release import SEGMENT_FIELDS
from questionnaires import Questionnaire, get_questionnaire
from services import answers as answer_service
from services import releases
from services.access import Actor
from services.associations import DEFAULT_MIN_GROUP
from services.errors import InvalidInput, NotFound, Problem
from services.releases import ReleaseEntry
from services.round_data import load_answers, load_submissions
from services.round_members import member_round
from services.rounds import RoundView, comparable_rounds, round_view

SEGMENTS = ("auto", "all", "sector", "size", "ai_role")


@dataclass(frozen=True)
class MemberComparison:
    round: RoundView
    assessment_id: int
    assessment_status: AssessmentStatus
    organisation_name: str  # the member's own name (it reads its own comparison)
    min_group_size: int
    stats: MemberStats
    release: ReleaseEntry | None  # the release the peers' figures come from (None: nothing released yet)


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
    released: bool = True  # False: the round has no release yet (then ``suppressed`` too)
    epsilon: float | None = None  # the release's ε
    typical_error: float | None = None  # typical |released − exact| of a round median (privacy/utility.py)

    @property
    def median(self) -> dict[str, float | None]:
        return {d: v.median for d, v in self.dimensions.items()}

    @property
    def p75(self) -> dict[str, float | None]:
        return {d: v.p75 for d, v in self.dimensions.items()}


def member_comparison(engine: Engine, actor: Actor, assessment_id: int, segment: str = "auto") -> MemberComparison:
    """The organisation's assessment against the current release of its round.

    Peers' figures come only from the round's stored release (services/releases.py): a member's
    own resubmission changes its own scores here, never what it sees of its peers, until the
    next release. NotFound unless the actor may read the organisation and the assessment is in a
    round of an association the organisation still belongs to.
    """
    if segment not in SEGMENTS:
        raise InvalidInput(problems=[Problem("segment", {"choices": ", ".join(SEGMENTS)})])
    with read_session(engine) as s:
        own = answer_service.load(s, actor, assessment_id)
        if own.round_id is None:
            raise NotFound(object="round", id=assessment_id)
        r, a = member_round(s, actor, own.organisation_id, own.round_id)
        rounds = comparable_rounds(s, r)
        previous = rounds[-2].id if len(rounds) > 1 else None
        subs = load_submissions(s, a.id, [r.id], with_names=False)
        own_row = subs[subs["assessment_id"] == assessment_id]
        answers = load_answers(s, [], extra_assessment=assessment_id)  # the member's own answers only
        view, min_group, status = round_view(r, a.name), a.min_group_size, AssessmentStatus(own.status)
        org = s.get(Organisation, own.organisation_id)
        org_name = org.name if org else ""
    stored = releases.current_release(engine, view.id)
    before = releases.current_release(engine, previous) if previous is not None and stored is not None else None
    q = get_questionnaire(view.questionnaire_id, view.questionnaire_version)
    own_scores, own_segments, own_gaps = _own(q, own_row, answers, assessment_id)
    stats = member_view(stored.statistics if stored else None, own=own_scores, own_segments=own_segments,
                        own_gaps=own_gaps, segment=segment, previous=before.statistics if before else None,
                        typical_error=stored.typical_error if stored else None)
    # The threshold that applied to the release (a later change applies to the next one).
    return MemberComparison(view, assessment_id, status, org_name,
                            stored.statistics.min_group if stored else min_group, stats,
                            stored.entry if stored else None)


def _own(q: Questionnaire, own_row: pd.DataFrame, answers: pd.DataFrame,
         assessment_id: int) -> tuple[dict[str, float | None], dict[str, str | None], list[OwnGap]]:
    """The member's own scores, segment values and gaps (its own data, scored like the round's)."""
    units = ["overall", *(d.id for d in q.dimensions)]
    if own_row.empty:
        return dict.fromkeys(units), dict.fromkeys(SEGMENT_FIELDS), []
    cohort, scores = score_submissions(q, own_row, answers)
    row = scores.loc[assessment_id]
    own_scores = {u: None if pd.isna(row[u]) else float(row[u]) for u in units}
    own_segments = {f: None if row[f] is None or (isinstance(row[f], float) and pd.isna(row[f])) else str(row[f])
                    for f in SEGMENT_FIELDS}
    i = cohort.index.get_loc(assessment_id)
    questions = cohort.frame.questions
    gaps = [OwnGap(str(questions["id"].iloc[j]), str(questions["dimension"].iloc[j]), int(cohort.level[i, j]),
                   float(cohort.target[i, j]), float(np.nan_to_num(cohort.priority[i, j])))
            for j in np.flatnonzero(cohort.band[i] >= 0)]
    return own_scores, own_segments, gaps


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
                       None if st.suppressed else st.peers,
                       {u: d for u, d in st.units.items() if u != "overall"}, st.suppressed, comp.min_group_size,
                       st.released, st.epsilon, st.typical_error)

