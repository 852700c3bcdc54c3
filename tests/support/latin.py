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
from pathlib import Path

from sqlalchemy import Engine, select

from db.models import Answer, Assessment, Association, BenchmarkRound, Organisation, User

PROPER_PHRASES = ("AI Safety Benchmark", "AI Verify")
PROPER_NAMES = frozenset({
    "Excel", "PostgreSQL", "SQLite", "Streamlit", "Plotly", "OpenDP", "Python", "Chromium", "Debian", "Noto",
    "Ctrl", "Enter", "PyRIT", "Inspect", "Moonshot", "MLCommons", "aigov", "xlsx",
})
COMMAND = re.compile(r"\bArt\. \d+(?:\(\d+\))?|(?<![\w-])aigov(?: [a-z]+){1,2}|(?<![\w-])--?[a-z][a-z-]*")  # an EU AI Act article id, a CLI command or a flag
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/']*")
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S*")
FILE_OR_PATH = re.compile(r".*\.(md|xlsx|xls|csv|json|yml|yaml|pdf|py|toml)|.*/.*")
IDENTIFIER = re.compile(r".*[-_0-9].*")
UNIT = re.compile(r"MB|KB|GB|px|ms|v\d[\w.]*")


def foreign_words(text: str, names: Iterable[str] = ()) -> list[str]:
    """The words of ``text`` a Chinese reader should not find in a Chinese UI."""
    allowed = PROPER_NAMES | set(names)
    text = URL.sub(" ", re.sub(r"\s+", " ", text))
    names = [re.sub(r"\s+", " ", n) for n in names]
    # Longest first: a name inside another (an assessment titled after part of a round's name) must not cut it.
    for phrase in sorted((*PROPER_PHRASES, *(n for n in names if " " in n)), key=len, reverse=True):
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


def typed_texts(engine: Engine) -> list[str]:
    """What people typed or are called in a database: theirs, in whatever language they chose, so a
    scan does not judge it (answers' notes and reasons, user, organisation, association, round and
    assessment names)."""
    columns = (Answer.justification, Answer.note, User.username, User.display_name, Organisation.name,
               Association.name, BenchmarkRound.name, Assessment.title)
    with engine.connect() as c:
        return sorted({v for col in columns for v in c.execute(select(col)).scalars() if v})


def framework_titles() -> list[str]:
    """Titles of the external frameworks' items (NIST AI RMF, ISO/IEC 42001, EU AI Act), quoted in their
    own language in the framework-readiness view: citations of another standard, like proper names."""
    import yaml

    data = yaml.safe_load((Path(__file__).resolve().parents[2] / "questionnaires" / "frameworks.yml").read_text())
    titles = []
    for scheme in data.values():
        if isinstance(scheme, dict):
            titles += [i["title"] for i in scheme.get("items") or [] if isinstance(i, dict) and i.get("title")]
            titles += [a["title"] for a in (scheme.get("articles") or {}).values() if isinstance(a, dict)]
    return titles
