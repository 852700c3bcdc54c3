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
    key: str  # the i18n message key: what is wrong (and, in families without fix_key, how to fix it)
    fix_key: str = ""  # the i18n key of how to fix it, when the family keeps the fix apart from the message


def _catalogue() -> dict[str, Code]:
    """Every code any layer may raise, by family (the families' messages live in the i18n catalogs).

    A family is (message prefix, what its problems are about, fix prefix): where the fix prefix is
    given, each code has its "how to fix" text there and the message is "what is wrong" alone."""
    families = (
        ("problem.", "input that breaks a rule (a form field, an answer, a profile)", ""),
        ("excel.problem.", "an uploaded or imported workbook that cannot be used as it is", ""),
        ("questionnaire_problem.", "a questionnaire data file or a mapping between questionnaire versions "
                                   "that breaks a rule of its schema", "questionnaire_fix."),
        ("answers_file_problem.", "an answers file given to `aigov score` that cannot be scored as it is",
         "answers_file_fix."),
        ("state.", "an action refused because of the state of what it acts on (a submitted assessment, a closed "
                   "round, a release the privacy budget cannot pay for)", ""),
    )
    out: dict[str, Code] = {}
    en = catalog("en")
    for prefix, meaning, fix_prefix in families:
        for key in en:
            if key.startswith(prefix) and "." not in key[len(prefix):]:
                code = key[len(prefix):]
                if code in out:  # one code, one meaning: a family may not reuse another's code
                    raise ValueError(f"problem code {code!r} is both {out[code].key} and {key}; rename one")
                fix_key = f"{fix_prefix}{code}" if fix_prefix else ""
                if fix_key and fix_key not in en:
                    raise ValueError(f"problem code {code!r} has no 'how to fix' text {fix_key}")
                out[code] = Code(meaning, key, fix_key)
    return out


@dataclass(frozen=True)
class Place:
    """Where a problem is: whichever of these apply (all empty: the input as a whole)."""

    file: str = ""
    sheet: str = ""
    cell: str = ""
    question: str = ""
    field: str = ""  # the input the problem is about ("level", "note", "region")
    part: str = ""  # the object of a file the problem is in, by its id ("GOV-INS-01", "baseline")
    path: str = ""  # the YAML (or JSON) path in the file: "subdimensions[0].questions[3].crosswalk.tc260[1]"
    line: int | None = None

    def text(self, lang: str) -> tuple[str, str]:
        """(the place, the separator before the message) in ``lang``; ("", "") when there is no place to say."""
        if self.sheet:  # a workbook: "Sheet 答题, cell F14: …"
            where = (t("excel.where.cell", lang, sheet=self.sheet, cell=self.cell) if self.cell
                     else t("excel.where.sheet", lang, sheet=self.sheet))
            return where, t("excel.where.separator", lang)
        if self.file:  # a data file: "[dimensions/GOV.yml, GOV-INS-01, at subdimensions[0].questions[0].levels, line 9] …"
            place = self.file + "".join(t(f"problem_where.{name}", lang, **{name: value})
                                        for name, value in (("part", self.part),
                                                            ("field", "" if self.path else self.field),  # the path has it
                                                            ("path", self.path), ("line", self.line))
                                        if value not in ("", None))
            return t("problem_where.file", lang, place=place), " "
        return "", ""


