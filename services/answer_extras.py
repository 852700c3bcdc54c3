"""What the questionnaire shows beside the answers, read in one transaction: done actions and evidence.

The questionnaire page reads its assessment once per run (services.assessments.assessment_state,
access-checked for the signed-in user); :func:`question_extras` takes that view and adds, in one
more read, the organisation's actions completed since the previous assessment and the answers'
evidence files, so the page stays within its statement budget (tests/test_statement_counts.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from db.engine import read_session
from services.actions import ActionView, done_since
from services.assessments import AssessmentView
from services.evidence import EvidenceView, evidence_of


@dataclass(frozen=True)
class QuestionExtras:
    done_since: dict[str, list[ActionView]]  # question id → actions completed since the previous assessment
    evidence: dict[str, list[EvidenceView]]  # question id → evidence files, oldest first


def question_extras(engine: Engine, view: AssessmentView) -> QuestionExtras:
    """Extras of an assessment whose ``view`` came from an access-checked read in this request."""
    with read_session(engine) as s:
        return QuestionExtras(done_since(s, view), evidence_of(s, view.id))
