"""Free text that every supported database can store.

PostgreSQL refuses the NUL character in text, and other C0 control characters are invisible
garbage in a name or a note (often pasted from another program, or `_x0000_` escapes in an Excel
cell). They are refused where text enters, so a SQLite installation never holds text that a
backup could not restore on PostgreSQL. Tab, line feed and carriage return stay allowed.
"""

from __future__ import annotations

from questionnaires.answer_rule import control_character
from services.errors import InvalidInput, Problem

__all__ = ["MAX_NAME", "clean_name", "control_character"]


MAX_NAME = 200


def clean_name(name: str | None, *, problem: str = "name_length") -> str:
    """A display name (organisation, association, round) stripped and checked: 1 to 200 characters, no
    control character; else InvalidInput with ``problem`` (the message code for a missing or long name)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(problems=[Problem(problem)])
    if (char := control_character(name)) is not None:
        raise InvalidInput(problems=[Problem("name_control", char=char)])
    return name
