"""Questionnaire data (YAML, one folder per questionnaire) and its schema and loader."""

from questionnaires.loader import (
    DEFAULT_ID,
    available,
    get_questionnaire,
    load_questionnaire,
    parse_documents,
)
from questionnaires.schema import Problem, Questionnaire, QuestionnaireError

__all__ = [
    "DEFAULT_ID",
    "Problem",
    "Questionnaire",
    "QuestionnaireError",
    "available",
    "get_questionnaire",
    "load_questionnaire",
    "parse_documents",
]
