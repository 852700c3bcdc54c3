"""docs/excel.md against the code: every problem code and every column of the summary's answer sheet."""

from __future__ import annotations

from pathlib import Path

import pytest

from excel.summary import ANSWER_SHEET_COLUMNS
from i18n import catalog, t

DOC = (Path(__file__).resolve().parents[1] / "docs" / "excel.md").read_text(encoding="utf-8")


def test_every_problem_code_is_documented() -> None:
    codes = sorted(k.removeprefix("excel.problem.") for k in catalog("en") if k.startswith("excel.problem."))
    assert [c for c in codes if f"`{c}`" not in DOC] == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_answer_sheet_columns_are_documented(lang: str) -> None:
    row = next(line for line in DOC.splitlines() if line.startswith("| 全部答案 / Answers in full |"))
    for key in ("question_target", "question_weight", "critical"):
        assert key in ANSWER_SHEET_COLUMNS and t(f"excel.summary.{key}", lang).lower() in row.lower(), key
