"""Write the golden scoring cases of the real questionnaire (questionnaires/caict-aigov/<version>/golden/).

Expected numbers come from the naive, exact-fraction reference in tests/scoring_reference.py, never
from the engine. Re-run whenever the questionnaire's questions, weights, rules or targets change:
    .venv/bin/python -m tests.make_real_goldens [VERSION]      (default: the newest shipped version)
Goldens of older versions are kept as they are: an assessment made on 1.0.0 must keep scoring exactly so.
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
FAMILY = ROOT / "questionnaires" / "caict-aigov"
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


def na_heavy_answers(q: Questionnaire, seed: int) -> dict[str, Any]:
    """Seeded: ~60% N/A with a justification, the rest levels 0..5."""
    rng = random.Random(seed)
    return {question.id: ({"na": True, "justification": "Not relevant to how we use AI."} if rng.random() < 0.6
                          else {"level": rng.randint(0, 5)}) for question in q.questions()}


def at_target_answers(q: Questionnaire, preset_id: str) -> dict[str, Any]:
    """Every question exactly at its target of ``preset_id`` (critical ones at the critical target)."""
    preset = q.preset(preset_id)
    answers = {}
    for dim in q.dimensions:
        for sub in dim.subdimensions:
            for question in sub.questions:
                target = preset.levels[dim.id]
                answers[question.id] = {"level": max(target, preset.critical) if question.critical else target}
    return answers


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    version = args[0] if args else max((p.name for p in FAMILY.iterdir() if (p / "meta.yml").is_file()),
                                       key=lambda v: tuple(int(x) for x in v.split(".")))
    REAL = FAMILY / version
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
    cases: list[tuple[str, str, dict[str, Any]]] = [
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
        ("05-na-heavy", "An application provider who marks about 60% of the questions N/A: N/A counts as "
         "answered for completeness but is left out of every score.",
         {"profile": APP_PROVIDER, "target_preset": None, "form": "full", "answers": na_heavy_answers(q, 3)}),
        ("06-inapplicable-heavy", "A small organisation that only uses AI, answering every question at level 3 or "
         "4: the many provider-only, public-generative-AI and high-impact questions are left out of everything.",
         {"profile": USER_SME, "target_preset": None, "form": "full",
          "answers": {i: {"level": 3 + n % 2} for n, i in enumerate(ids)}}),
        ("07-empty-subdimension", "Culture (GOV-CUL) all N/A and dynamic detection (IDE-DYN) unanswered: both "
         "sub-dimensions are not scored and their dimensions average the remaining ones; IDE-DYN is to answer.",
         {"profile": EVERYTHING, "target_preset": None, "form": "full",
          "answers": {i: ({"na": True, "justification": "Handled by the parent company."}
                          if i.startswith("GOV-CUL") else {"level": 2})
                      for i in ids if not i.startswith("IDE-DYN")}}),
        ("08-critical-gaps", "Preset 'leading' chosen explicitly, every question at level 3: critical questions "
         "(target 5, gap 2, doubled) rank first as High gaps, the rest (target 4) follow as Medium/Low.",
         {"profile": APP_PROVIDER, "target_preset": "leading", "form": "full",
          "answers": {i: {"level": 3} for i in ids}}),
        ("09-at-target", "Every question exactly at its 'established' target, critical ones at the critical "
         "target: percent to target is 1 and there are no gaps.",
         {"profile": EVERYTHING, "target_preset": "established", "form": "full",
          "answers": at_target_answers(q, "established")}),
        ("10-nothing-answered", "A new assessment with no answers: nothing is scored (never 0), completeness is 0 "
         "and every applicable question is to answer.",
         {"profile": APP_PROVIDER, "target_preset": None, "form": "full", "answers": {}}),
        ("11-half-hundredth", "Governance at level 2 everywhere except culture, answered on two questions only "
         "(2 and 3): GOV is exactly 2.125, the case where rounding to two decimals must go half up (2.13).",
         {"profile": EVERYTHING, "target_preset": None, "form": "full",
          "answers": {**{i: {"level": 2} for i in ids if i.startswith("GOV") and not i.startswith("GOV-CUL")},
                      **{i: {"level": lvl} for i, lvl in zip([i for i in ids if i.startswith("GOV-CUL")][:2], (2, 3),
                                                             strict=True)}}}),
        ("12-core-all-na", "The short form with every question N/A: fully complete, nothing scored, no gaps.",
         {"profile": USER_SME, "target_preset": None, "form": "core",
          "answers": {i: {"na": True, "justification": "Not applicable in our setting."} for i in ids}}),
    ]
    for name, description, case in cases:
        path = REAL / "golden" / f"{name}.yml"
        write_golden(path, q, description, case)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
