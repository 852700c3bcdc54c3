"""The questionnaire as arrays: one cached frame per questionnaire, and applicability per profile group.

Scoring a cohort must not walk the pydantic model once per assessment. Everything scoring needs
about the questions (order, weights, groupings, tags, rules, targets) is extracted here once and
cached for as long as the questionnaire object lives.

Applicability is evaluated once per *distinct* profile: profiles are reduced to the few fields that
any rule reads, grouped, and each rule is evaluated once per group, not once per assessment.
"""

from __future__ import annotations

import json
import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

from questionnaires.schema import Question, Questionnaire, Rule


@dataclass(frozen=True, eq=False)
class Groups:
    """Groups of rows along one axis (questions, or child units) and three ways to sum them.

    Arrays are member-major (one row per question or unit, one column per assessment). Every way
    gives an assessment the same bits whether it is scored alone or among thousands, as a BLAS
    matrix product would not: :meth:`sum_whole` for whole numbers (exact in any order),
    :meth:`sum_in_order` for the few-unit roll-ups, :meth:`sum` (``np.add.reduceat``, one inner
    loop per output element) for floating sums of questions. A question may sit in several
    groups (principles, stages).
    """

    ids: tuple[str, ...]
    members: tuple[np.ndarray, ...]  # per group, the member column indices in axis order
    ncols: int
    _cols: np.ndarray
    _starts: np.ndarray
    _nonempty: np.ndarray
    _identity: bool

    @classmethod
    def build(cls, ids: Sequence[str], members: Sequence[Sequence[int]], ncols: int) -> Groups:
        arrays = tuple(np.asarray(m, dtype=np.intp) for m in members)
        sizes = np.array([len(m) for m in arrays], dtype=np.intp)
        cols = np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.intp)
        starts = (np.cumsum(sizes) - sizes)[sizes > 0]
        identity = len(cols) == ncols and bool(np.array_equal(cols, np.arange(ncols)))
        return cls(tuple(ids), arrays, ncols, cols, starts, sizes > 0, identity)

    def sum_whole(self, x: np.ndarray, dtype: np.dtype | type | None = None) -> np.ndarray:
        """Group sums of whole numbers along axis 0 (exact, so the order of addition is free).

        One vectorised reduction per group (a contiguous slice, or the gathered member rows): the
        loop is over groups (sub-dimensions, principles, stages), never over questions or
        assessments. Unlike a BLAS product it stays single-threaded, which on a busy two-core
        machine is several times faster than OpenBLAS threads waiting for a core. ``dtype`` sets
        the accumulator (e.g. int32 to count a boolean array).
        """
        out = np.zeros((len(self.ids), x.shape[1]), dtype=dtype or x.dtype)
        for g, members in enumerate(self.members):
            if not len(members):
                continue
            first, last = int(members[0]), int(members[-1])
            contiguous = last - first + 1 == len(members)
            np.add.reduce(x[first:last + 1] if contiguous else x[members], axis=0, out=out[g])
        return out

    def sum_in_order(self, x: np.ndarray) -> np.ndarray:
        """Group sums along axis 0, adding each group's member rows one after the other.

        For the roll-ups (sub-dimensions → dimensions → overall), whose inputs are not whole
        numbers: element-wise row additions in member order give every assessment the same bits
        however many are scored together, and over a handful of child units are the fastest way.
        """
        out = np.zeros((len(self.ids), x.shape[1]), dtype=x.dtype)
        for g, members in enumerate(self.members):
            for r in members:
                out[g] += x[r]
        return out

    def sum(self, x: np.ndarray) -> np.ndarray:
        """Group sums along axis 0: ``x`` (members × m) → (groups × m); an empty group sums to 0."""
        m = x.shape[1]
        if m == 0 or not self._starts.size:
            return np.zeros((len(self.ids), m), dtype=x.dtype)
        data = x if self._identity else x[self._cols]
        sums = np.add.reduceat(data, self._starts, axis=0)
        if self._nonempty.all():
            return sums
        out = np.zeros((len(self.ids), m), dtype=sums.dtype)
        out[self._nonempty] = sums
        return out


