"""The rule for a valid answer, written once: what the app, imports, the command line and the database all enforce.

An answer is a maturity level 0–5, or "not applicable" (N/A) with a written justification — never
both — plus an optional note; each text at most :data:`MAX_TEXT` characters and free of control
characters (tab, line feed and carriage return allowed). Pure: :func:`answer_problems` returns
(code, field, values) for every broken part, and the callers turn them into their own located
problems (services: the question; Excel: the sheet and cell). The database CHECK constraints on
``answer`` are built from :data:`LEVELS` (:func:`level_check_sql`) as the last guard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

LEVELS = range(0, 6)  # the maturity levels 0..5
MAX_TEXT = 5000  # characters per justification or note
TEXT_FIELDS = ("justification", "note")
# Every code answer_problems can return: the ``problem.<code>`` messages (zh and en) that must exist.
CODES = ("level_and_na", "not_a_level", "na_justification", *(f"{name}_{what}" for name in TEXT_FIELDS
                                                                for what in ("too_long", "control")))
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class AnswerFields:
    """One answer's values as given (the level may be anything a file or a form holds)."""

    level: Any
    na: bool
    justification: str = ""
    note: str = ""


def control_character(value: str | None) -> str | None:
    """The first forbidden control character of ``value`` as ``U+XXXX``, or None when the text is fine."""
    found = _CONTROL.search(value or "")
    return None if found is None else f"U+{ord(found.group()):04X}"


def is_level(value: Any) -> bool:
    """A maturity level: an int 0..5 (a bool is not one, though Python counts it as an int)."""
    return isinstance(value, int) and not isinstance(value, bool) and value in LEVELS


def answer_problems(a: AnswerFields) -> list[tuple[str, str, dict[str, Any]]]:
    """(code, field, values) of every rule the answer breaks, in field order; empty when it is valid.

    The codes are the ``problem.<code>`` messages of the i18n catalogs; the field names the input the
    problem is about, so a caller places it (a widget, a spreadsheet cell) without reading the message.
    """
    out: list[tuple[str, str, dict[str, Any]]] = []
    if a.na and a.level is not None:
        out.append(("level_and_na", "level", {}))
    if a.level is not None and not is_level(a.level):
        out.append(("not_a_level", "level", {"level": repr(a.level)}))
    if a.na and not (a.justification or "").strip():
        out.append(("na_justification", "justification", {}))
    for name, text in (("justification", a.justification), ("note", a.note)):
        if len(text or "") > MAX_TEXT:
            out.append((f"{name}_too_long", name, {"max": MAX_TEXT}))
        if (char := control_character(text)) is not None:
            out.append((f"{name}_control", name, {"char": char}))
    return out


def level_check_sql(column: str = "level") -> str:
    """The database CHECK for the level column, from :data:`LEVELS` (NULL: no level, e.g. N/A)."""
    return f"{column} IS NULL OR ({column} >= {LEVELS.start} AND {column} <= {LEVELS.stop - 1})"


NA_CHECK_SQL = "NOT (is_na AND level IS NOT NULL)"  # the database CHECK for "a level or N/A, never both"
