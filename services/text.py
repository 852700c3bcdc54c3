"""Free text that every supported database can store.

PostgreSQL refuses the NUL character in text, and other C0 control characters are invisible
garbage in a name or a note (often pasted from another program, or `_x0000_` escapes in an Excel
cell). They are refused where text enters, so a SQLite installation never holds text that a
backup could not restore on PostgreSQL. Tab, line feed and carriage return stay allowed.
"""

from __future__ import annotations

from questionnaires.answer_rule import control_character
from services.errors import InvalidInput, Problem

__all__ = ["MAX_NAME", "clean_name", "clean_text", "control_character", "without_control"]


MAX_NAME = 200


def clean_name(name: str | None, *, problem: str = "name_length") -> str:
    """A display name (organisation, association, round) stripped and checked: 1 to 200 characters, no
    control character; else InvalidInput with ``problem`` (the message code for a missing or long name)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(problems=[Problem(problem)])
    if (char := control_character(name)) is not None:
        raise InvalidInput(problems=[Problem("name_control", {"char": char})])
    return name


def clean_text(text: str | None, *, problem: str, max_length: int) -> str:
    """Optional free text (an assessment title, a display name, a description) stripped and checked: no
    control character, else InvalidInput with ``problem`` (its ``{char}``, as ``U+XXXX``); cut to
    ``max_length`` characters, as the database column holds."""
    text = (text or "").strip()
    if (char := control_character(text)) is not None:
        raise InvalidInput(problems=[Problem(problem, {"char": char})])
    return text[:max_length]


def without_control(text: str | None) -> str:
    """``text`` with control characters removed, for values from another system that nobody can retype
    (e.g. the name a single-sign-on provider sends)."""
    return "".join(c for c in text or "" if control_character(c) is None)
