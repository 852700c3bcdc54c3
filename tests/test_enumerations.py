"""Statuses, roles, sharing modes and answer sources are enumerations whose stored values never change.

The enumerations live in the pure module enums.py, which every layer imports. The database stores
their values as text and checks them with CHECK constraints built from them (db/models.py). Changing a value would need a data migration, so the values
are pinned here, and the constraints the migrations created must say exactly what the models say.
"""

from __future__ import annotations

import ast
import re
from enum import StrEnum
from pathlib import Path

import pytest

from db.models import one_of
from enums import (
    ActionStatus,
    AnswerSource,
    AssessmentForm,
    AssessmentStatus,
    OrgRole,
    ReleaseKind,
    RoundStatus,
    Sharing,
)

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "db/migrations/versions").glob("*.py")))

STORED = [
    (OrgRole, ["org_admin", "respondent"]),
    (AssessmentStatus, ["draft", "submitted"]),
    (AssessmentForm, ["full", "core"]),
    (Sharing, ["anonymous", "identified"]),
    (RoundStatus, ["open", "closed"]),
    (AnswerSource, ["ui", "import", "cli", "demo", "restore", "carried", "confirmed"]),
    (ActionStatus, ["planned", "in_progress", "done", "dropped"]),
    (ReleaseKind, ["interim", "final"]),
]


@pytest.mark.parametrize(("enumeration", "values"), STORED, ids=[e.__name__ for e, _ in STORED])
def test_stored_values_are_unchanged(enumeration: type[StrEnum], values: list[str]) -> None:
    assert [member.value for member in enumeration] == values
    assert all(member == value for member, value in zip(enumeration, values, strict=True))  # compares as text


@pytest.mark.parametrize(("column", "enumeration", "nullable"), [
    ("role", OrgRole, False), ("status", RoundStatus, False), ("status", AssessmentStatus, False),
    ("form", AssessmentForm, False), ("sharing", Sharing, True), ("status", ActionStatus, False),
    ("kind", ReleaseKind, False),
])
def test_the_migrations_check_what_the_models_check(column: str, enumeration: type[StrEnum], nullable: bool) -> None:
    condition = one_of(column, enumeration, nullable=nullable)
    assert f'sa.CheckConstraint("{condition}"' in MIGRATIONS


def test_one_of_builds_the_condition_the_database_checks() -> None:
    assert one_of("sharing", Sharing, nullable=True) == "sharing IS NULL OR sharing IN ('anonymous', 'identified')"
    assert re.fullmatch(r"role IN \('org_admin', 'respondent'\)", one_of("role", OrgRole))


ENUMERATIONS = [e for e, _ in STORED]
# The columns (and fields named after them) that hold an enumeration's values.
HOLDERS = re.compile(r"\b(status|form|sharing|role|source|kind)\b|_status\b")
PRODUCT = ["app.py", "app_pages", "benchmarking", "charts", "cli", "db", "demo", "excel", "privacy", "questionnaires",
           "reports", "scoring", "services"]


def _literal_comparisons(path: Path, root: Path = ROOT) -> list[str]:
    """``x.status == "draft"``, ``form in ("full", "core")``: a stored value written as text beside its holder."""
    stored = {m.value for e in ENUMERATIONS for m in e}
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        texts = [c.value for side in sides for c in ([side] if isinstance(side, ast.Constant) else
                 side.elts if isinstance(side, ast.Tuple | ast.List | ast.Set) else [])
                 if isinstance(c, ast.Constant) and isinstance(c.value, str)]
        if any(t in stored for t in texts) and any(HOLDERS.search(ast.unparse(side)) for side in sides):
            found.append(f"{path.relative_to(root)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_code_compares_with_the_members_not_with_their_text() -> None:
    """A typo in a literal (``"submited"``) compares False forever; a misspelt member fails at import."""
    files = [p for name in PRODUCT for p in ([ROOT / name] if name.endswith(".py") else sorted((ROOT / name).rglob("*.py")))
             if "migrations" not in p.parts]
    found = [hit for path in files for hit in _literal_comparisons(path)]
    assert not found, "compare with the enumeration member (enums.py):\n" + "\n".join(found)


def test_the_check_finds_a_literal_comparison(tmp_path: Path) -> None:
    """The scan above has teeth: it flags the shapes it is meant to flag, and not other strings."""
    weak = tmp_path / "weak.py"
    weak.write_text('if a.status == "draft": pass\nok = form in ("full", "core")\nname = x.title == "draft"\n',
                    encoding="utf-8")
    hits = [h.split(": ", 1)[1] for h in _literal_comparisons(weak, tmp_path)]
    assert hits == ["a.status == 'draft'", "form in ('full', 'core')"]


def test_the_enumerations_module_imports_nothing_of_the_project() -> None:
    """enums.py sits below every layer (db, scoring, services, pages all import it)."""
    tree = ast.parse((ROOT / "enums.py").read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "enum"}
