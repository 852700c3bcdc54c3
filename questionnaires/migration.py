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

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from questionnaires.loader import ROOT, get_questionnaire
from questionnaires.schema import LText, Questionnaire

Kind = Literal["same", "reworded", "split", "merged", "removed", "new"]
KINDS: tuple[str, ...] = ("same", "reworded", "split", "merged", "removed", "new")
_ARITY = {"same": (1, 1), "reworded": (1, 1), "split": (1, 2), "merged": (2, 1), "removed": (1, 0), "new": (0, 1)}


class MigrationError(ValueError):
    """A mapping file is missing or invalid; ``problems`` lists every error found."""

    def __init__(self, problems: list[str]):
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
        """Carry old answers (objects with level, na, justification, note) into the new version, as declared."""
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
            if not given:
                continue
            if s.kind == "merged":
                levels = [a.level for a in given if not a.na]
                if len(given) < len(s.from_ids):
                    continue  # a merged question is only as good as all its parts; some part is unknown
                source = min(given, key=lambda a: -1 if a.na else a.level) if levels else given[0]
                level, na = (min(levels), False) if levels else (None, True)
                notes = "\n".join(a.note for a in given if a.note)
                carried[s.to_ids[0]] = CarriedAnswer(level, na, "" if not na else source.justification, notes,
                                                     True, s.from_ids)
                continue
            a = given[0]
            for qid in s.to_ids:
                carried[qid] = CarriedAnswer(None if a.na else a.level, a.na, a.justification if a.na else "",
                                             a.note, s.kind != "same", s.from_ids)
        return CarryPlan(carried, tuple(dropped), tuple(new))

    def to_json(self) -> dict[str, Any]:
        return {"questionnaire": self.questionnaire_id, "from": self.from_version, "to": self.to_version,
                "steps": [{"kind": s.kind, "from": list(s.from_ids), "to": list(s.to_ids), "why": s.why}
                          for s in self.steps]}


def validate_mapping(doc: Any, old: Questionnaire, new: Questionnaire, file: str = "mapping") -> Migration:
    """The mapping in ``doc`` checked against both versions, or :class:`MigrationError` listing every problem."""
    try:
        parsed = _Doc.model_validate(doc)
    except ValidationError as exc:
        raise MigrationError([f"{file}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]) from exc
    problems: list[str] = []
    if (parsed.from_version, parsed.to_version) != (old.version, new.version):
        problems.append(f"{file}: maps {parsed.from_version} → {parsed.to_version}, expected {old.version} → "
                        f"{new.version}.")
    old_ids = [x.id for x in old.questions()]
    new_ids = [x.id for x in new.questions()]
    seen_old = Counter(i for s in parsed.steps for i in s.from_ids)
    seen_new = Counter(i for s in parsed.steps for i in s.to_ids)
    for i in old_ids:
        if seen_old[i] != 1:
            problems.append(f"{file}: {old.version} question {i} appears in {seen_old[i]} steps' 'from' "
                            "(every old question exactly once).")
    for i in new_ids:
        if seen_new[i] != 1:
            problems.append(f"{file}: {new.version} question {i} appears in {seen_new[i]} steps' 'to' "
                            "(every new question exactly once).")
    problems += [f"{file}: '{i}' is not a question of {old.version}." for i in seen_old if i not in old_ids]
    problems += [f"{file}: '{i}' is not a question of {new.version}." for i in seen_new if i not in new_ids]
    for n, s in enumerate(parsed.steps, 1):
        lo_from, lo_to = _ARITY[s.kind]
        hi_from = 1 if s.kind in ("same", "reworded", "split", "removed") else (0 if s.kind == "new" else 99)
        hi_to = 1 if s.kind in ("same", "reworded", "merged", "new") else (0 if s.kind == "removed" else 99)
        if not (lo_from <= len(s.from_ids) <= hi_from and lo_to <= len(s.to_ids) <= hi_to):
            problems.append(f"{file}: step {n} ({s.kind}) maps {len(s.from_ids)} → {len(s.to_ids)} questions; "
                            f"'{s.kind}' needs {_arity_text(s.kind)}.")
        if s.kind == "same" and s.from_ids != s.to_ids:
            problems.append(f"{file}: step {n} is 'same' but changes the id {s.from_ids} → {s.to_ids}; "
                            "use 'reworded'.")
        if s.kind != "same" and (s.why is None or set(s.why) != set(new.languages) or not all(s.why.values())):
            problems.append(f"{file}: step {n} ({s.kind} {', '.join(s.from_ids + s.to_ids)}) needs 'why' in "
                            f"{', '.join(new.languages)}.")
    if problems:
        raise MigrationError(problems)
    return Migration(new.id, old.version, new.version,
                     tuple(Step(s.kind, tuple(s.from_ids), tuple(s.to_ids), dict(s.why or {})) for s in parsed.steps))


def _arity_text(kind: str) -> str:
    return {"same": "one id, unchanged", "reworded": "one old and one new question",
            "split": "one old and two or more new questions", "merged": "two or more old and one new question",
            "removed": "one old question and none new", "new": "no old question and one new"}[kind]


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
    if not path.is_file():
        have = ", ".join(f"{a} → {b}" for a, b in declared(qid)) or "none"
        raise MigrationError([f"no mapping from {qid} {old} to {new} is shipped (declared: {have})."])
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MigrationError([f"{path.name}: not valid YAML ({exc})."]) from exc
    return validate_mapping(doc, get_questionnaire(qid, old), get_questionnaire(qid, new), path.name)
