"""`aigov assessment carry|carried|confirm` on the demo data, on SQLite and PostgreSQL.

The expected answers and flags are computed here from the mapping file (YAML read directly) and the stored
1.0.0 answers (rows read directly), never by the code under test. Every refusal leaves the database as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, func, select

from db.engine import make_engine, read_session, write_session
from db.models import Answer, AnswerEvent, Assessment, EventLog, Organisation
from demo.seed import DEMO_ORG_NAME, seed_demo
from services.access import Actor
from services.assessments import carry_forward, carry_report, submit
from tests.support.cli import run_cli

MAPPING = Path(__file__).resolve().parents[1] / "questionnaires" / "caict-aigov" / "migrations" / "1.0.0-1.1.0.yml"
TABLES = (Assessment, Answer, AnswerEvent, EventLog)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def demo_engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The seeded demo on each backend, with DATABASE_URL pointing `aigov` at it."""
    if request.param == "sqlite":
        url = request.getfixturevalue("demo_db_url")
        engine = make_engine(url)
    else:
        url = request.getfixturevalue("pg_url")
        engine = make_engine(url)
        seed_demo(engine)
    monkeypatch.setenv("DATABASE_URL", url)
    yield engine
    engine.dispose()


def _demo(engine: Engine) -> tuple[int, int, int, int]:
    """(org1's organisation, its 1.0.0 assessment, its 1.1.0 assessment, another member's 1.0.0 assessment)."""
    with read_session(engine) as s:
        org = s.scalars(select(Organisation).where(Organisation.name == DEMO_ORG_NAME)).one()
        mine = {a.questionnaire_version: a.id for a in s.scalars(select(Assessment).where(
            Assessment.organisation_id == org.id))}
        other = s.scalars(select(Assessment.id).where(Assessment.organisation_id != org.id,
                                                      Assessment.questionnaire_version == "1.0.0")).first()
        assert other is not None
        return org.id, mine["1.0.0"], mine["1.1.0"], other


def _rows(engine: Engine, assessment_id: int) -> dict[str, tuple[int | None, bool, str, str]]:
    with read_session(engine) as s:
        return {r.question_id: (r.level, bool(r.is_na), r.justification or "", r.note or "")
                for r in s.scalars(select(Answer).where(Answer.assessment_id == assessment_id))}


