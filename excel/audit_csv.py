"""The audit history of an assessment's answers as display rows and as a CSV file for spreadsheets.

Presentation only: the changes and the question texts come from :mod:`services.audit`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from excel.cells import csv_text
from i18n import t

if TYPE_CHECKING:
    from services.assessments import AnswerChange

HISTORY_COLUMNS = ("at", "user", "source", "question", "question_text", "old_level", "new_level",
                   "old_justification", "new_justification", "old_note", "new_note")


def _level_text(values: dict[str, Any], lang: str) -> str:
    if values.get("na"):
        return t("members.history.na", lang)
    return "" if values.get("level") is None else str(values["level"])


def history_rows(changes: Iterable[AnswerChange], texts: Mapping[str, str], lang: str) -> list[dict[str, str]]:
    """Changes as display rows (columns :data:`HISTORY_COLUMNS`): who, when (UTC), question, old → new."""
    system = t("members.history.system", lang)
    return [dict(zip(HISTORY_COLUMNS, (
        c.at.strftime("%Y-%m-%d %H:%M:%S"), c.user or system, t(f"members.history.source.{c.source}", lang),
        c.question_id, texts.get(c.question_id, ""), _level_text(c.old, lang), _level_text(c.new, lang),
        c.old.get("justification") or "", c.new.get("justification") or "", c.old.get("note") or "",
        c.new.get("note") or ""), strict=True)) for c in changes]


def history_headers(lang: str) -> dict[str, str]:
    """Column titles of :func:`history_rows` in ``lang``."""
    return {k: t(f"members.history.col.{k}", lang) for k in HISTORY_COLUMNS}


def history_csv(changes: Iterable[AnswerChange], texts: Mapping[str, str], lang: str) -> bytes:
    """The rows of :func:`history_rows` as UTF-8 CSV with a byte-order mark (Excel then reads Chinese).

    Every field, headers included, goes through :func:`excel.cells.csv_text`: no spreadsheet runs any
    part of it as a formula, in comma or semicolon locales.
    """
    headers = history_headers(lang)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(csv_text(h) for h in headers.values())
    for row in history_rows(changes, texts, lang):
        writer.writerow(csv_text(row[k]) for k in HISTORY_COLUMNS)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
