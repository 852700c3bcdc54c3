"""Result types of the scoring engine: plain frozen dataclasses, JSON-ready via ``to_json``.

These are the contract between the engine and every caller (pages, Excel, CLI): callers read
fields, never recompute. The method is documented in docs/scoring.md.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from enums import AssessmentForm

UnitKind = Literal["overall", "dimension", "subdimension", "principle", "stage"]
Band = Literal["high", "medium", "low"]


@dataclass(frozen=True)
class AnswerInput:
    """An answer as scoring sees it: a level 0..5, or N/A, or neither (= not answered)."""

    level: int | None = None
    na: bool = False

    @property
    def answered(self) -> bool:
        return self.na or self.level is not None


@dataclass(frozen=True)
class WhyItem:
    """One input behind a unit's score: a question (or, for rolled-up units, a child unit)."""

    id: str
    weight: float
    level: float | None  # the question's level, or the child unit's score


@dataclass(frozen=True)
class UnitScore:
    kind: UnitKind
    id: str  # "overall", dimension id, sub-dimension id, principle id or stage id
    score: float | None  # None = not scored (nothing answered with a level); never shown as 0
    level: int | None  # floor(score)
    target: float | None  # weighted mean target of the unit's scored questions
    applicable: int  # applicable questions
    answered: int  # answered with a level or N/A
    na: int
    completeness: float | None  # answered / applicable; None when nothing applies
    why: tuple[WhyItem, ...] = ()

    @property
    def scored(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class GapRow:
    question_id: str
    dimension_id: str
    subdimension_id: str
    level: int
    target: float
    gap: float
    weight: float
    critical: bool
    priority: float  # gap × weight × (2 if critical else 1)
    band: Band  # high ≥ 4, medium ≥ 2, low < 2
    recommendation: dict[str, str] = field(default_factory=dict)  # {lang: text} for the current level


@dataclass(frozen=True)
class AssessmentResult:
    questionnaire_id: str
    questionnaire_version: str
    profile: dict[str, Any]
    target_preset: str
    form: AssessmentForm
    overall: UnitScore
    dimensions: tuple[UnitScore, ...]
    subdimensions: tuple[UnitScore, ...]
    principles: tuple[UnitScore, ...]
    stages: tuple[UnitScore, ...]
    percent_to_target: float | None  # None when no question is scored
    gaps: tuple[GapRow, ...]  # ranked: priority desc, then dimension order, then question order
    to_answer: tuple[str, ...]  # applicable questions with no answer, in questionnaire order
    applicable: tuple[str, ...] = field(default=())  # applicable question ids, questionnaire order

    @property
    def completeness(self) -> float | None:
        return self.overall.completeness

    def unit(self, kind: UnitKind, unit_id: str) -> UnitScore:
        pool = {"overall": (self.overall,), "dimension": self.dimensions, "subdimension": self.subdimensions,
                "principle": self.principles, "stage": self.stages}[kind]
        for u in pool:
            if u.id == unit_id:
                return u
        raise KeyError(f"{kind} {unit_id}")

    def to_json(self) -> dict[str, Any]:
        """The documented JSON shape (docs/scoring.md, "JSON output"); NaN never appears."""
        return _clean(asdict(self))


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value