def _counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {t.__tablename__: s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def _expected(old: dict[str, tuple[int | None, bool, str, str]]) -> tuple[dict[str, tuple[int | None, bool]],
                                                                          set[str], set[str], set[str]]:
    """From the mapping file: (answers of the new assessment, flagged to confirm, dropped, new questions)."""
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    answers: dict[str, tuple[int | None, bool]] = {}
    confirm: set[str] = set()
    dropped: set[str] = set()
    new: set[str] = set()
    for step in doc["steps"]:
        given = [old[i] for i in step.get("from", []) if i in old and (old[i][0] is not None or old[i][1])]
        if step["kind"] == "new":
            new.update(step["to"])
        elif step["kind"] == "removed":
            dropped.update(i for i in step["from"] if i in old)
        elif step["kind"] == "merged" and len(given) == len(step["from"]):
            levels = [g[0] for g in given if not g[1] and g[0] is not None]
            answers[step["to"][0]] = (min(levels), False) if levels else (None, True)
            confirm.add(step["to"][0])
        elif step["kind"] != "merged" and given:
            for qid in step["to"]:
                answers[qid] = (given[0][0], given[0][1])
                if step["kind"] != "same":
                    confirm.add(qid)
    return answers, confirm, dropped, new


def _section(out: str, heading: str) -> list[str]:
    """The question ids listed under the output line starting with ``heading``."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    body = []
    for line in lines[start + 1:]:
        if not line.startswith("  "):
            break
        body.append(line)
    return [m.group(1) for line in body for m in [re.match(r"\s+\S+\s+([A-Z]{3}-[A-Z]{3}-\d\d) ←", line)] if m]


def test_carry_on_the_demo_gives_the_mapped_answers_and_flags(demo_engine: Engine) -> None:
    org_id, old_id, _, _ = _demo(demo_engine)
    old = _rows(demo_engine, old_id)
    answers, confirm, dropped, new = _expected(old)
    assert "GOV-INS-05" in confirm and "GOV-INS-06" in confirm and new == {"RES-DIS-04", "RES-TEC-09"}

    code, out, err = run_cli(["assessment", "carry", str(old_id), "--title", "2027 复评", "--lang", "en"])
    assert code == 0, err
    new_id = int(re.search(r"Assessment #(\d+) “2027 复评” started on caict-aigov 1.1.0", out).group(1))
    # the stored answers: exactly the mapped ones, with the old justification and note where one old answer
    # carries (split parts both get the old level)
    stored = _rows(demo_engine, new_id)
    assert {k: v[:2] for k, v in stored.items()} == answers
    for step in yaml.safe_load(MAPPING.read_text(encoding="utf-8"))["steps"]:
        if step["kind"] in ("reworded", "split") and step["from"][0] in stored.keys() | set(old):
            for qid in step["to"]:
                if qid in stored:
                    assert stored[qid][3] == old[step["from"][0]][3], qid
    # flagged "carried, please confirm": the answer history says so, and the report lists them
    with read_session(demo_engine) as s:
        carried = set(s.scalars(select(AnswerEvent.question_id).where(AnswerEvent.assessment_id == new_id,
                                                                      AnswerEvent.source == "carried")))
        assert s.get(Assessment, new_id).organisation_id == org_id
    assert carried == confirm
    assert set(_section(out, "Carried, please confirm")) == confirm
    assert f"Carried, please confirm ({len(confirm)})" in out
    assert "Dropped, the question no longer exists (0)" in out and not dropped
    assert re.search(r"New in 1\.1\.0, not yet answered \(2\)\n  (RES-DIS-04, RES-TEC-09|RES-TEC-09, RES-DIS-04)\n",
                     out)
    assert f"aigov assessment confirm {new_id} --all" in out
    assert "split     GOV-INS-05 ← GOV-INS-01" in out

    # the same report afterwards, in Chinese
    code, out_zh, err = run_cli(["assessment", "carried", str(new_id), "--lang", "zh"])
    assert code == 0, err
    assert f"已沿用，请确认（{len(confirm)}）" in out_zh and "1.1.0 新增题目，尚未作答（2）" in out_zh

    # confirm two by name, then the rest: the answers do not change, the list empties
    code, out, err = run_cli(["assessment", "confirm", str(new_id), "GOV-INS-05", "GOV-INS-06"])
    assert code == 0, err
    assert f"2 carried answer(s) of assessment #{new_id} confirmed as they are; {len(confirm) - 2} still" in out
    code, out, _ = run_cli(["assessment", "carried", str(new_id)])
    assert f"Carried, please confirm ({len(confirm) - 2})" in out
    assert set(_section(out, "Carried, confirmed or changed since")) == {"GOV-INS-05", "GOV-INS-06"}
    assert run_cli(["assessment", "confirm", str(new_id), "--all"])[0] == 0
    code, out, _ = run_cli(["assessment", "carried", str(new_id)])
    assert "Carried, please confirm (0)" in out and "aigov assessment confirm" not in out
    assert _rows(demo_engine, new_id) == stored
    with read_session(demo_engine) as s:
        confirmed = set(s.scalars(select(AnswerEvent.question_id).where(AnswerEvent.assessment_id == new_id,
                                                                        AnswerEvent.source == "confirmed")))
    assert confirmed == confirm


def test_refusals_say_why_and_leave_the_database_unchanged(demo_engine: Engine) -> None:
    org_id, old_id, new_id, other_id = _demo(demo_engine)
    with write_session(demo_engine) as s:  # an assessment on a version with no mapping to 1.1.0
        unknown = Assessment(organisation_id=org_id, title="旧版", questionnaire_id="caict-aigov",
                             questionnaire_version="0.9.0", form="full", status="draft")
        s.add(unknown)
        s.flush()
        unknown_id = unknown.id
    system = Actor.system()
    submitted = carry_forward(demo_engine, system, old_id).id  # carried, then submitted before confirming
    submit(demo_engine, system, submitted)
    assert carry_report(demo_engine, system, submitted).to_confirm
    before = _counts(demo_engine)
    cases = [
        (["assessment", "carry", "99999999999999999999999"], "assessment 99999999999999999999999: not found"),
        (["assessment", "carry", "0"], "assessment 0: not found"),
        (["assessment", "carry", str(other_id), "--as-user", "org1"], f"assessment {other_id}: not found, or org1 "
                                                                       "may not see it"),
        (["assessment", "carry", str(new_id)], f"Assessment #{new_id} is already on questionnaire version 1.1.0"),
        (["assessment", "carry", str(new_id), "--lang", "zh"], f"评估 #{new_id} 已使用最新的问卷版本 1.1.0"),
        (["assessment", "carry", str(unknown_id)], "no declared mapping leads from 0.9.0 to 1.1.0"),
        (["assessment", "confirm", str(old_id), "GOV-INS-01"], "GOV-INS-01: not carried answers still to confirm"),
        (["assessment", "confirm", str(old_id)], "or --all"),
        (["assessment", "confirm", str(submitted), "--all"], f"Assessment #{submitted} is submitted"),
        (["assessment", "carried", str(other_id), "--as-user", "org1"], "not found, or org1 may not see it"),
    ]
    for argv, message in cases:
        code, out, err = run_cli(argv)
        assert code == 2 and message in err, (argv, err)
        assert "Traceback" not in err and out == ""
    code, _, err = run_cli(["assessment", "carry", "12abc"])
    assert code == 2 and "'12abc' is not an id" in err
    assert _counts(demo_engine) == before


def test_list_shows_the_organisations_assessments_with_their_versions(demo_engine: Engine) -> None:
    org_id, old_id, new_id, other_id = _demo(demo_engine)
    code, out, err = run_cli(["assessment", "list", "--org", str(org_id), "--as-user", "org1"])
    assert code == 0, err
    assert f"#{old_id}  1.0.0  Submitted" in out and f"#{new_id}  1.1.0  Submitted" in out
    assert f"#{other_id} " not in out
    code, out, err = run_cli(["assessment", "carried", str(old_id)])
    assert code == 0 and f"Assessment #{old_id} was not started from an assessment on another" in out