@dataclass(frozen=True, eq=False)
class QuestionFrame:
    """Everything scoring needs about one questionnaire, as a DataFrame and NumPy arrays.

    Axis order everywhere is questionnaire order (dimension, then sub-dimension, then question),
    which is also the documented tie-break order of the gap list.
    """

    questionnaire_id: str
    version: str
    questions: pd.DataFrame  # one row per question, questionnaire order (see ``_questions_table``)
    ids: pd.Index  # question ids
    position: dict[str, int]  # question id → axis position
    models: tuple[Question, ...]  # for texts such as recommendations
    weight: np.ndarray  # (Q,) float
    critical: np.ndarray  # (Q,) bool
    core: np.ndarray  # (Q,) bool
    dim_of: np.ndarray  # (Q,) dimension position of each question
    dim_ids: tuple[str, ...]
    dim_weight: np.ndarray
    sub_ids: tuple[str, ...]
    sub_weight: np.ndarray
    sub_dim: np.ndarray  # (S,) dimension position of each sub-dimension
    principle_ids: tuple[str, ...]
    stage_ids: tuple[str, ...]
    by_sub: Groups  # questions → sub-dimensions (contiguous)
    by_principle: Groups  # questions → principles
    by_stage: Groups  # questions → stages
    sub_to_dim: Groups  # sub-dimensions → dimensions
    dim_to_all: Groups  # dimensions → overall
    all_questions: Groups  # questions → overall
    rules: tuple[Rule, ...]  # distinct applicability rules
    rule_of: np.ndarray  # (Q,) index into ``rules``; -1 = applies to every profile
    profile_fields: tuple[str, ...]  # profile fields read by any rule (applicability or default preset)
    default_rules: tuple[tuple[Rule, str], ...]
    default_preset: str
    preset_ids: tuple[str, ...]
    preset_targets: np.ndarray  # (P, Q): target of each question under each preset
    # Exact arithmetic (see ``_scales``): weights × weight_scale and targets × target_scale are whole
    # numbers, so every question-level sum is exact and independent of summation order.
    exact: bool
    weight_scale: int
    target_scale: int
    scaled_weight: np.ndarray  # (Q,) whole numbers when exact
    scaled_targets: np.ndarray  # (P, Q) whole numbers when exact
    sum_dtype: np.dtype  # float32 when every exact sum stays below 2^23, else float64

    @property
    def n(self) -> int:
        return len(self.ids)

    def preset_index(self, preset_id: str) -> int:
        try:
            return self.preset_ids.index(preset_id)
        except ValueError:
            raise ValueError(f"unknown target preset '{preset_id}'; use one of {', '.join(self.preset_ids)}") from None


MAX_EXACT = 2.0**52  # every partial sum must stay below this to be an exact whole number in float64


def _denominator(values: Sequence[float]) -> int:
    """Least common denominator of numbers as written in the YAML (1.5 → 2, 1.25 → 4, 0.1 → 10)."""
    d = 1
    for v in values:
        d = math.lcm(d, Fraction(repr(float(v))).denominator)
    return d


def _scales(weights: Sequence[float], targets: np.ndarray) -> tuple[bool, int, int, float]:
    """Whether sums can be done exactly in whole numbers, and the scales that make them whole.

    Levels are whole; weights and targets are short decimals. Scaled by the least common
    denominators, Σ w·level, Σ w·target and Σ w·min(level, target) become sums of whole numbers,
    which float64 adds exactly (below 2^52) in any order. The engine can then sum in whatever order
    is fastest and still give every assessment the same bits alone or in any cohort; each score is
    one correctly rounded division of two exact sums. Odd weights (0.1 + 0.2 = 0.30000000000000004)
    fall back to ordinary floating sums in a fixed order.
    """
    dw = _denominator(weights)
    dt = _denominator(targets.ravel().tolist())
    bound = sum(float(Fraction(repr(float(w))) * dw) for w in weights) * 5 * dt
    exact = dw <= 10**6 and dt <= 10**6 and bound < MAX_EXACT
    return (True, dw, dt, bound) if exact else (False, 1, 1, bound)


def _rule_key(rule: Rule) -> str:
    def plain(r: Rule) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in r.conditions.items()}
        if r.any_of:
            out["any_of"] = [plain(x) for x in r.any_of]
        return out

    return json.dumps(plain(rule), sort_keys=True, default=str)


