"""Declared mappings between questionnaire versions (``<id>/migrations/<old>-<new>.yml``) and the carry-forward plan.

A mapping says, for every question of the old version, what became of it in the new one:

- ``same``: unchanged (same id, same meaning and levels) — the answer carries over as it is;
- ``reworded``: one old question → one new question with the same intent, clearer wording or levels —
  the answer carries over, flagged "carried, please confirm";
- ``split``: one old question → two or more narrower new ones — each part gets the old answer, flagged;
- ``merged``: two or more old questions → one new one — it gets the lowest old level (a level is met only if
  all its parts are), flagged;
- ``removed``: the old question has no successor — its answer is shown as dropped;
- ``new``: a new question with no predecessor — it starts unanswered.

Validation: every old id appears in exactly one step's ``from``, every new id in exactly one step's ``to``,
and each kind has the right arity. Scores of units whose questions changed are not comparable across the
two versions (:meth:`Migration.changed_units`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from problems import Problem, shown
from questionnaires.loader import ROOT, get_questionnaire
from questionnaires.located import Source, Unreadable, read_yaml, shape_problems
from questionnaires.schema import LText, Questionnaire

Kind = Literal["same", "reworded", "split", "merged", "removed", "new"]
KINDS: tuple[str, ...] = ("same", "reworded", "split", "merged", "removed", "new")
_ARITY = {"same": (1, 1), "reworded": (1, 1), "split": (1, 2), "merged": (2, 1), "removed": (1, 0), "new": (0, 1)}


class MigrationError(ValueError):
    """A mapping file is missing or invalid; ``problems`` lists every error found, each located in the file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the version mapping:\n" + "\n".join(f"  - {p}" for p in problems))


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    kind: Kind
    from_ids: list[str] = Field(default_factory=list, alias="from")
    to_ids: list[str] = Field(default_factory=list, alias="to")
    why: LText | None = None


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_version: str = Field(alias="from")
    to_version: str = Field(alias="to")
    steps: list[_Step] = Field(min_length=1)


@dataclass(frozen=True)
class Step:
    kind: str
    from_ids: tuple[str, ...]
    to_ids: tuple[str, ...]
    why: dict[str, str]


@dataclass(frozen=True)
class CarriedAnswer:
    """What a new question receives: the old level (or N/A), and whether the user must confirm it."""

    level: int | None
    na: bool
    justification: str
    note: str
    confirm: bool
    from_ids: tuple[str, ...]
    kind: str = "same"  # the mapping step it came through (same, reworded, split, merged)


@dataclass(frozen=True)
class CarryPlan:
    carried: dict[str, CarriedAnswer]   # new question id → answer it starts with
    dropped: tuple[str, ...]            # old questions removed in the new version that had an answer
    new: tuple[str, ...]                # new questions with no predecessor (start unanswered)


@dataclass(frozen=True)
class Migration:
    questionnaire_id: str
    from_version: str
    to_version: str
    steps: tuple[Step, ...]

    def summary(self) -> str:
        counts = Counter(s.kind for s in self.steps)
        return ", ".join(f"{counts[k]} {k}" for k in KINDS if counts[k])

    def changed_units(self, old: Questionnaire, new: Questionnaire) -> set[str]:
        """Ids of units (overall, dimensions, sub-dimensions, principles) not comparable across the two versions.

        A unit is comparable only if it holds exactly the same questions, each mapped ``same``, in both versions.
        """
        def members(q: Questionnaire) -> dict[str, set[str]]:
            out: dict[str, set[str]] = {"overall": {x.id for x in q.questions()}}
            for d in q.dimensions:
                out[d.id] = {x.id for s in d.subdimensions for x in s.questions}
                for s in d.subdimensions:
                    out[s.id] = {x.id for x in s.questions}
            for x in q.questions():
                for p in x.principles:
                    out.setdefault(p, set()).add(x.id)
            return out

        same = {s.from_ids[0] for s in self.steps if s.kind == "same"}
        a, b = members(old), members(new)
        return {u for u in set(a) | set(b) if a.get(u) != b.get(u) or not (a.get(u, set()) <= same)}

    def carry(self, answers: dict[str, Any]) -> CarryPlan:
        """Carry old answers (objects with level, na, justification, note) into the new version, as declared.

        What a user wrote down is never lost on the way: an old question with a note but no level yet (or a
        merged question some of whose parts have no level, so the merged level would be a guess) passes its
        notes on with the level left open — nothing to confirm, the user still answers it."""
        carried: dict[str, CarriedAnswer] = {}
        dropped: list[str] = []
        new: list[str] = []
        for s in self.steps:
            if s.kind == "new":
                new.extend(s.to_ids)
                continue
            given = [answers[i] for i in s.from_ids if i in answers and (answers[i].na or answers[i].level is not None)]
            if s.kind == "removed":
                dropped.extend(i for i in s.from_ids if i in answers)
                continue
            if not given or (s.kind == "merged" and len(given) < len(s.from_ids)):
                notes = "\n".join(answers[i].note for i in s.from_ids if i in answers and answers[i].note)
                if notes:
                    for qid in s.to_ids:
                        carried[qid] = CarriedAnswer(None, False, "", notes, False, s.from_ids, s.kind)
                continue
            if s.kind == "merged":
                levels = [a.level for a in given if not a.na]
                source = min(given, key=lambda a: -1 if a.na else a.level) if levels else given[0]
                level, na = (min(levels), False) if levels else (None, True)
                notes = "\n".join(a.note for a in given if a.note)
                carried[s.to_ids[0]] = CarriedAnswer(level, na, "" if not na else source.justification, notes,
                                                     True, s.from_ids, s.kind)
                continue
            a = given[0]
            for qid in s.to_ids:
                carried[qid] = CarriedAnswer(None if a.na else a.level, a.na, a.justification if a.na else "",
                                             a.note, s.kind != "same", s.from_ids, s.kind)
        return CarryPlan(carried, tuple(dropped), tuple(new))

    def to_json(self) -> dict[str, Any]:
        return {"questionnaire": self.questionnaire_id, "from": self.from_version, "to": self.to_version,
                "steps": [{"kind": s.kind, "from": list(s.from_ids), "to": list(s.to_ids), "why": s.why}
                          for s in self.steps]}


