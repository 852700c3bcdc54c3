"""The offline template's contract, shared by its writer (template.py) and its reader (reader.py).

Sheet names and headings are translated (i18n ``excel.sheet.*`` and ``excel.col.*``) and the
hidden ``_meta`` sheet records the language, so the reader knows which names to expect. Columns
are fixed; the reader checks every heading so that a moved column is reported, never misread.
Changing anything here is a new TEMPLATE_FORMAT_VERSION (docs/excel.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from i18n import LANGUAGES, t
from questionnaires import answer_rule

TEMPLATE_FORMAT = "aigov-questionnaire-template"
TEMPLATE_FORMAT_VERSION = "3"
# Format 1 is format 2 without the organisation-name row; its files are still read (they only cannot
# register a member organisation, which needs the name). Format 2 is format 3 without the base keys
# below (a file of format 1 or 2 is imported like a blank template). Anything else is refused with the fix.
READABLE_FORMAT_VERSIONS = ("1", "2", TEMPLATE_FORMAT_VERSION)
META_SHEET = "_meta"
LISTS_SHEET = "_lists"
NA_TEXT = "N/A"
NA_ALIASES = frozenset({"n/a", "na", "n.a.", "不适用"})
LEVEL_CHOICES: tuple[int | str, ...] = (0, 1, 2, 3, 4, 5, NA_TEXT)

# Answer sheet: one row per question from row 2; letters are fixed.
ANSWER_COLUMNS = ("id", "dimension", "subdimension", "question", "levels", "level", "justification", "note",
                  "applies")
# Profile sheet: the organisation's name (format 2), then one row per single/bool field and one row
# per option of a multi field. The name row is keyed by NAME_ROW in the hidden field-id column.
PROFILE_COLUMNS = ("field_id", "option_id", "field", "value", "help")
NAME_ROW = "_organisation"
MAX_NAME = 200  # characters of an organisation name (services.organisations accepts 1 to 200)
META_KEYS = ("format", "template_format_version", "questionnaire_id", "questionnaire_version", "language",
             "generated_at")
# Format 3: a template pre-filled from a draft records what it was made from, so that importing it back
# can tell an answer changed in the app since the download (services.imports). Absent in blank templates.
BASE_META_KEYS = ("assessment_id", "answer_revisions")
REVISION_ITEM = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]{0,63}):([1-9][0-9]{0,8})")
MAX_ROWS = 2000  # rows read from the answer sheet before the file is refused
MAX_TEXT = answer_rule.MAX_TEXT  # characters per justification or note: the one answer rule's limit


def col(columns: tuple[str, ...], name: str) -> int:
    """1-based column number of ``name``."""
    return columns.index(name) + 1


def letter(columns: tuple[str, ...], name: str) -> str:
    return "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[columns.index(name)]


def sheet_name(kind: str, lang: str) -> str:
    """The visible sheet ``kind`` (instructions, profile, answers) in ``lang``."""
    return t(f"excel.sheet.{kind}", lang)


def heading(name: str, lang: str) -> str:
    return t(f"excel.col.{name}", lang)


def yes_no(lang: str) -> tuple[str, str]:
    return t("excel.template.yes", lang), t("excel.template.no", lang)


def yes_words() -> frozenset[str]:
    return frozenset({"yes", "y", "true", "1", *(yes_no(lang)[0].lower() for lang in LANGUAGES)})


def no_words() -> frozenset[str]:
    return frozenset({"no", "n", "false", "0", *(yes_no(lang)[1].lower() for lang in LANGUAGES)})


@dataclass(frozen=True)
class TemplateBase:
    """The draft a pre-filled template was made from and each stored answer's revision at download.

    A question without a stored answer at download has no entry (revision 0).
    """

    assessment_id: int
    revisions: Mapping[str, int] = field(default_factory=dict)


def encode_revisions(revisions: Mapping[str, int], order: Iterable[str]) -> str:
    """``"GOV-INS-01:3,GOV-INS-02:1"``: the revisions of the ids in ``order`` that have one (> 0)."""
    return ",".join(f"{qid}:{revisions[qid]}" for qid in order if revisions.get(qid, 0) > 0)


class AnswerLike(Protocol):
    """An answer as the workbooks read it (services' AnswerView and excel.reader.TemplateAnswer fit)."""

    @property
    def level(self) -> int | None: ...
    @property
    def na(self) -> bool: ...
    @property
    def justification(self) -> str: ...
    @property
    def note(self) -> str: ...