def _build(q: Questionnaire) -> QuestionFrame:
    rows: list[dict[str, Any]] = []
    models: list[Question] = []
    sub_members: list[list[int]] = []
    sub_ids: list[str] = []
    sub_weight: list[float] = []
    sub_dim: list[int] = []
    dim_members: list[list[int]] = []
    for d_pos, dim in enumerate(q.dimensions):
        dim_members.append([])
        for sub in dim.subdimensions:
            dim_members[-1].append(len(sub_ids))
            sub_members.append([])
            sub_dim.append(d_pos)
            for question in sub.questions:
                sub_members[-1].append(len(models))
                rows.append({
                    "id": question.id,
                    "dimension": dim.id,
                    "subdimension": sub.id,
                    "order": len(models),
                    "dim_order": d_pos,
                    "sub_order": len(sub_ids),
                    "weight": float(question.weight),
                    "sub_weight": float(sub.weight),
                    "dim_weight": float(dim.weight),
                    "critical": bool(question.critical),
                    "core": bool(question.core),
                    "principles": tuple(question.principles),
                    "stages": tuple(question.stages),
                })
                models.append(question)
            sub_ids.append(sub.id)
            sub_weight.append(float(sub.weight))

    nq = len(models)
    # Applicability: one entry per distinct rule, so each is evaluated once per profile group.
    rule_keys: dict[str, int] = {}
    rules: list[Rule] = []
    rule_of = np.full(nq, -1, dtype=np.intp)
    fields: dict[str, None] = {}
    for i, question in enumerate(models):
        rule = question.applies_if
        if rule is None or rule.is_empty():
            continue
        key = _rule_key(rule)
        if key not in rule_keys:
            rule_keys[key] = len(rules)
            rules.append(rule)
            fields.update(dict.fromkeys(rule.fields()))
        rule_of[i] = rule_keys[key]
    for default_rule in q.targets.default_rules:
        fields.update(dict.fromkeys(default_rule.when.fields()))

    table = pd.DataFrame(rows, columns=[
        "id", "dimension", "subdimension", "order", "dim_order", "sub_order", "weight", "sub_weight",
        "dim_weight", "critical", "core", "principles", "stages"])
    table["rule"] = rule_of
    weight = table["weight"].to_numpy(dtype=float)
    critical = table["critical"].to_numpy(dtype=bool)
    dim_of_q = table["dim_order"].to_numpy(dtype=np.intp)

    principle_ids = tuple(q.meta.principles)
    stage_ids = tuple(q.meta.stages)
    presets = q.targets.presets
    preset_targets = np.zeros((len(presets), nq))
    for p_pos, preset in enumerate(presets):
        by_dim = np.array([float(preset.levels.get(d.id, 0.0)) for d in q.dimensions])
        base = by_dim[dim_of_q] if nq else np.zeros(0)
        preset_targets[p_pos] = np.where(critical, np.maximum(base, float(preset.critical)), base)

    dim_ids = tuple(d.id for d in q.dimensions)
    exact, dw, dt, bound = _scales(weight.tolist(), preset_targets)
    # float32 holds whole numbers exactly up to 2^24 and halves the memory traffic; 2^23 leaves room
    # for a single weighted gap (≤ 2 × weight × 5 × target scale ≤ 2 × bound).
    sum_dtype = np.dtype(np.float32) if exact and bound < 2.0**23 else np.dtype(np.float64)
    if exact:
        scaled_weight = np.array([float(Fraction(repr(float(w))) * dw) for w in weight])
        scaled_targets = np.array([[float(Fraction(repr(float(t))) * dt) for t in row] for row in preset_targets])
        scaled_targets = scaled_targets.reshape(preset_targets.shape)
    else:
        scaled_weight, scaled_targets = weight.copy(), preset_targets.copy()
    by_sub = Groups.build(sub_ids, sub_members, nq)
    by_principle = Groups.build(principle_ids, [
        [i for i, m in enumerate(models) if p in m.principles] for p in principle_ids], nq)
    by_stage = Groups.build(stage_ids, [[i for i, m in enumerate(models) if s in m.stages] for s in stage_ids], nq)
    return QuestionFrame(
        questionnaire_id=q.id,
        version=q.version,
        questions=table,
        ids=pd.Index(table["id"].to_numpy(dtype=object), dtype=object, name="question_id"),
        position={m.id: i for i, m in enumerate(models)},
        models=tuple(models),
        weight=weight,
        critical=critical,
        core=table["core"].to_numpy(dtype=bool),
        dim_of=dim_of_q,
        dim_ids=dim_ids,
        dim_weight=np.array([float(d.weight) for d in q.dimensions]),
        sub_ids=tuple(sub_ids),
        sub_weight=np.array(sub_weight, dtype=float),
        sub_dim=np.array(sub_dim, dtype=np.intp),
        principle_ids=principle_ids,
        stage_ids=stage_ids,
        by_sub=by_sub,
        by_principle=by_principle,
        by_stage=by_stage,
        sub_to_dim=Groups.build(dim_ids, dim_members, len(sub_ids)),
        dim_to_all=Groups.build(("overall",), [list(range(len(dim_ids)))], len(dim_ids)),
        all_questions=Groups.build(("overall",), [list(range(nq))], nq),
        rules=tuple(rules),
        rule_of=rule_of,
        profile_fields=tuple(fields),
        default_rules=tuple((r.when, r.preset) for r in q.targets.default_rules),
        default_preset=q.targets.default,
        preset_ids=tuple(p.id for p in presets),
        preset_targets=preset_targets,
        exact=exact,
        weight_scale=dw,
        target_scale=dt,
        scaled_weight=scaled_weight,
        scaled_targets=scaled_targets,
        sum_dtype=sum_dtype,
    )


