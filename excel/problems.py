"""Located, translatable problems with an uploaded workbook, in pyxform's manner: place → rule → fix.

A problem names the sheet and cell when it has one ("Sheet 答题, cell F14: 7 is not a level;
use 0–5 or N/A"); its text comes from the ``excel.problem.*`` messages of the i18n catalog so the
app can show it in the user's language and the command line in English.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from i18n import t

MAX_SHOWN = 60  # characters of a user's value quoted back in a message


def shown(value: Any) -> str:
    """A user's cell value as quoted in a message (shortened, one line)."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


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


@dataclass(frozen=True)
class Problem:
    code: str  # message key excel.problem.<code>
    sheet: str = ""
    cell: str = ""
    values: dict[str, Any] = field(default_factory=dict)

    def location(self, lang: str = "en") -> str:
        if self.sheet and self.cell:
            return t("excel.where.cell", lang, sheet=self.sheet, cell=self.cell)
        if self.sheet:
            return t("excel.where.sheet", lang, sheet=self.sheet)
        return ""

    def message(self, lang: str = "en") -> str:
        # A value that can say itself in a language (a services.errors.Problem a rule of the services
        # produced, quoted by ``answer_rule``) is shown in this one, not in the English it was made in.
        values = {k: v.text(lang) if callable(getattr(v, "text", None)) else v for k, v in self.values.items()}
        return t(f"excel.problem.{self.code}", lang, **values)

    def text(self, lang: str = "en") -> str:
        where = self.location(lang)
        return f"{where}{t('excel.where.separator', lang)}{self.message(lang)}" if where else self.message(lang)

    def __str__(self) -> str:
        return self.text("en")


class WorkbookRejected(ValueError):
    """The workbook cannot be used; ``problems`` lists every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
