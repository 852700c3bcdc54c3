"""Write the golden scoring cases of the mini test questionnaire (tests/fixtures/mini/golden/).

The cases (inputs) are defined here; their expected numbers come from the naive reference
(tests/scoring_reference.py), never from the engine. 01-worked-example is computed by hand,
step by step, in docs/scoring.md. Run: .venv/bin/python -m tests.make_mini_goldens
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from questionnaires import load_questionnaire
from tests.scoring_reference import write_golden

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "fixtures" / "mini"
NA = {"na": True, "justification": "Not relevant to our business."}

USER = {"ai_roles": ["user"], "genai_public": False, "high_impact": False, "sector": "other", "size": "small"}
EXAMPLE = {"ai_roles": ["user"], "genai_public": True, "high_impact": False, "sector": "finance", "size": "medium"}
EVERYTHING = {"ai_roles": ["tech_provider", "user"], "genai_public": True, "high_impact": True, "sector": "ict",
              "size": "large"}
ALL = ["ALP-ONE-01", "ALP-ONE-02", "ALP-ONE-03", "ALP-TWO-01", "ALP-TWO-02",
       "BET-ONE-01", "BET-ONE-02", "BET-ONE-03", "BET-TWO-01", "BET-TWO-02"]


def levels(**by_id: int | dict[str, Any]) -> dict[str, Any]:
    return {qid.replace("_", "-"): (v if isinstance(v, dict) else {"level": v}) for qid, v in by_id.items()}


CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("01-worked-example", "The worked example of docs/scoring.md: an inapplicable answer, an N/A, an unanswered "
     "question, a critical gap, sub-dimension weights and a not-scored principle.",
     {"profile": EXAMPLE, "target_preset": None, "form": "full",
      "answers": levels(ALP_ONE_01=1, ALP_ONE_02=1, ALP_ONE_03=4, ALP_TWO_01=2, ALP_TWO_02=NA,
                        BET_ONE_01=0, BET_ONE_02=1, BET_TWO_02=4)}),
    ("02-all-zero", "Everything applies and everything is at level 0: every unit scores 0 (scored, not "
     "missing); every question is a gap against the default 'leading' preset.",
     {"profile": EVERYTHING, "target_preset": None, "form": "full", "answers": {q: {"level": 0} for q in ALL}}),
    ("03-all-five", "Everything applies and everything is at level 5: every unit scores 5, percent to "
     "target 1, no gaps.",
     {"profile": EVERYTHING, "target_preset": None, "form": "full", "answers": {q: {"level": 5} for q in ALL}}),
    ("04-na-heavy", "Seven of ten questions N/A: N/A counts as answered (completeness 1) but not in scores; "
     "sub-dimension ALP-TWO and principle inclusive are not scored.",
     {"profile": EVERYTHING, "target_preset": "baseline", "form": "full",
      "answers": {**{q: NA for q in ALL}, **levels(ALP_ONE_02=3, BET_ONE_02=1, BET_TWO_02=2)}}),
    ("05-inapplicable-heavy", "A user-only organisation: three questions do not apply and their (high) "
     "answers are ignored; ALP-TWO rests on one question.",
     {"profile": USER, "target_preset": None, "form": "full",
      "answers": levels(ALP_ONE_01=2, ALP_ONE_02=1, ALP_ONE_03=5, ALP_TWO_01=3, ALP_TWO_02=5,
                        BET_ONE_01=2, BET_ONE_02=2, BET_ONE_03=1, BET_TWO_01=5, BET_TWO_02=0)}),
    ("06-empty-subdimension", "Sub-dimensions with nothing scored (ALP-TWO unanswered, BET-TWO N/A) are "
     "not scored, and their dimensions rest on the other sub-dimension alone.",
     {"profile": USER, "target_preset": None, "form": "full",
      "answers": levels(ALP_ONE_01=3, ALP_ONE_02=2, BET_ONE_01=1, BET_ONE_02=4, BET_ONE_03=2, BET_TWO_02=NA)}),
    ("07-core-form", "The short form: only core questions apply; answers to the others are ignored.",
     {"profile": EVERYTHING, "target_preset": None, "form": "core",
      "answers": levels(ALP_ONE_01=3, ALP_ONE_02=0, ALP_ONE_03=0, ALP_TWO_01=4, ALP_TWO_02=0,
                        BET_ONE_01=2, BET_ONE_02=0, BET_ONE_03=0, BET_TWO_01=3, BET_TWO_02=0)}),
    ("08-core-form-inapplicable", "Short form for a user-only organisation with the leading preset chosen: "
     "BET-TWO's only core question does not apply, so BET-TWO is not scored; one core question is unanswered.",
     {"profile": USER, "target_preset": "leading", "form": "core",
      "answers": levels(ALP_ONE_01=2, BET_ONE_01=4, BET_TWO_01=1, BET_TWO_02=5)}),
    ("09-critical-gaps", "Gap bands and order: a critical question doubles the priority and uses the critical "
     "target; priorities exactly 4 (high) and exactly 2 (medium) sit on the band boundaries; ties keep "
     "dimension then question order.",
     {"profile": EVERYTHING, "target_preset": None, "form": "full",
      "answers": levels(ALP_ONE_01=0, ALP_ONE_02=0, ALP_ONE_03=4, ALP_TWO_01=2, ALP_TWO_02=0,
                        BET_ONE_01=1, BET_ONE_02=2, BET_ONE_03=5, BET_TWO_01=0)}),
    ("10-nothing-answered", "No answers: nothing is scored (never 0), percent to target is null, completeness "
     "0, every applicable question is to answer.",
     {"profile": EXAMPLE, "target_preset": None, "form": "full", "answers": {}}),
    ("11-all-na", "Every applicable question N/A: complete (1.0) but nothing scored.",
     {"profile": USER, "target_preset": None, "form": "full",
      "answers": {q: NA for q in ALL if q not in ("ALP-ONE-03", "ALP-TWO-02", "BET-TWO-01")}}),
    ("12-at-target", "Every level at or above its target under an explicitly chosen preset: percent to "
     "target 1 and no gaps, although scores differ from the targets.",
     {"profile": USER, "target_preset": "leading", "form": "full",
      "answers": levels(ALP_ONE_01=5, ALP_ONE_02=4, ALP_TWO_01=5, BET_ONE_01=3, BET_ONE_02=4, BET_ONE_03=3,
                        BET_TWO_02=5)}),
    ("13-level-boundary", "Fractional weights that make a dimension score exactly 3 (= (7/3 + 2 x 10/3) / 3), "
     "which floating point computes as 2.9999999999999996 or so: the level must be 3.",
     {"profile": EXAMPLE, "target_preset": None, "form": "full",
      "answers": levels(ALP_ONE_01=2, ALP_ONE_02=3, ALP_TWO_01=4, ALP_TWO_02=2, BET_ONE_01=3, BET_ONE_02=3,
                        BET_ONE_03=3, BET_TWO_02=3)}),
]


def main() -> None:
    q = load_questionnaire(MINI)
    for name, description, case in CASES:
        write_golden(MINI / "golden" / f"{name}.yml", q, description, case)
        print(f"wrote {MINI / 'golden' / name}.yml")


if __name__ == "__main__":
    main()
