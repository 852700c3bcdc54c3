"""The capacity benchmark's respondents really speak the app's protocol, and every change they make is stored once.

``python -m perf.capacity`` (run as a program: tests do not import perf/, which itself uses the test
servers, so the two packages do not import each other) starts a real ``streamlit run`` server on
SQLite; its simulated respondents (perf/load_driver.py: Streamlit's websocket messages, no browser)
open the questionnaire's deep link, sign in through the form and change answers; afterwards every
change is read back from the database (its level, one revision and one audit event per change).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_simulated_respondents_sign_in_answer_and_every_change_is_stored_once() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "perf.capacity", "--steps", "2", "--seconds", "8", "--every", "1",
         "--backends", "sqlite", "--before", "none", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    start = proc.stdout.index("[")
    steps, _ = json.JSONDecoder().raw_decode(proc.stdout[start:])
    [step] = steps
    assert step["respondents"] == 2 and step["failed"] == 0, proc.stdout
    assert step["changes"] >= 2  # both respondents signed in and changed answers over the real protocol
    assert step["lost"] == 0 and step["duplicated"] == 0
