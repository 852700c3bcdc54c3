"""Errors that services raise for callers to show to users (their problems: :class:`problems.Problem`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from db.engine import DatabaseBusy
from problems import CATALOGUE, Problem, ServiceError, problem_text

__all__ = ["Conflict", "ConflictError", "DatabaseBusy", "Forbidden", "InvalidInput", "NotFound", "Problem",
           "ServiceError", "StateError", "problem_text"]


class NotFound(ServiceError):
    """The object does not exist *or* the actor may not see it (never tell which)."""

    key = "errors.not_found"


class Forbidden(ServiceError):
    """The actor can see the object but not do this to it (e.g. a respondent deleting)."""

    key = "errors.forbidden"


class InvalidInput(ServiceError):
    """Input that fails validation; ``problems`` lists every problem with its place."""

    key = "errors.invalid"

    def __init__(self, message: str = "", problems: Sequence[Problem] | None = None, **values: Any):
        self.problems = list(problems or ())
        super().__init__(message or "; ".join(self.problems), **values)


class StateError(ServiceError):
    """The object is in the wrong state for the action (e.g. editing a submitted assessment).

    Raised with a ``reason``, a catalogued code of the "state" family (``problems.CATALOGUE``), so pages and
    the command line say *which* state refuses the action in the user's language — "round #3 is closed",
    not a generic refusal — and nobody parses the message. Subclasses for one situation (the last
    administrator, a closed round on reopen …) name their own message ``key`` instead.
    """

    key = "errors.state"

    def __init__(self, message: str = "", *, reason: str = "", **values: Any):
        self.problem = Problem(reason, values) if reason else None
        if self.problem is not None:
            self.key = CATALOGUE[reason].key
        super().__init__(message or (str(self.problem) if self.problem is not None else ""), **values)


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
