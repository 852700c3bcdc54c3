"""The architecture in the README holds: each layer imports only what sits below it.

Read from the source with ``ast`` (nothing is imported), so a new file that crosses a layer fails
here with the file, the line and the rule it broke. Besides the explicit rules, no two top-level
packages may import each other, directly or through others: a cycle means neither can be read,
tested or changed without the other, so the layers would no longer be layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# package → top-level modules it must never import at run time (imports under TYPE_CHECKING are fine).
FORBIDDEN = {
    "scoring": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "excel", "cli", "charts", "openpyxl"},
    "privacy": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "excel", "cli", "charts", "openpyxl"},
    "benchmarking": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "excel", "cli", "charts", "openpyxl"},
    "questionnaires": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "scoring", "excel", "cli"},
    "charts": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "cli"},
    "excel": {"streamlit", "sqlalchemy", "db", "app_pages", "cli"},
    "reports": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "cli", "plotly"},
    "db": {"streamlit", "services", "app_pages", "excel", "cli", "scoring", "charts"},
    "services": {"streamlit", "app_pages", "cli"},
    "cli": {"streamlit", "app_pages"},
    "demo": {"streamlit", "app_pages"},
    "i18n": {"streamlit", "sqlalchemy", "db", "services", "problems"},
    # the one Problem type sits just above i18n, so every layer may raise it
    "problems": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "excel", "cli", "questionnaires",
                 "scoring", "charts", "demo", "reports", "benchmarking", "privacy", "openpyxl"},
    # the enumerations sit below everything: db builds its CHECK constraints from them, every layer compares with them
    "enums": {"streamlit", "sqlalchemy", "db", "services", "app_pages", "excel", "cli", "questionnaires", "scoring",
              "charts", "demo", "reports", "benchmarking", "privacy", "openpyxl", "i18n", "problems"},
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
    """The files of a package folder, or the one file of a top-level module (``problems.py``)."""
    module = ROOT / f"{package}.py"
    return [module] if module.is_file() else sorted((ROOT / package).rglob("*.py"))


def _top_level_units(root: Path) -> dict[str, list[Path]]:
    """Each top-level package (a folder with Python files) or module of the project → its files."""
    units = {p.stem: [p] for p in root.glob("*.py")}
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        files = sorted(folder.rglob("*.py"))
        if files:
            units[folder.name] = files
    return units


def import_graph(root: Path) -> dict[str, dict[str, list[str]]]:
    """{package: {package it imports at run time: ["file:line", …]}} between the top-level units of ``root``."""
    units = _top_level_units(root)
    graph: dict[str, dict[str, list[str]]] = {name: {} for name in units}
    for name, files in units.items():
        for path in files:
            for line, module in _runtime_imports(path):
                if module in units and module != name:
                    graph[name].setdefault(module, []).append(f"{path.relative_to(root)}:{line}")
    return graph


def import_cycles(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(groups)


def _explain(graph: dict[str, dict[str, list[str]]], group: list[str]) -> str:
    return "\n".join(f"  {a} → {b}: {', '.join(graph[a][b][:4])}{' …' if len(graph[a][b]) > 4 else ''}"
                      for a in group for b in sorted(graph[a]) if b in group)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports_only_what_is_below_it(package: str) -> None:
    broken = [f"{path.relative_to(ROOT)}:{line} imports {module}"
              for path in _files(package) for line, module in _runtime_imports(path)
              if module in FORBIDDEN[package]]
    assert not broken, f"{package}/ must not import {sorted(FORBIDDEN[package])}:\n" + "\n".join(broken)


def test_only_the_app_its_pages_and_the_ui_harnesses_import_streamlit() -> None:
    allowed = {ROOT / "app.py", *_files("app_pages"), *_files("tests"), ROOT / "perf" / "bench_questionnaire_rerun.py",
               ROOT / "perf" / "load_driver.py"}  # the capacity respondents: Streamlit protocol messages only
    importers = {path for path in ROOT.rglob("*.py")
                 if ".venv" not in path.parts and any(m == "streamlit" for _, m in _runtime_imports(path))}
    assert importers - allowed == set(), sorted(str(p.relative_to(ROOT)) for p in importers - allowed)
    assert ROOT / "app.py" in importers


def test_no_import_cycle_between_top_level_packages() -> None:
    graph = import_graph(ROOT)
    cycles = import_cycles(graph)
    assert not cycles, "top-level packages that import each other (move the shared part below both):\n" + \
        "\n\n".join(f"{' ⇄ '.join(group)}\n{_explain(graph, group)}" for group in cycles)


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_the_cycle_check_finds_direct_and_indirect_cycles_but_not_type_only_imports(tmp_path: Path) -> None:
    """The check shows its teeth on a synthetic tree: it must flag what the real tree must never have."""
    _write(tmp_path, {
        "low/__init__.py": "",
        "low/a.py": "import json\nfrom high.b import thing\n",  # low → high, against the layering
        "high/__init__.py": "",
        "high/b.py": "from low import a\n",  # high → low: a direct cycle
        "one/x.py": "import two.y\n",  # one → two → three → one: an indirect cycle
        "two/y.py": "from three import z\n",
        "three/z.py": "def f():\n    import one.x\n",  # a late import inside a function still counts
        "typed/t.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from low import a\n",
        "low/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import typed.t\n",
        "app.py": "import high\n",  # a top-level module is a unit too; nothing imports it here
    })
    graph = import_graph(tmp_path)
    assert import_cycles(graph) == [["high", "low"], ["one", "three", "two"]]
    assert graph["low"]["high"] == ["low/a.py:2"] and graph["app"] == {"high": ["app.py:1"]}
    assert "typed" not in graph["low"] and "low" not in graph["typed"]  # imports for type checkers only
    assert "high ⇄ low" not in _explain(graph, ["high", "low"]) and "low/a.py:2" in _explain(graph, ["high", "low"])

    (tmp_path / "high" / "b.py").write_text("import json\n", encoding="utf-8")  # the cycle broken
    assert import_cycles(import_graph(tmp_path)) == [["one", "three", "two"]]
