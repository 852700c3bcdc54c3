"""Find English left in the Chinese UI: Latin-script words that are not a proper name, an acronym or an id.

The rule a reviewer would apply: upper-case tokens are acronyms or ids (AI, NIST, ISO/IEC, GOV-INS-01,
TC260, N/A) and stay; identifiers with a hyphen, underscore or digit (caict-aigov, ai_roles, org1) are
ids; a word with a lower-case letter is English text unless it is a proper name on the short list
below (products, tools named in the questionnaire, file formats), a file name or path, a command of
the ``aigov`` CLI, a name from the test's own data (``names``), or a unit after a number (5 MB).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

PROPER_PHRASES = ("AI Safety Benchmark", "AI Verify")
PROPER_NAMES = frozenset({
    "Excel", "PostgreSQL", "SQLite", "Streamlit", "Plotly", "OpenDP", "Python", "Chromium", "Debian", "Noto",
    "Ctrl", "Enter", "PyRIT", "Inspect", "Moonshot", "MLCommons", "aigov", "xlsx",
})
COMMAND = re.compile(r"(?<![\w-])aigov(?: [a-z]+){1,2}|(?<![\w-])--?[a-z][a-z-]*")  # a CLI command or a flag
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/+']*")
FILE_OR_PATH = re.compile(r".*\.(md|xlsx|xls|csv|json|yml|yaml|pdf|py|toml)|.*/.*")
IDENTIFIER = re.compile(r".*[-_0-9].*")
UNIT = re.compile(r"MB|KB|GB|px|ms|v\d[\w.]*")


def foreign_words(text: str, names: Iterable[str] = ()) -> list[str]:
    """The words of ``text`` a Chinese reader should not find in a Chinese UI."""
    allowed = PROPER_NAMES | set(names)
    for phrase in (*PROPER_PHRASES, *(n for n in names if " " in n)):
        text = text.replace(phrase, " ")
    text = COMMAND.sub(" ", text)
    found = []
    for m in WORD.finditer(text):
        word = m.group(0).rstrip(".-/'")
        if not word or not any(c.islower() for c in word) or word in allowed:
            continue
        if FILE_OR_PATH.fullmatch(word) or IDENTIFIER.fullmatch(word) or UNIT.fullmatch(word):
            continue
        found.append(word)
    return found
