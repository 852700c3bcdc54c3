"""The target shown beside a unit, the one rule every output uses (pages, workbooks, PDF, command line).

A scored unit shows its target from the engine (docs/scoring.md: Σ wᵢ·tᵢ / Σ wᵢ over its scored
questions, rolled up like the score). A dimension or sub-dimension with nothing scored has no such
target, yet the radars' target lines and the tables still need one: it shows the chosen target
profile's level for that dimension (for a sub-dimension: for its dimension) — what the organisation
aims at there, whatever it has answered. Principles and stages with nothing scored show no target.
"""

from __future__ import annotations

from questionnaires import Questionnaire
from scoring.types import AssessmentResult, UnitScore


def shown_target(q: Questionnaire, result: AssessmentResult, unit: UnitScore) -> float | None:
    """The target to show for ``unit`` of ``result`` (scored by ``q``)."""
    if unit.target is not None:
        return unit.target
    if unit.kind == "dimension":
        dimension = unit.id
    elif unit.kind == "subdimension":
        dimension = next((d.id for d in q.dimensions if any(s.id == unit.id for s in d.subdimensions)), "")
    else:
        return None
    return float(q.preset(result.target_preset).levels.get(dimension, 0.0))