# The codes of each side of a mapping: an id of that version no step names, one named twice, one it does not have.
_SIDE_CODES = {"from": ("mapping_from_missing", "mapping_from_twice", "mapping_from_unknown"),
               "to": ("mapping_to_missing", "mapping_to_twice", "mapping_to_unknown")}


def validate_mapping(doc: Any, old: Questionnaire, new: Questionnaire, file: str = "mapping") -> Migration:
    """The mapping in ``doc`` checked against both versions, or :class:`MigrationError` listing every problem.

    ``doc`` is the parsed mapping, or its :class:`~questionnaires.located.Source` (then problems name their line).
    """
    src = doc if isinstance(doc, Source) else Source(file, doc)
    if not isinstance(src.data, dict):
        raise MigrationError([src.at("top_not_mapping", (), {"fields": "from:, to:, steps:"})])
    parsed, shape = shape_problems(_Doc, src)
    if parsed is None:
        raise MigrationError(shape)
    problems: list[Problem] = []
    if (parsed.from_version, parsed.to_version) != (old.version, new.version):
        problems.append(src.at("mapping_versions", ("from",), {
            "found": f"{shown(parsed.from_version)} → {shown(parsed.to_version)}",
            "expected": f"{old.version} → {new.version}"}))
    for side, versions_ids, version in (("from", [x.id for x in old.questions()], old.version),
                                        ("to", [x.id for x in new.questions()], new.version)):
        missing, twice, unknown = _SIDE_CODES[side]
        places: dict[str, list[tuple[Any, ...]]] = {}
        for n, s in enumerate(parsed.steps):
            for k, qid in enumerate(s.from_ids if side == "from" else s.to_ids):
                places.setdefault(qid, []).append(("steps", n, side, k))
        for qid in versions_ids:
            found = places.get(qid, [])
            if not found:
                problems.append(src.at(missing, ("steps",), {"id": qid, "version": version}))
            for again in found[1:]:
                problems.append(src.at(twice, again, {"id": qid, "version": version,
                                                                        "count": len(found)}))
        problems += [src.at(unknown, where[0], {"id": shown(qid), "version": version})
                     for qid, where in places.items() if qid not in versions_ids]
    for n, s in enumerate(parsed.steps):
        lo_from, lo_to = _ARITY[s.kind]
        hi_from = 1 if s.kind in ("same", "reworded", "split", "removed") else (0 if s.kind == "new" else 99)
        hi_to = 1 if s.kind in ("same", "reworded", "merged", "new") else (0 if s.kind == "removed" else 99)
        if not (lo_from <= len(s.from_ids) <= hi_from and lo_to <= len(s.to_ids) <= hi_to):
            problems.append(src.at("mapping_arity", ("steps", n, "kind"), {
                "kind": s.kind, "from_count": len(s.from_ids), "to_count": len(s.to_ids)}))
        if s.kind == "same" and s.from_ids != s.to_ids:
            problems.append(src.at("mapping_same_renames", ("steps", n, "to"), {
                "from_ids": ", ".join(s.from_ids), "to_ids": ", ".join(s.to_ids)}))
        if s.kind != "same" and (s.why is None or set(s.why) != set(new.languages) or not all(s.why.values())):
            problems.append(src.at("mapping_why_missing", ("steps", n, "why") if s.why else ("steps", n), {
                "kind": s.kind, "ids": ", ".join(s.from_ids + s.to_ids), "languages": ", ".join(new.languages)}))
    if problems:
        raise MigrationError(problems)
    return Migration(new.id, old.version, new.version,
                     tuple(Step(s.kind, tuple(s.from_ids), tuple(s.to_ids), dict(s.why or {})) for s in parsed.steps))


def declared(qid: str) -> list[tuple[str, str]]:
    """(old, new) version pairs with a mapping file, in the order of their file names."""
    folder = ROOT / qid / "migrations"
    pairs = []
    for f in sorted(folder.glob("*.yml")) if folder.is_dir() else []:
        old, _, new = f.stem.partition("-")
        pairs.append((old, new))
    return pairs


@lru_cache(maxsize=8)
def get_migration(qid: str, old: str, new: str) -> Migration:
    """The validated mapping from ``old`` to ``new`` of a shipped questionnaire."""
    path = ROOT / qid / "migrations" / f"{old}-{new}.yml"
    name = f"{qid}/migrations/{path.name}"
    if not path.is_file():
        have = ", ".join(f"{a} → {b}" for a, b in declared(qid)) or "—"
        raise MigrationError([Problem("mapping_not_shipped", {"id": qid, "old": shown(old), "new": shown(new),
                                                              "declared": have}, file=name)])
    try:
        src = read_yaml(name, path.read_text(encoding="utf-8"))
    except Unreadable as exc:
        raise MigrationError([exc.problem]) from exc
    except UnicodeDecodeError as exc:
        raise MigrationError([Problem("yaml_unreadable", {"error": type(exc).__name__}, file=name)]) from exc
    return validate_mapping(src, get_questionnaire(qid, old), get_questionnaire(qid, new))
