"""One answer saved as the questionnaire page saves it, for tests that write answers one at a time."""

from __future__ import annotations

from sqlalchemy import Engine

from enums import AnswerSource
from services.access import Actor
from services.answers import AnswerView
from services.assessments import AnswerInputData, save_answer_and_read


def save_answer(engine: Engine, actor: Actor, assessment_id: int, data: AnswerInputData, *,
                expected_revision: int | None, source: AnswerSource = AnswerSource.UI) -> AnswerView:
    """The page's save (:func:`services.assessments.save_answer_and_read`), returning the saved answer."""
    return save_answer_and_read(engine, actor, assessment_id, data, expected_revision=expected_revision,
                                source=source).answers[data.question_id]
