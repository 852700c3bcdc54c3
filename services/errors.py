"""Errors that services raise for callers to show to users."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from i18n import t


class Problem(str):
    """One thing wrong with the input, "field: what is wrong; how to fix it".

    It is its English text (what the command line prints and logs hold), and it keeps the message
    key ``problem.<code>`` and its values so the app can show it in the user's language.
    """

    code: str
    field: str  # the input the problem is about ("level", "note", …; "" when not one field): place it by this
    values: dict[str, Any]

    def __new__(cls, code: str, *, field: str = "", **values: Any) -> Problem:
        self = super().__new__(cls, t(f"problem.{code}", "en", **values))
        self.code = code
        self.field = field
        self.values = values
        return self

    def text(self, lang: str) -> str:
        return t(f"problem.{self.code}", lang, **self.values)


def problem_text(problem: str, lang: str) -> str:
    """A problem in ``lang`` when it is translatable (a :class:`Problem`), else as it was written."""
    return problem.text(lang) if isinstance(problem, Problem) else problem


class ServiceError(Exception):
    """Base class: a message meant for the user, with an i18n key and values."""

    key = "errors.generic"

    def __init__(self, message: str = "", **values: Any):
        self.values = values
        super().__init__(message or self.key)


class NotFound(ServiceError):
    """The object does not exist *or* the actor may not see it (never tell which)."""

    key = "errors.not_found"


class Forbidden(ServiceError):
    """The actor can see the object but not do this to it (e.g. a respondent deleting)."""

    key = "errors.forbidden"


class InvalidInput(ServiceError):
    """Input that fails validation; ``problems`` lists every problem with its place."""

    key = "errors.invalid"

    def __init__(self, message: str = "", problems: Sequence[str] | None = None, **values: Any):
        self.problems = list(problems or ([message] if message else []))
        super().__init__(message or "; ".join(self.problems), **values)


class StateError(ServiceError):
    """The object is in the wrong state for the action (e.g. editing a submitted assessment)."""

    key = "errors.state"


@dataclass(frozen=True)
class Conflict:
    """A save over an answer that changed since it was shown: the caller shows both and lets the user choose."""

    question_id: str
    their_level: int | None
    their_na: bool
    their_justification: str
    their_note: str
    their_revision: int
    their_author: str | None


class ConflictError(ServiceError):
    key = "errors.conflict"

    def __init__(self, conflict: Conflict):
        self.conflict = conflict
        super().__init__(f"answer {conflict.question_id} changed since it was shown (revision {conflict.their_revision})")
