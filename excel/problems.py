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
