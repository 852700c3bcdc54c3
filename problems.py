"""The one kind of problem every layer reports: a catalogued code, its values and where it is.

pyxform's manner: each problem carries its place from the moment it is raised (file, sheet, cell,
question, field, line) and a code from ONE catalogue (:data:`CATALOGUE`), never free text a caller
has to parse. A :class:`Problem` *is* its English text (what the command line prints and logs
hold, so ``"; ".join(problems)`` still reads well) and says itself in any language with
:meth:`Problem.text`; callers place it by :attr:`Problem.field`, :attr:`Problem.sheet`,
:attr:`Problem.cell` …, never by reading the message.

Pure (imports only :mod:`i18n`), so questionnaires/, excel/, services/ and cli/ can all use it
without an import cycle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from i18n import catalog, t

MAX_SHOWN = 60  # characters of a user's value quoted back in a message


def shown(value: Any) -> str:
    """A user's value as quoted in a message (shortened, one line)."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


@dataclass(frozen=True)
class Code:
    """One entry of the catalogue: what the problem means and the i18n message (with its fix) that says it."""

    meaning: str
    key: str  # the i18n message key; its zh and en texts both say what is wrong and how to fix it


def _catalogue() -> dict[str, Code]:
    """Every code any layer may raise, by family (the families' messages live in the i18n catalogs)."""
    families = {
        "problem.": "input a service refused (a form field, an answer, a profile value)",
        "excel.problem.": "an uploaded or imported workbook that cannot be used as it is",
    }
    out: dict[str, Code] = {}
    for prefix, meaning in families.items():
        for key in catalog("en"):
            if key.startswith(prefix) and "." not in key[len(prefix):]:
                code = key[len(prefix):]
                if code in out:  # one code, one meaning: a family may not reuse another's code
                    raise ValueError(f"problem code {code!r} is both {out[code].key} and {key}; rename one")
                out[code] = Code(meaning, key)
    return out


class Problem(str):
    """One thing wrong: a catalogued ``code``, its ``values`` and where it is.

    Its string value is the English text with its place ("Sheet 答题, cell F14: …"), so it can be
    printed or joined as it is; :meth:`text` gives it in another language.
    """

    code: str
    values: dict[str, Any]
    file: str
    sheet: str
    cell: str
    question: str
    field: str  # the input the problem is about ("level", "note", "region"; "" when not one field)
    line: int | None

    def __new__(cls, code: str, values: Mapping[str, Any] | None = None, *, file: str = "", sheet: str = "",
                cell: str = "", question: str = "", field: str = "", line: int | None = None) -> Problem:
        if code not in CATALOGUE:
            raise KeyError(f"problem code {code!r} is not in the catalogue (problems.CATALOGUE)")
        vals = dict(values or {})
        if question:  # the question is part of the place and of the message ("GOV-INS-01: …")
            vals.setdefault("question", question)
        self = super().__new__(cls, _located(CATALOGUE[code].key, vals, file, sheet, cell, line, "en"))
        self.code, self.values = code, vals
        self.file, self.sheet, self.cell, self.question, self.field, self.line = file, sheet, cell, question, field, line
        return self

    def __reduce__(self) -> tuple[Any, ...]:  # str subclasses pickle by value; keep the structure
        return (_rebuild, (self.code, self.values, self.file, self.sheet, self.cell, self.question, self.field,
                           self.line))

    def at(self, *, file: str = "", sheet: str = "", cell: str = "", line: int | None = None) -> Problem:
        """The same problem placed where the caller found it (a rule of the services met in a workbook's cell)."""
        return Problem(self.code, self.values, file=file or self.file, sheet=sheet or self.sheet,
                       cell=cell or self.cell, question=self.question, field=self.field,
                       line=line if line is not None else self.line)

    def location(self, lang: str = "en") -> str:
        """Where the problem is, in ``lang`` ("" when it is about the input as a whole)."""
        return _where(self.file, self.sheet, self.cell, self.line, lang)

    def message(self, lang: str = "en") -> str:
        """What is wrong and how to fix it, in ``lang``, without the place."""
        return _message(CATALOGUE[self.code].key, self.values, lang)

    def fix(self, lang: str = "en") -> str:
        """How to fix it alone, for a caller that names the place itself ("" when the message is all there is)."""
        key = f"problem_fix.{self.code}"
        return _message(key, self.values, lang) if key in catalog("en") else ""

    def text(self, lang: str = "en") -> str:
        """The place and the message in ``lang``."""
        return _located(CATALOGUE[self.code].key, self.values, self.file, self.sheet, self.cell, self.line, lang)


def _rebuild(code: str, values: dict[str, Any], file: str, sheet: str, cell: str, question: str, field: str,
             line: int | None) -> Problem:
    return Problem(code, values, file=file, sheet=sheet, cell=cell, question=question, field=field, line=line)


def _message(key: str, values: Mapping[str, Any], lang: str) -> str:
    # A value that is itself a problem is shown in this language, not in the English it was made in.
    return t(key, lang, **{k: v.text(lang) if isinstance(v, Problem) else v for k, v in values.items()})


def _where(file: str, sheet: str, cell: str, line: int | None, lang: str) -> str:
    if sheet and cell:
        return t("excel.where.cell", lang, sheet=sheet, cell=cell)
    if sheet:
        return t("excel.where.sheet", lang, sheet=sheet)
    if file and line is not None:
        return t("problem_where.line", lang, file=file, line=line)
    if file:
        return t("problem_where.file", lang, file=file)
    return ""


def _located(key: str, values: Mapping[str, Any], file: str, sheet: str, cell: str, line: int | None,
             lang: str) -> str:
    where, message = _where(file, sheet, cell, line, lang), _message(key, values, lang)
    return f"{where}{t('excel.where.separator', lang)}{message}" if where else message


def problem_text(problem: str, lang: str) -> str:
    """A problem in ``lang`` when it is a :class:`Problem`, else as it was written."""
    return problem.text(lang) if isinstance(problem, Problem) else problem


CATALOGUE: dict[str, Code] = _catalogue()
