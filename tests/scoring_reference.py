"""A deliberately naive reference implementation of the scoring method in docs/scoring.md.

It shares no code with ``scoring/``: plain loops over the questionnaire model, written straight from
the documented bullets, in exact rational arithmetic (``fractions.Fraction``; weights and targets
are read from their decimal text, so 1.5 is exactly 3/2). It exists to produce the expected numbers
of the golden files and to cross-check the engine in property tests; it is not fast and need not be.

Answers use the answers-file shape: {question id: {"level": 3} | {"na": true, ...} | {}}.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction
from pathlib import Path
from typing import Any

from questionnaires.schema import Questionnaire


def exact(x: float | int) -> Fraction:
    """The exact value a questionnaire author wrote (1.5 → 3/2, 0.1 → 1/10, not the binary float)."""
    return Fraction(str(x)) if isinstance(x, float) else Fraction(x)


def weighted_mean(pairs: list[tuple[Fraction, Fraction]]) -> Fraction | None:
    """Σ w·v / Σ w over (w, v) pairs; None when there are none."""
    total_weight = Fraction(0)
    total = Fraction(0)
    for w, v in pairs:
        total_weight += w
        total += w * v
    if total_weight == 0:
        return None
    return total / total_weight


# The documented tolerance: a score within 10^-9 below a whole number is at that level, a priority
# within 10^-9 below a band threshold is in that band, and priorities are ranked rounded to 9
# decimals (floating error must not drop a level or a band, or split a tie).
TOLERANCE_RULE = Fraction(1, 10**9)


def floor_level(score: Fraction | None) -> int | None:
    return None if score is None else math.floor(score + TOLERANCE_RULE)


def reference_score(questionnaire: Questionnaire, profile: dict[str, Any], answers: dict[str, dict[str, Any]],
                    target_preset: str | None = None, form: str = "full") -> dict[str, Any]:
    """Every documented number of one assessment, as Fractions (None = not scored)."""
    q = questionnaire
    preset_id = target_preset if target_preset is not None else q.default_preset(profile)
    preset = q.preset(preset_id)

    # One record per question, in questionnaire order.
    records: list[dict[str, Any]] = []
    for dim_pos, dim in enumerate(q.dimensions):
        for sub in dim.subdimensions:
            for question in sub.questions:
                applicable = q.applies(question, profile)
                if form == "core" and not question.core:
                    applicable = False
                answer = answers.get(question.id) or {}
                is_na = bool(answer.get("na", False))
                level = None if is_na else answer.get("level")
                target = exact(preset.levels[dim.id])
                if question.critical and exact(preset.critical) > target:
                    target = exact(preset.critical)
                records.append({
                    "id": question.id, "dimension": dim.id, "dim_pos": dim_pos, "subdimension": sub.id,
                    "weight": exact(question.weight), "critical": question.critical,
                    "principles": question.principles, "stages": question.stages,
                    "applicable": applicable, "na": is_na, "level": level, "target": target,
                    "order": len(records),
                })

    def counts(recs: list[dict[str, Any]]) -> dict[str, Any]:
        applicable = [r for r in recs if r["applicable"]]
        answered = [r for r in applicable if r["na"] or r["level"] is not None]
        na = [r for r in applicable if r["na"]]
        completeness = Fraction(len(answered), len(applicable)) if applicable else None
        return {"applicable": len(applicable), "answered": len(answered), "na": len(na),
                "completeness": completeness}

    def scored(recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in recs if r["applicable"] and not r["na"] and r["level"] is not None]

    def question_unit(recs: list[dict[str, Any]]) -> dict[str, Any]:
        s = scored(recs)
        score = weighted_mean([(r["weight"], Fraction(r["level"])) for r in s])
        target = weighted_mean([(r["weight"], r["target"]) for r in s])
        return {"score": score, "level": floor_level(score), "target": target, **counts(recs)}

    def rolled_up(children: list[tuple[Fraction, dict[str, Any]]], recs: list[dict[str, Any]]) -> dict[str, Any]:
        present = [(w, u) for w, u in children if u["score"] is not None]
        score = weighted_mean([(w, u["score"]) for w, u in present])
        target = weighted_mean([(w, u["target"]) for w, u in present])
        return {"score": score, "level": floor_level(score), "target": target, **counts(recs)}

    subdimensions: dict[str, dict[str, Any]] = {}
    dimensions: dict[str, dict[str, Any]] = {}
    dim_children = []
    for dim in q.dimensions:
        children = []
        for sub in dim.subdimensions:
            unit = question_unit([r for r in records if r["subdimension"] == sub.id])
            subdimensions[sub.id] = unit
            children.append((exact(sub.weight), unit))
        dimensions[dim.id] = rolled_up(children, [r for r in records if r["dimension"] == dim.id])
        dim_children.append((exact(dim.weight), dimensions[dim.id]))
    overall = rolled_up(dim_children, records)
    principles = {p: question_unit([r for r in records if p in r["principles"]]) for p in q.meta.principles}
    stages = {s: question_unit([r for r in records if s in r["stages"]]) for s in q.meta.stages}

    s = scored(records)
    if not s:
        percent = None
    else:
        numerator = sum((r["weight"] * min(Fraction(r["level"]), r["target"]) for r in s), Fraction(0))
        denominator = sum((r["weight"] * r["target"] for r in s), Fraction(0))
        percent = Fraction(1) if denominator == 0 else numerator / denominator

    gaps = []
    for r in s:
        if r["level"] < r["target"]:
            gap = r["target"] - r["level"]
            priority = gap * r["weight"] * (2 if r["critical"] else 1)
            band = ("high" if priority >= 4 - TOLERANCE_RULE else
                    "medium" if priority >= 2 - TOLERANCE_RULE else "low")
            gaps.append({"question": r["id"], "level": r["level"], "target": r["target"], "gap": gap,
                         "priority": priority, "band": band,
                         "_key": (-round(priority, 9), r["dim_pos"], r["order"])})
    gaps.sort(key=lambda g: g["_key"])
    for g in gaps:
        del g["_key"]

    to_answer = [r["id"] for r in records if r["applicable"] and not r["na"] and r["level"] is None]
    return {
        "target_preset": preset_id,
        "overall": overall,
        "dimensions": dimensions,
        "subdimensions": subdimensions,
        "principles": principles,
        "stages": stages,
        "percent_to_target": percent,
        "gaps": gaps,
        "to_answer": to_answer,
    }


# --- golden files ------------------------------------------------------------------------------------

UNIT_FIELDS = ("score", "level", "target", "applicable", "answered", "na", "completeness")
CASE_KEYS = ("questionnaire", "version", "profile", "target_preset", "form", "answers")


def number_text(x: Fraction | int | None) -> str:
    """A YAML scalar for an exact number: 2, 0.875 (terminating decimals) or 119/60 (read as text)."""
    if x is None:
        return "null"
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    if d == 1:
        text = f"{float(x):.12f}".rstrip("0")
        if Fraction(text) == x:
            return text
    return f"{x.numerator}/{x.denominator}"


def _flow(mapping: dict[str, Any]) -> str:
    parts = []
    for k, v in mapping.items():
        if isinstance(v, str) and not isinstance(v, bool):
            parts.append(f"{k}: {v}")
        elif isinstance(v, bool):
            parts.append(f"{k}: {'true' if v else 'false'}")
        else:
            parts.append(f"{k}: {number_text(v)}")
    return "{" + ", ".join(parts) + "}"


def _json_scalar(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def golden_text(description: str, case: dict[str, Any], expected: dict[str, Any]) -> str:
    """The golden YAML: the case (a valid answers file) plus the expected numbers, compactly."""
    lines = ["# Golden scoring case: expected numbers from tests/scoring_reference.py (exact fractions),",
             "# never from the engine. Numbers written a/b are exact fractions. See docs/scoring.md.",
             f"description: {_json_scalar(description)}"]
    for key in CASE_KEYS:
        value = case.get(key)
        if key == "answers":
            lines.append("answers:" + (" {}" if not value else ""))
            for qid, ans in (value or {}).items():
                lines.append(f"  {qid}: {_json_scalar(ans)}")
        else:
            lines.append(f"{key}: {_json_scalar(value)}")
    lines.append("expected:")
    lines.append(f"  target_preset: {expected['target_preset']}")
    lines.append(f"  percent_to_target: {number_text(expected['percent_to_target'])}")
    lines.append(f"  overall: {_flow({k: expected['overall'][k] for k in UNIT_FIELDS})}")
    for kind in ("dimensions", "subdimensions", "principles", "stages"):
        lines.append(f"  {kind}:")
        for uid, unit in expected[kind].items():
            lines.append(f"    {uid}: {_flow({k: unit[k] for k in UNIT_FIELDS})}")
    lines.append("  gaps:" + (" []" if not expected["gaps"] else ""))
    for g in expected["gaps"]:
        lines.append(f"    - {_flow(g)}")
    lines.append(f"  to_answer: {_json_scalar(expected['to_answer'])}")
    return "\n".join(lines) + "\n"


def write_golden(path: Path, questionnaire: Questionnaire, description: str, case: dict[str, Any]) -> None:
    case = {"questionnaire": questionnaire.id, "version": questionnaire.version, **case}
    expected = reference_score(questionnaire, case["profile"], case["answers"], case.get("target_preset"),
                               case.get("form", "full"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(golden_text(description, case, expected), encoding="utf-8")


# --- comparing a result with expected numbers ------------------------------------------------------

TOLERANCE = 1e-9
KINDS = ("dimensions", "subdimensions", "principles", "stages")


def number(x: Any) -> float | None:
    if x is None:
        return None
    return float(Fraction(x)) if isinstance(x, str) else float(x)


def assert_close(actual: Any, expected: Any, where: str) -> None:
    exp = number(expected)
    if exp is None:
        assert actual is None, f"{where}: expected not scored (null), got {actual!r}"
    else:
        assert actual is not None, f"{where}: expected {exp!r}, got null"
        assert math.isclose(actual, exp, rel_tol=0, abs_tol=TOLERANCE), f"{where}: expected {exp!r}, got {actual!r}"


def assert_unit(actual: dict[str, Any], expected: dict[str, Any], where: str) -> None:
    for field in UNIT_FIELDS:
        if field in ("level", "applicable", "answered", "na"):
            assert actual[field] == expected[field], f"{where}.{field}: expected {expected[field]!r}, got {actual[field]!r}"
        else:
            assert_close(actual[field], expected[field], f"{where}.{field}")


def assert_matches(result: dict[str, Any], expected: dict[str, Any]) -> None:
    """Compare a result in its documented JSON shape with a golden 'expected' block."""
    assert result["target_preset"] == expected["target_preset"]
    assert_close(result["percent_to_target"], expected["percent_to_target"], "percent_to_target")
    assert_unit(result["overall"], expected["overall"], "overall")
    for kind in KINDS:
        ids = [u["id"] for u in result[kind]]
        assert ids == list(expected[kind]), f"{kind}: units {ids} != {list(expected[kind])}"
        for unit in result[kind]:
            assert_unit(unit, expected[kind][unit["id"]], f"{kind}.{unit['id']}")
    got = [(g["question_id"], g["level"], g["band"]) for g in result["gaps"]]
    want = [(g["question"], g["level"], g["band"]) for g in expected["gaps"]]
    assert got == want, f"gap list: {got} != {want}"
    for g, e in zip(result["gaps"], expected["gaps"], strict=True):
        for field in ("target", "gap", "priority"):
            assert_close(g[field], e[field], f"gap {g['question_id']}.{field}")
    assert result["to_answer"] == expected["to_answer"]
