"""What the questionnaire shows beside the answers: done actions and evidence, per question.

Read inside the transaction that reads (or saves) the assessment's answers
(services.assessments.assessment_state and save_answer_and_read, both access-checked for the
signed-in user), so a questionnaire page run and an answer change each read them with the answers
from one snapshot, at no extra transaction (tests/test_statement_counts.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from services.actions import ActionView, AssessmentLike, done_since
from services.evidence import EvidenceView, evidence_of


@dataclass(frozen=True)
class QuestionExtras:
    done_since: dict[str, list[ActionView]]  # question id → actions completed since the previous assessment
    evidence: dict[str, list[EvidenceView]]  # question id → evidence files, oldest first


def question_extras(s: Session, a: AssessmentLike) -> QuestionExtras:
    """The extras of ``a``, read in the caller's session, which checked that its actor may read ``a``.

    Who may see them is who may read the assessment: an actor who may read its organisation (the
    same rule as services.actions.list_actions and services.evidence.list_evidence). Two statements
    when no action was done since the previous assessment, four otherwise.
    """
    return QuestionExtras(done_since(s, a), evidence_of(s, a.id))