class Problem(str):
    """One thing wrong: a catalogued ``code``, its ``values`` and its :class:`Place`.

    Its string value is the English text with its place, so it can be printed or joined as it is;
    :meth:`text` gives it in another language. The place's parts are attributes too
    (``problem.field``, ``problem.sheet``, ``problem.cell`` …): callers place a problem by them.
    """

    code: str
    values: dict[str, Any]
    place: Place

    def __new__(cls, code: str, values: Mapping[str, Any] | None = None, *, file: str = "", sheet: str = "",
                cell: str = "", question: str = "", field: str = "", part: str = "", path: str = "",
                line: int | None = None) -> Problem:
        if code not in CATALOGUE:
            raise KeyError(f"problem code {code!r} is not in the catalogue (problems.CATALOGUE)")
        vals = dict(values or {})
        if question:  # the question is part of the place and of the message ("GOV-INS-01: …")
            vals.setdefault("question", question)
        place = Place(file, sheet, cell, question, field, part, path, line)
        self = super().__new__(cls, _located(code, vals, place, "en"))
        self.code, self.values, self.place = code, vals, place
        return self

    def __getattr__(self, name: str) -> Any:  # problem.sheet, problem.field … read the place
        if name in Place.__dataclass_fields__:
            return getattr(self.__dict__["place"], name)
        raise AttributeError(name)

    def __reduce__(self) -> tuple[Any, ...]:  # str subclasses pickle by value; keep the structure
        return (_rebuild, (self.code, self.values, self.place))

    def at(self, *, sheet: str = "", cell: str = "") -> Problem:
        """The same problem placed where the caller met it (a rule of the services in a workbook's cell)."""
        p = self.place
        return Problem(self.code, self.values, file=p.file, sheet=sheet or p.sheet, cell=cell or p.cell,
                       question=p.question, field=p.field, part=p.part, path=p.path, line=p.line)

    def location(self, lang: str = "en") -> str:
        """Where the problem is, in ``lang`` ("" when it is about the input as a whole)."""
        return self.place.text(lang)[0]

    def message(self, lang: str = "en") -> str:
        """What is wrong and how to fix it, in ``lang``, without the place."""
        return _said(self.code, self.values, lang)

    def fix(self, lang: str = "en") -> str:
        """How to fix it alone, for a caller that names the place itself ("" when the message is all there is)."""
        key = CATALOGUE[self.code].fix_key or f"problem_fix.{self.code}"
        return _message(key, self.values, lang) if key in catalog("en") else ""

    def text(self, lang: str = "en") -> str:
        """The place and the message in ``lang``."""
        return _located(self.code, self.values, self.place, lang)


def _rebuild(code: str, values: dict[str, Any], place: Place) -> Problem:
    return Problem(code, values, file=place.file, sheet=place.sheet, cell=place.cell, question=place.question,
                   field=place.field, part=place.part, path=place.path, line=place.line)


def in_language(values: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """A problem's values with each one that can say itself (a quoted :class:`Problem`, an answer or user
    a conflict message quotes: anything with ``text(lang)``) said in ``lang``, not in the English it was made in."""
    return {k: v.text(lang) if callable(getattr(v, "text", None)) else v for k, v in values.items()}


def _message(key: str, values: Mapping[str, Any], lang: str) -> str:
    return t(key, lang, **in_language(values, lang))


def _said(code: str, values: Mapping[str, Any], lang: str) -> str:
    """The message of ``code``, followed by its fix where its family keeps the fix apart."""
    entry = CATALOGUE[code]
    what = _message(entry.key, values, lang)
    if not entry.fix_key:
        return what
    return t("problem_where.with_fix", lang, message=what, fix=_message(entry.fix_key, values, lang))


def _located(code: str, values: Mapping[str, Any], place: Place, lang: str) -> str:
    where, separator = place.text(lang)
    return f"{where}{separator}{_said(code, values, lang)}"


class ServiceError(Exception):
    """An error meant for the user: an i18n message ``key`` and its values.

    The services raise their own kinds (services/errors.py); it is defined here, below every layer, so the
    database layer can raise one as well (``db.engine.DatabaseBusy``) and every page and command that shows
    service errors shows that one too, in the user's language, instead of a traceback.
    """

    key = "errors.generic"

    def __init__(self, message: str = "", **values: Any):
        self.values = values
        super().__init__(message or self.key)


def problem_text(problem: str, lang: str) -> str:
    """A problem in ``lang`` when it is a :class:`Problem`, else as it was written."""
    return problem.text(lang) if isinstance(problem, Problem) else problem


CATALOGUE: dict[str, Code] = _catalogue()
