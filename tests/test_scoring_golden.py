"""Golden cases: the engine, the cohort path and ``aigov score --json`` reproduce hand/reference numbers.

Golden files sit beside their questionnaire (``<questionnaire>/golden/*.yml``). Their expected
numbers come from the exact-fraction reference (tests/scoring_reference.py), never from the engine;
01-worked-example is also worked by hand in docs/scoring.md. Agreement is required to 1e-9.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from cli.main import main
from questionnaires import load_questionnaire
from questionnaires.schema import Questionnaire
from scoring import AnswerInput, score_assessment, score_cohort
from tests.scoring_reference import CASE_KEYS, KINDS, assert_close, assert_matches, reference_score

ROOT = Path(__file__).resolve().parents[1]
MINI = ROOT / "tests" / "fixtures" / "mini"
FAMILY = ROOT / "questionnaires" / "caict-aigov"
# every shipped version keeps its goldens: a 1.0.0 assessment must keep scoring exactly as it did
REALS = sorted(p for p in FAMILY.iterdir() if (p / "meta.yml").is_file())
REAL = REALS[-1]

_QUESTIONNAIRES: dict[Path, Questionnaire] = {}


def questionnaire(folder: Path) -> Questionnaire:
    if folder not in _QUESTIONNAIRES:
        _QUESTIONNAIRES[folder] = load_questionnaire(folder)
    return _QUESTIONNAIRES[folder]


def golden_files(folder: Path) -> list[Path]:
    return sorted((folder / "golden").glob("*.yml"))


CASES = [pytest.param(folder, path, id=f"{folder.parent.name if folder in REALS else ''}{folder.name}/{path.stem}")
         for folder in (MINI, *REALS) for path in golden_files(folder)]


def load_case(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def answer_inputs(answers: dict[str, dict[str, Any]]) -> dict[str, AnswerInput]:
    return {qid: AnswerInput(level=a.get("level"), na=bool(a.get("na", False))) for qid, a in answers.items()}


@pytest.mark.parametrize(("folder", "path"), CASES)
def test_engine_matches_golden(folder: Path, path: Path) -> None:
    case = load_case(path)
    q = questionnaire(folder)
    result = score_assessment(q, case["profile"], answer_inputs(case["answers"]), case["target_preset"], case["form"])
    assert_matches(result.to_json(), case["expected"])
    for gap in result.gaps:  # each row carries the recommendation for the question's current level
        assert gap.recommendation == q.question(gap.question_id).recommendations[gap.level]


@pytest.mark.parametrize(("folder", "path"), CASES)
def test_cli_json_matches_golden(folder: Path, path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = load_case(path)
    answers_file = tmp_path / "answers.json"
    answers_file.write_text(json.dumps({k: case[k] for k in CASE_KEYS}, ensure_ascii=False), encoding="utf-8")
    # the shipped questionnaire is found by the id in the file; the mini one needs its folder
    where = [] if folder in REALS else ["--questionnaire-dir", str(folder)]
    status = main(["score", str(answers_file), "--json", *where])
    out = capsys.readouterr().out
    assert status == 0
    data = json.loads(out)
    assert data["questionnaire_id"] == case["questionnaire"]
    assert data["questionnaire_version"] == case["version"]
    assert data["profile"] == case["profile"]
    assert data["form"] == case["form"]
    assert_matches(data, case["expected"])


@pytest.mark.parametrize("folder", [MINI, *REALS], ids=["mini", *(f"caict-aigov-{p.name}" for p in REALS)])
def test_cohort_path_matches_goldens(folder: Path) -> None:
    """All golden cases of a questionnaire scored together as one cohort give the golden numbers."""
    paths = golden_files(folder)
    cases = [load_case(p) for p in paths]
    assessments = pd.DataFrame({
        "assessment_id": [p.stem for p in paths],
        "profile": [c["profile"] for c in cases],
        "target_preset": [c["target_preset"] for c in cases],
        "form": [c["form"] for c in cases],
    })
    answers = pd.DataFrame(
        [(p.stem, qid, a.get("level"), bool(a.get("na", False))) for p, c in zip(paths, cases, strict=True)
         for qid, a in c["answers"].items()],
        columns=["assessment_id", "question_id", "level", "na"])
    cohort = score_cohort(questionnaire(folder), assessments, answers)
    for p, c in zip(paths, cases, strict=True):
        assert_matches(cohort.result(p.stem).to_json(), c["expected"])
        exp = c["expected"]
        assert_close(_nan_none(cohort.scores("overall").loc[p.stem, "overall"]), exp["overall"]["score"], f"{p.stem} overall")
        for uid, unit in exp["dimensions"].items():
            assert_close(_nan_none(cohort.scores("dimension").loc[p.stem, uid]), unit["score"], f"{p.stem} {uid}")
            assert_close(_nan_none(cohort.completeness.loc[p.stem, uid]), unit["completeness"], f"{p.stem} {uid}")
        assert_close(_nan_none(cohort.percent_to_target[p.stem]), exp["percent_to_target"], f"{p.stem} pct")


def _nan_none(x: float) -> float | None:
    return None if pd.isna(x) else float(x)


def test_there_are_enough_golden_cases() -> None:
    mini = {p.stem for p in golden_files(MINI)}
    assert len(mini) >= 10
    for kind in ("worked-example", "all-zero", "all-five", "na-heavy", "inapplicable-heavy", "empty-subdimension",
                 "core-form", "critical-gaps"):
        assert any(kind in name for name in mini), f"no mini golden case for {kind}"
    assert [p.name for p in REALS] == ["1.0.0", "1.1.0"]
    for folder in REALS:
        real = {p.stem for p in golden_files(folder)}
        assert len(real) >= 10, f"run: .venv/bin/python -m tests.make_real_goldens {folder.name}"
        for kind in ("all-zero", "all-five", "mixed", "na-heavy", "inapplicable-heavy", "empty-subdimension",
                     "core", "critical-gaps", "at-target", "nothing-answered"):
            assert any(kind in name for name in real), f"no golden case of {folder.name} for {kind}"


@pytest.mark.parametrize(("folder", "path"), CASES)
def test_goldens_are_current(folder: Path, path: Path) -> None:
    """The golden numbers still follow from the questionnaire (else: regenerate with tests/make_*_goldens.py)."""
    case = load_case(path)
    fresh = reference_score(questionnaire(folder), case["profile"], case["answers"], case["target_preset"],
                            case["form"])
    expected = case["expected"]
    assert fresh["target_preset"] == expected["target_preset"]
    assert fresh["to_answer"] == expected["to_answer"]
    assert_close(_maybe(fresh["percent_to_target"]), expected["percent_to_target"], "percent_to_target")
    for kind in KINDS:
        for uid, unit in fresh[kind].items():
            assert_close(_maybe(unit["score"]), expected[kind][uid]["score"], f"{kind}.{uid}")
    assert [g["question"] for g in fresh["gaps"]] == [g["question"] for g in expected["gaps"]]


def _maybe(x: Fraction | None) -> float | None:
    return None if x is None else float(x)


def test_worked_example_is_in_the_docs() -> None:
    doc = (ROOT / "docs" / "scoring.md").read_text(encoding="utf-8")
    assert "tests/fixtures/mini/golden/01-worked-example.yml" in doc
    case = load_case(MINI / "golden" / "01-worked-example.yml")
    for number_text in ("119/60", "5/3", "2.3", "8.5", "17"):
        assert number_text in doc
    assert case["expected"]["overall"]["score"] == "119/60"
