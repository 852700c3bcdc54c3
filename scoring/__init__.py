"""Scoring: the documented maturity method (docs/scoring.md), for one assessment or a whole cohort.

Pure: questionnaire, profiles and answers in, result objects out; no database, no UI.
"""

from scoring.engine import CohortScores, level_of, score_assessment, score_cohort
from scoring.frame import QuestionFrame, question_frame
from scoring.types import AnswerInput, AssessmentResult, GapRow, UnitScore, WhyItem

__all__ = [
    "AnswerInput",
    "AssessmentResult",
    "CohortScores",
    "GapRow",
    "QuestionFrame",
    "UnitScore",
    "WhyItem",
    "level_of",
    "question_frame",
    "score_assessment",
    "score_cohort",
]
