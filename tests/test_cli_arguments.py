"""Command-line arguments people type: ids of any size and a closed pipe end in one clear line, never a
traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from cli.main import build_parser, main


def _id_arguments(parser: argparse.ArgumentParser, path: str = "aigov") -> list[tuple[str, argparse.Action]]:
    """Every argument of every sub-command whose metavar names an id (ID, ROUND_ID, ORG_ID, …)."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _id_arguments(sub, f"{path} {name}")
        elif isinstance(action.metavar, str) and action.metavar.endswith("ID"):
            found.append((path, action))
    return found


def test_every_id_argument_is_read_by_the_one_id_parser() -> None:
    """An id typed as int() would pass 99999999999999999999 to the database driver, which fails with an
    OverflowError traceback; the shared parser makes it "not found"."""
    # Questionnaire and question ids are text codes (caict-aigov, GOV-INS-05), not database ids.
    ids = [(path, a) for path, a in _id_arguments(build_parser()) if a.dest not in {"questionnaire", "question"}]
    assert len(ids) >= 30
    wrong = [(path, a.dest) for path, a in ids if not getattr(a.type, "__name__", "").endswith("_id")]
    assert wrong == []


@pytest.mark.parametrize("argv", [
    ["report", "--assessment", "99999999999999999999", "--out", "r.pdf"],
    ["report", "--round", "99999999999999999999", "--out", "r.pdf"],
    ["round", "publish", "99999999999999999999"],
    ["round", "ledger", "99999999999999999999"],
    ["association", "epsilon", "99999999999999999999", "2"],
])
def test_a_huge_id_is_not_found_in_one_line(argv: list[str], app_db: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "not found" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_closed_pipe_stops_quietly() -> None:
    """`aigov questionnaire show --json | head -1` (far more than a pipe holds): the reader leaves after one line; aigov stops without a traceback."""
    with subprocess.Popen([sys.executable, "-m", "cli", "questionnaire", "show", "--json"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        assert proc.stdout.readline()
        proc.stdout.close()
        err = proc.stderr.read().decode()
        proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipeError" not in err
