"""Durability of answer saves when the process writing them is killed with SIGKILL, on both backends.

A child process saves answers as fast as it can and reports each save once ``save_answer`` has
returned (the moment the page shows "saved"). It is killed mid-stream; every reported save is then
in the database with its audit-trail row, the interrupted one is all or nothing, and the database
is intact. The same with the real `streamlit run` process and a browser: tests/e2e/test_crash_safety.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select, text

from db.engine import make_engine, read_session
from db.models import AnswerEvent
from services.access import Actor
from services.assessments import create_assessment, load_answers
from services.organisations import create_organisation

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ("GOV-INS-05", "GOV-INS-02", "GOV-INS-03", "GOV-INS-04", "GOV-CUL-01", "GOV-CUL-02")
PROFILE = {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "ict", "size": "small"}
WRITER = """
import sys
from db.engine import make_engine
from services.access import Actor
from services.assessments import AnswerInputData
from tests.support.answers import save_answer
url, aid, questions = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
engine, seen = make_engine(url), {}
for i in range(100_000):
    qid = questions[i % len(questions)]
    view = save_answer(engine, Actor.system(), aid, AnswerInputData(qid, level=i % 6, note=f"save {i}"),
                       expected_revision=seen.get(qid))
    seen[qid] = view.revision
    print(qid, view.revision, view.level, view.note, flush=True)
"""


def test_saves_confirmed_before_a_kill_9_survive(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    try:
        org = create_organisation(engine, Actor.system(), "断电测试有限公司", PROFILE)
        aid = create_assessment(engine, Actor.system(), org.id).id
        child = subprocess.Popen([sys.executable, "-c", WRITER, any_db_url, str(aid), ",".join(QUESTIONS)],
                                 cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(ROOT)})
        confirmed: dict[str, tuple[int, int, str]] = {}
        try:
            assert child.stdout is not None
            for _ in range(60):
                line = child.stdout.readline()
                assert line, f"the writer stopped early: {child.stderr.read() if child.stderr else ''}"
                qid, saved_revision, saved_level, saved_note = line.rstrip("\n").split(" ", 3)
                confirmed[qid] = (int(saved_revision), int(saved_level), saved_note)
        finally:
            child.send_signal(signal.SIGKILL)  # mid-stream: the next save is in flight
            child.wait(30)
        assert child.returncode == -signal.SIGKILL

        answers = load_answers(engine, Actor.system(), aid)
        assert sum(r for r, _, _ in confirmed.values()) == 60  # revisions count the confirmed saves
        assert sum(answers[q].revision != r for q, (r, _, _) in confirmed.items()) <= 1  # only the one in flight
        for qid, (revision, level, note) in confirmed.items():
            stored = answers[qid]
            # Each confirmed save is there, or (for the one in flight) a later one that fully replaced it.
            assert stored.revision in (revision, revision + 1)
            if stored.revision == revision:
                assert (stored.level, stored.note) == (level, note)
        with read_session(engine) as s:
            events = s.scalar(select(func.count()).select_from(AnswerEvent).where(AnswerEvent.assessment_id == aid))
            # One audit row per stored revision: no answer change without its trail, nor the reverse.
            assert events == sum(a.revision for a in answers.values())
            if engine.dialect.name == "sqlite":
                assert s.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        engine.dispose()
