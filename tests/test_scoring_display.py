"""Display rounding equals Excel's: 15 significant digits, then half away from zero (0.00 and 0.0%)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from questionnaires import get_questionnaire
from scoring import AnswerInput, score_assessment
from scoring.display import format_percent, format_score

GOLDEN = Path(__file__).resolve().parents[1] / "questionnaires" / "caict-aigov" / "1.0.0" / "golden" / "11-half-hundredth.yml"


@pytest.mark.parametrize(("x", "shown"), [
    (2.125, "2.13"),  # exact in binary: Python's :.2f rounds half to even → 2.12
    (2.675, "2.68"),  # stored as 2.67499999999999982…: Python → 2.67, Excel → 2.68
    (1.005, "1.01"),
    (0.125, "0.13"),
    (2.1249999999999996, "2.13"),  # 2.125 computed with a rounding error: 15 digits give 2.125
    (2.12499999999, "2.12"),  # a genuine 2.12499… stays below the half
    (-2.125, "-2.13"),  # away from zero, as Excel
    (-0.0, "0.00"),
    (0, "0.00"),
    (5, "5.00"),
    (119 / 60, "1.98"),
    (4.999, "5.00"),
    (1e-7, "0.00"),
])
def test_format_score(x: float, shown: str) -> None:
    assert format_score(x) == shown


@pytest.mark.parametrize(("x", "shown"), [
    (0.125, "12.5%"),
    (0.00125, "0.1%"),  # 0.125 %: one decimal, half up → 0.1
    (0.1225, "12.3%"),  # Python's f"{100 * x:.1f}" gives 12.2
    (0.0005, "0.1%"),
    (0.9995, "100.0%"),
    (2 / 9, "22.2%"),
    (68 / 143, "47.6%"),
    (0, "0.0%"),
    (1, "100.0%"),
])
def test_format_percent(x: float, shown: str) -> None:
    assert format_percent(x) == shown


def test_none_is_the_callers_marker() -> None:
    assert format_score(None) == "—" and format_percent(None) == "—"
    assert format_score(None, "not scored") == "not scored" and format_percent(None, "") == ""


@pytest.mark.parametrize("x", [float("nan"), float("inf")])
def test_non_finite_numbers_are_refused(x: float) -> None:
    with pytest.raises(ValueError, match="cannot be shown"):
        format_score(x)


def test_golden_half_hundredth_shows_2_13() -> None:
    """GOV of golden case 11 is exactly 2.125 (the reference's exact fraction), shown 2.13 as in Excel."""
    case = yaml.safe_load(GOLDEN.read_text(encoding="utf-8"))
    assert case["expected"]["dimensions"]["GOV"]["score"] == 2.125
    q = get_questionnaire("caict-aigov", "1.0.0")  # the golden case is of version 1.0.0
    answers = {qid: AnswerInput(level=a.get("level"), na=bool(a.get("na"))) for qid, a in case["answers"].items()}
    result = score_assessment(q, case["profile"], answers, case["target_preset"], case["form"])
    gov = result.unit("dimension", "GOV")
    assert gov.score == 2.125 and f"{gov.score:.2f}" == "2.12"
    assert format_score(gov.score) == "2.13" and format_score(result.overall.score) == "2.13"