_CACHE: dict[int, tuple[weakref.ref[Questionnaire], QuestionFrame]] = {}
_LOCK = threading.Lock()


def question_frame(questionnaire: Questionnaire) -> QuestionFrame:
    """The cached :class:`QuestionFrame` of a questionnaire (built on first use, dropped with it).

    Questionnaire models are frozen, so the frame can never go stale; the cache holds only a weak
    reference, so loading many questionnaire versions does not leak memory.
    """
    key = id(questionnaire)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0]() is questionnaire:
            return hit[1]
    frame = _build(questionnaire)
    with _LOCK:
        _CACHE[key] = (weakref.ref(questionnaire), frame)
        weakref.finalize(questionnaire, _CACHE.pop, key, None)
    return frame


# --- applicability by profile group -------------------------------------------------------------

_LIST, _REPR = object(), object()  # mark stand-ins, so that they never equal a real profile value


def _freeze(value: Any) -> Any:
    """A hashable stand-in for a profile value; equal stand-ins always match rules alike.

    ``Rule.matches`` only asks whether a value (or, for a list, any element) equals an allowed
    value, so a list is represented by the set of its elements.
    """
    if isinstance(value, list):
        try:
            return (_LIST, frozenset(value))
        except TypeError:
            return (_REPR, repr(value))
    try:
        hash(value)
    except TypeError:
        return (_REPR, repr(value))
    return value


@dataclass(frozen=True, eq=False)
class ProfileGroups:
    codes: np.ndarray  # (A,) group of each assessment
    applies: np.ndarray  # (G, Q) bool: question applies to the group's profile
    default_preset: tuple[str, ...]  # (G,) the default target preset of the group's profile


def profile_groups(frame: QuestionFrame, profiles: Sequence[Mapping[str, Any] | None]) -> ProfileGroups:
    """Group profiles by the fields rules read, then evaluate each distinct rule once per group.

    Touching each profile dict once to build its key is unavoidable (they are Python objects);
    everything after that is per group, and groups are few (combinations of a handful of fields).
    """
    fields = frame.profile_fields
    lookup: dict[tuple[Any, ...], int] = {}
    try:  # fast path, column by column: scalar values and lists of scalars
        columns = []
        for fid in fields:
            column = [(p or {}).get(fid) for p in profiles]
            columns.append([(_LIST, frozenset(v)) if type(v) is list else v for v in column])
        keys = list(zip(*columns, strict=True)) if fields else [()] * len(profiles)
        codes = np.fromiter((lookup.setdefault(k, len(lookup)) for k in keys), dtype=np.intp, count=len(keys))
    except TypeError:  # something unhashable: a slower but safe stand-in for every value
        lookup.clear()
        keys = [tuple(_freeze((p or {}).get(fid)) for fid in fields) for p in profiles]
        codes = np.fromiter((lookup.setdefault(k, len(lookup)) for k in keys), dtype=np.intp, count=len(keys))
    _, first = np.unique(codes, return_index=True)  # first assessment of each group (codes are 0..G-1)
    representatives: list[Mapping[str, Any]] = [profiles[i] or {} for i in first]

    applies = np.ones((len(representatives), frame.n), dtype=bool)
    defaults: list[str] = []
    for g, p in enumerate(representatives):
        prof = dict(p)
        if frame.rules:
            matched = np.array([r.matches(prof) for r in frame.rules] + [True])
            applies[g] = matched[frame.rule_of]  # rule_of == -1 picks the trailing True
        defaults.append(next((preset for when, preset in frame.default_rules if when.matches(prof)),
                             frame.default_preset))
    return ProfileGroups(codes, applies, tuple(defaults))
