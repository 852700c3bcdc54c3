"""Everything the results page shows of one assessment, read in one transaction.

The page used to read the assessment, then again for the workbook's file name, three times for the
readiness section, once each for the action plan and its owners, the gap being turned into an
action, the history and the comparison: twelve transactions, each a chance to show two moments
side by side (a score from before an answer changed beside a readiness level from after it).
:func:`results_page` reads all of it from one snapshot (REPEATABLE READ on PostgreSQL, one read
transaction on SQLite) and computes the rest (scores, readiness, comparison) from what it read, so
the page only formats. The peer comparison of a benchmarking round is the one exception: it is cached
per round release (app_pages/results.py) and read only for an assessment in a round.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from db.engine import snapshot_session
from scoring.readiness import FrameworkReadiness, framework_readiness
from services import answers
from services.access import Actor
from services.actions import ActionView, Owner, actions_of, owners_of
from services.assessments import AssessmentState, assessment_state_in, questionnaire_for
from services.comparison import Comparison, compare_in
from services.exports import summary_name
from services.results import HistoryPoint, history_of


@dataclass(frozen=True)
class ResultsPage:
    state: AssessmentState  # the assessment, its answers and its result
    readiness: tuple[FrameworkReadiness, ...]  # per framework (scoring.readiness), from these answers
    actions: list[ActionView]  # the organisation's action plan, open actions first
    owners: list[Owner]  # who may own an action
    history: list[HistoryPoint]  # the organisation's submitted assessments, oldest first
    comparison: Comparison | None  # against the previous submitted assessment, if any
    summary_filename: str  # of the Excel summary the page offers


def results_page(engine: Engine, actor: Actor, assessment_id: int) -> ResultsPage:
    """What the results page shows of ``assessment_id`` for ``actor`` (NotFound for other tenants'),
    from one read snapshot: seven statements when the organisation has no actions and no earlier
    assessment (tests/test_statement_counts.py)."""
    with snapshot_session(engine) as s:
        a, org, carried = answers.load_for_page(s, actor, assessment_id)
        state = assessment_state_in(s, a, org, carried)
        return ResultsPage(
            state=state,
            readiness=framework_readiness(questionnaire_for(state.view), state.answers, state.result.applicable),
            actions=actions_of(s, org.id),
            owners=owners_of(s, org.id),
            history=history_of(s, org),
            comparison=compare_in(s, actor, a, org, state.answers, state.result),
            summary_filename=summary_name(state.view),
        )
