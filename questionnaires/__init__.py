"""Questionnaire data (YAML, one folder per questionnaire) and its schema and loader."""

from questionnaires.loader import (
    DEFAULT_ID,
    available,
    get_questionnaire,
    latest_version,
    load_questionnaire,
    parse_documents,
    versions,
)
from questionnaires.schema import Questionnaire, QuestionnaireError

__all__ = [
    "DEFAULT_ID",
    "Questionnaire",
    "QuestionnaireError",
    "available",
    "get_questionnaire",
    "latest_version",
    "load_questionnaire",
    "parse_documents",
    "versions",
]
