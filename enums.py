"""The enumerations of the domain: roles, statuses, forms, sharing modes and answer sources.

Pure (imports nothing of the project), so every layer names these values the same way: the
database stores them as text and checks them (db/models.py builds its CHECK constraints from
these classes), scoring/, benchmarking/, excel/, reports/, services/, cli/ and the pages compare
with the members, never with string literals. They are :class:`~enum.StrEnum`, so a member
equals its stored text, is its own text when written to a workbook, JSON or a log, and a value
read back from the database compares equal to the member. The stored values never change
(tests/test_enumerations.py pins them): a change would need a data migration.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ActionStatus", "AnswerSource", "AssessmentForm", "AssessmentStatus", "OrgRole", "ReleaseKind",
           "RoundStatus", "Sharing"]


class OrgRole(StrEnum):
    """A user's role in one organisation (a membership or an invitation)."""

    ORG_ADMIN = "org_admin"
    RESPONDENT = "respondent"


class AssessmentStatus(StrEnum):
    DRAFT = "draft"  # answers may change
    SUBMITTED = "submitted"  # a record: reopened (by an organisation administrator) before any change


class AssessmentForm(StrEnum):
    FULL = "full"
    CORE = "core"  # the short form: the questionnaire's core questions only


class Sharing(StrEnum):
    """How a round assessment is shown to the association (docs/benchmarking.md)."""

    ANONYMOUS = "anonymous"
    IDENTIFIED = "identified"


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class ReleaseKind(StrEnum):
    """A published release of a round's statistics: while the round is open, or its last one at closing."""

    INTERIM = "interim"
    FINAL = "final"


class AnswerSource(StrEnum):
    """The channel an answer change came through (the audit trail's ``source``)."""

    UI = "ui"
    IMPORT = "import"
    CLI = "cli"
    DEMO = "demo"
    RESTORE = "restore"
    CARRIED = "carried"  # copied from the assessment on an older questionnaire version, to be confirmed
    CONFIRMED = "confirmed"  # a carried answer the user confirmed as it is


class ActionStatus(StrEnum):
    """Where an improvement action of the action plan stands."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"  # with a reason

    @property
    def is_open(self) -> bool:
        """Still to be done (planned or under way): what the plan and the gap list count as open."""
        return self in (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)
