"""The architecture in the README holds: each layer imports only what sits below it.

Read from the source with ``ast`` (nothing is imported), so a new file that crosses a layer fails
here with the file, the line and the rule it broke.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package → top-level modules it must never import at run time (imports under TYPE_CHECKING are fine).
FORBIDDEN = {
    "scoring": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "excel", "cli", "charts", "openpyxl"},
    "questionnaires": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "scoring", "excel", "cli"},
    "charts": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "cli"},
    "excel": {"streamlit", "sqlalchemy", "db", "app_pages", "cli"},
    "db": {"streamlit", "services", "app_pages", "excel", "cli", "scoring", "charts"},
    "services": {"streamlit", "app_pages", "cli"},
    "cli": {"streamlit", "app_pages"},
    "demo": {"streamlit", "app_pages"},
    "i18n": {"streamlit", "sqlalchemy", "db", "services"},
    "app_pages": {"sqlalchemy", "db"},  # pages call services; they never touch the database layer
}


def _runtime_imports(path: Path) -> list[tuple[int, str]]:
    """(line, top-level module) of every import outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(n) for child in node.body for n in ast.walk(child)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_only_what_is_below_it(package: str) -> None:
    broken = [f"{path.relative_to(ROOT)}:{line} imports {module}"
              for path in _files(package) for line, module in _runtime_imports(path)
              if module in FORBIDDEN[package]]
    assert not broken, f"{package}/ must not import {sorted(FORBIDDEN[package])}:\n" + "\n".join(broken)


def test_only_the_app_its_pages_and_the_ui_harnesses_import_streamlit() -> None:
    allowed = {ROOT / "app.py", *_files("app_pages"), *_files("tests"), ROOT / "perf" / "bench_questionnaire_rerun.py"}
    importers = {path for path in ROOT.rglob("*.py")
                 if ".venv" not in path.parts and any(m == "streamlit" for _, m in _runtime_imports(path))}
    assert importers - allowed == set(), sorted(str(p.relative_to(ROOT)) for p in importers - allowed)
    assert ROOT / "app.py" in importers
