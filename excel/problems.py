"""Located, translatable problems with an uploaded workbook, in pyxform's manner: place → rule → fix.

A problem names the sheet and cell when it has one ("Sheet 答题, cell F14: 7 is not a level;
use 0–5 or N/A"); it is the one :class:`problems.Problem` of every layer, its code from the one
catalogue (here the ``excel.problem.*`` messages of the i18n catalog), so the app can show it in the
user's language and the command line in English. What a conflict message quotes (an answer, who
changed it) says itself in the message's language too.
"""

from __future__ import annotations

from dataclasses import dataclass

from i18n import t
from problems import MAX_SHOWN, Problem, shown

__all__ = ["MAX_SHOWN", "Problem", "ShownAnswer", "ShownUser", "WorkbookRejected", "shown"]


@dataclass(frozen=True)
class ShownAnswer:
    """An answer's values as a conflict message quotes them, in the message's language."""

    values: tuple[int | None, bool, str, str]  # level, N/A, justification, note (as stored)

    def text(self, lang: str) -> str:
        level, na, justification, note = self.values
        if level is None and not (na or justification or note):
            return t("excel.answer.blank", lang)
        parts = [t("excel.answer.na", lang) if na else
                 t("excel.answer.level", lang, level=level) if level is not None else t("excel.answer.no_level", lang)]
        if justification:
            parts.append(t("excel.answer.justification", lang, text=shown(justification)))
        if note:
            parts.append(t("excel.answer.note", lang, text=shown(note)))
        return t("excel.answer.separator", lang).join(parts)


@dataclass(frozen=True)
class ShownUser:
    """Who last changed a stored answer, as a conflict message names them (None: the system operator)."""

    name: str | None

    def text(self, lang: str) -> str:
        return self.name or t("excel.answer.system", lang)


class WorkbookRejected(ValueError):
    """The workbook cannot be used; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(problems))
