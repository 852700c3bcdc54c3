"""Write the golden scoring cases of the real questionnaire (questionnaires/caict-aigov/golden/).

Expected numbers come from the naive, exact-fraction reference in tests/scoring_reference.py, never
from the engine. Re-run whenever the questionnaire's questions, weights, rules or targets change:
    .venv/bin/python -m tests.make_real_goldens
It refuses to write anything unless all four dimension files exist and the questionnaire validates.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

from questionnaires import QuestionnaireError, load_questionnaire
from questionnaires.schema import Questionnaire
from tests.scoring_reference import write_golden

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "questionnaires" / "caict-aigov"
DIMENSIONS = ("GOV", "IDE", "ASM", "RES")

EVERYTHING = {"ai_roles": ["tech_provider", "app_provider", "user"], "genai_public": True, "high_impact": True,
              "sector": "finance", "size": "large"}
APP_PROVIDER = {"ai_roles": ["app_provider"], "genai_public": True, "high_impact": False, "sector": "retail",
                "size": "medium"}
USER_SME = {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "manufacturing",
            "size": "small"}


def mixed_answers(q: Questionnaire, seed: int) -> dict[str, Any]:
    """Seeded mix: ~10% unanswered, ~10% N/A, the rest levels 0..5 (also for inapplicable questions)."""
    rng = random.Random(seed)
    answers: dict[str, Any] = {}
    for question in q.questions():
        draw = rng.random()
        if draw < 0.10:
            continue
        if draw < 0.20:
            answers[question.id] = {"na": True, "justification": "Out of scope for this organisation."}
        else:
            answers[question.id] = {"level": rng.randint(0, 5)}
    return answers


def main() -> int:
    missing = [d for d in DIMENSIONS if not (REAL / "dimensions" / f"{d}.yml").is_file()]
    if missing:
        print(f"not written: dimension file(s) missing: {', '.join(missing)}", file=sys.stderr)
        return 1
    try:
        q = load_questionnaire(REAL)
    except QuestionnaireError as exc:
        print(f"not written: the questionnaire does not validate:\n{exc}", file=sys.stderr)
        return 1
    ids = [question.id for question in q.questions()]
    cases = [
        ("01-all-zero", "Everything applies and everything is at level 0 (default preset for a "
         "technology provider in a high-impact sector).",
         {"profile": EVERYTHING, "target_preset": None, "form": "full", "answers": {i: {"level": 0} for i in ids}}),
        ("02-all-five", "Everything applies and everything is at level 5: every unit 5, percent to target 1, no gaps.",
         {"profile": EVERYTHING, "target_preset": None, "form": "full", "answers": {i: {"level": 5} for i in ids}}),
        ("03-mixed", "An application provider with a seeded mix of levels, N/A and unanswered questions; "
         "answers to questions that do not apply are ignored.",
         {"profile": APP_PROVIDER, "target_preset": None, "form": "full", "answers": mixed_answers(q, 20241)}),
        ("04-core-mixed", "The short form for a small user organisation, preset 'established' chosen explicitly, "
         "with a seeded mix of answers (non-core answers ignored).",
         {"profile": USER_SME, "target_preset": "established", "form": "core", "answers": mixed_answers(q, 7)}),
    ]
    for name, description, case in cases:
        path = REAL / "golden" / f"{name}.yml"
        write_golden(path, q, description, case)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
