"""Everything the installed ``aigov`` command imports is part of the installed distribution.

Tests put the repository on ``sys.path`` (pytest's ``pythonpath``), so a module missing from
pyproject's package list passes every other test and only fails for a user, when ``make run``
calls the installed ``aigov`` from ``.venv/bin`` (where the repository is not on the path).
"""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run from the repository only (Streamlit scripts, the performance suite, the tests): never installed.
NOT_INSTALLED = {"app", "app_pages", "perf", "tests"}


def _top_level_modules() -> set[str]:
    names = {p.stem for p in ROOT.glob("*.py")}
    names |= {p.parent.name for p in ROOT.glob("*/__init__.py")}
    return names - NOT_INSTALLED


def test_every_top_level_module_is_in_the_distribution() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    patterns = config["packages"]["find"]["include"]
    modules = set(config.get("py-modules", []))
    missing = [m for m in sorted(_top_level_modules())
               if m not in modules and not any(fnmatch.fnmatch(m, p) for p in patterns)]
    assert not missing, f"add to pyproject.toml [tool.setuptools] (packages.find include or py-modules): {missing}"


def test_the_installed_command_runs_outside_the_repository(tmp_path: Path) -> None:
    """``aigov`` as a user runs it: from another folder, so only installed modules can be imported."""
    aigov = Path(sys.executable).with_name("aigov")
    done = subprocess.run([str(aigov), "questionnaire", "validate"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "OK" in done.stdout
