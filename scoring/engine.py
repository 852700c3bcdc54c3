"""The scoring engine: the documented method (docs/scoring.md) for one assessment or a whole cohort.

There is one implementation. :func:`score_cohort` scores many assessments in one vectorised pass
over dense (question × assessment) arrays; :func:`score_assessment` runs the very same pass on a
single assessment. Question-level sums are sums of whole numbers (weights and targets scaled by
their common denominators, see ``scoring.frame._scales``), exact in any order, and the roll-ups use
``np.add.reduceat``, which reduces each element on its own: an assessment scored alone and the same
assessment inside a cohort of 10,000 get bit-identical results.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from enums import AssessmentForm
from questionnaires.schema import Questionnaire
from scoring.frame import Groups, QuestionFrame, profile_groups, question_frame
from scoring.types import AnswerInput, AssessmentResult, Band, GapRow, UnitKind, UnitScore, WhyItem

EPS = 1e-9  # floating tolerance for level = floor(score) and for the band thresholds
HIGH, MEDIUM = 4.0, 2.0  # band thresholds on priority
BANDS: tuple[Band, ...] = ("low", "medium", "high")  # index = band code 0, 1, 2 (-1 = no gap)


def level_of(score: float) -> int:
    """Maturity level of a score: floor(score), tolerant of floating error (2.9999999999 → 3)."""
    return int(np.floor(score + EPS))


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    return np.divide(num, den, out=np.full(num.shape, np.nan), where=den > 0)


@dataclass(frozen=True, eq=False)
class Units:
    """One kind of unit for every assessment, as (units × assessments) arrays."""

    ids: tuple[str, ...]
    score: np.ndarray  # NaN = not scored
    target: np.ndarray  # NaN where not scored
    applicable: np.ndarray  # int64 counts
    answered: np.ndarray
    na: np.ndarray

    @cached_property
    def level(self) -> np.ndarray:
        return np.floor(self.score + EPS)

    @cached_property
    def completeness(self) -> np.ndarray:
        return _divide(self.answered.astype(float), self.applicable.astype(float))


def _split(x: np.ndarray, k: int) -> list[np.ndarray]:
    n = x.shape[1] // k
    return [x[:, j * n:(j + 1) * n] for j in range(k)]


def _question_units(ids: tuple[str, ...], sums: np.ndarray, n: int, target_scale: int,
                    counts: list[np.ndarray]) -> Units:
    """Units scored directly from questions: Σw·level / Σw and Σw·target / Σw over scored questions.

    ``sums``: group sums of Σw, Σw·level, Σw·target (n columns each, side by side); ``counts``:
    applicable, answered and N/A counts per group.
    """
    ws, wl, wt = (sums[:, k * n:(k + 1) * n] for k in range(3))
    return Units(ids, _divide(wl, ws), _divide(wt, ws * target_scale), *counts)


def _rollup(child: Units, weight: np.ndarray, groups: Groups) -> Units:
    """Weighted mean of the scored child units (weights ``weight``); unscored children are left out."""
    scored = ~np.isnan(child.score)
    cw = np.where(scored, weight[:, None], 0.0)
    den, num, tnum = _split(groups.sum_in_order(np.concatenate([
        cw, cw * np.where(scored, child.score, 0.0), cw * np.where(scored, child.target, 0.0)], axis=1)), 3)
    app, ans, na = _split(groups.sum_in_order(np.concatenate([child.applicable, child.answered, child.na], axis=1)), 3)
    return Units(groups.ids, _divide(num, den), _divide(tnum, den), app, ans, na)


def _check_levels(levels: np.ndarray) -> None:
    valid = levels[~np.isnan(levels)]
    wrong = (valid < 0) | (valid > 5) | (valid != np.floor(valid))
    if wrong.any():
        raise ValueError(f"level {float(valid[wrong][0])!r} is not a whole number from 0 to 5")


def _float(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


class CohortScores:
    """Scores of many assessments, computed in one pass; the single source of truth for results.

    Wide score frames (:meth:`scores`: index ``assessment_id``, one float column per unit, NaN = not
    scored) are what a release is built from (:mod:`benchmarking.statistics`). :meth:`result` gives the
    full :class:`AssessmentResult` of one assessment, identical to :func:`score_assessment`'s.
    """

    def __init__(self, frame: QuestionFrame, index: pd.Index, profiles: list[dict[str, Any]],
                 presets: np.ndarray, forms: np.ndarray, level: np.ndarray, na: np.ndarray) -> None:
        """Score ``level``/``na``: (questions × assessments) arrays, NaN = no level.

        Use :func:`score_cohort` or :func:`score_assessment`, which build and check these arrays.
        """
        self.frame = frame
        self.index = index
        self.forms = forms
        self._profiles = profiles
        self._compute(presets, forms, level, na)

    # --- the one vectorised pass ------------------------------------------------------------------
    # Internally every array is question-major, (questions × assessments): a group's members are
    # whole contiguous rows. The public (assessments × questions) arrays are transposed views.

    def _compute(self, presets: np.ndarray, forms: np.ndarray, level: np.ndarray, na: np.ndarray) -> None:
        f = self.frame
        n = len(self.index)
        profiles = profile_groups(f, self._profiles)

        bad_forms = sorted(set(pd.unique(forms)) - set(AssessmentForm), key=str)
        if bad_forms:
            raise ValueError(f"unknown form(s) {', '.join(map(repr, bad_forms))}; use {' or '.join(map(repr, map(str, AssessmentForm)))}")
        applicable = profiles.applies.T[:, profiles.codes]
        core_rows = forms == AssessmentForm.CORE
        if core_rows.any():
            applicable &= ~(core_rows[None, :] & ~f.core[:, None])

        # Target preset: the given one, else the default of the assessment's profile.
        default_idx = np.array([f.preset_index(p) for p in profiles.default_preset], dtype=np.intp)
        missing = pd.isna(presets)
        preset_idx = default_idx[profiles.codes] if n else np.zeros(0, dtype=np.intp)
        if (~missing).any():
            codes, uniques = pd.factorize(presets[~missing])
            preset_idx[~missing] = np.array([f.preset_index(str(u)) for u in uniques], dtype=np.intp)[codes]
        self.preset_idx = preset_idx

        # Weights and targets scaled to whole numbers when the frame is exact (scoring.frame._scales).
        dt = f.sum_dtype
        e = f.target_scale
        scaled_target = f.scaled_targets.astype(dt).T[:, preset_idx]
        has_level = ~np.isnan(level)
        if na.any():
            has_level &= ~na
        scored = applicable & has_level
        answered = applicable & (has_level | na)
        lvl = np.where(scored, level, 0).astype(dt, copy=False)
        # The four weighted quantities to sum go side by side into one (questions × 4n) block:
        # Σw, Σw·level, Σw·target, Σw·min(level, target) (the last only for the overall).
        block = np.empty((f.n, 4 * n), dtype=dt)
        ws, wl, wt, wmin = (block[:, k * n:(k + 1) * n] for k in range(4))
        np.multiply(scored, f.scaled_weight.astype(dt)[:, None], out=ws)
        np.multiply(ws, lvl, out=wl)
        np.multiply(ws, scaled_target, out=wt)
        level_e = lvl if e == 1 else lvl * dt.type(e)
        np.multiply(ws, np.minimum(level_e, scaled_target), out=wmin)
        flags = (applicable, answered, applicable & na)
        if f.exact:  # whole numbers: exact in any order of addition
            sums = [f.by_sub.sum_whole(block), f.by_principle.sum_whole(block[:, :3 * n]),
                    f.by_stage.sum_whole(block[:, :3 * n])]
            total = sums[0].astype(np.float64).sum(axis=0, keepdims=True)  # all questions = all sub-dimensions
        else:  # fixed per-element summation order, so still the same bits alone or in a cohort
            sums = [f.by_sub.sum(block), f.by_principle.sum(block[:, :3 * n]), f.by_stage.sum(block[:, :3 * n])]
            total = f.all_questions.sum(block)
        units = []
        counter = np.uint8 if f.n < 256 else np.uint32  # bytes add fastest; no group can overflow
        for grouping, group_sums in zip((f.by_sub, f.by_principle, f.by_stage), sums, strict=True):
            counts = [grouping.sum_whole(flag.view(np.uint8), dtype=counter).astype(np.int64) for flag in flags]
            units.append(_question_units(grouping.ids, group_sums.astype(np.float64), n, f.target_scale, counts))
        sub, principle, stage = units
        dim = _rollup(sub, f.sub_weight, f.sub_to_dim)
        overall = _rollup(dim, f.dim_weight, f.dim_to_all)
        self.units: dict[UnitKind, Units] = {
            "overall": overall, "dimension": dim, "subdimension": sub, "principle": principle, "stage": stage}

        # Percent to target = Σw·min(level, target) / Σw·target over scored questions.
        wsum, _, den, num = _split(total, 4)
        pct = np.where(den > 0, num / np.where(den > 0, den, 1.0), 1.0)
        self.percent = np.where(wsum > 0, pct, np.nan)[0]

        # Gaps: scored questions below target; priority = gap × w × (2 if critical else 1). In
        # scaled units (× weight_scale × target_scale) it is a whole number when exact, so the band
        # thresholds compare exactly; the float priority is derived only when asked for.
        gap = scaled_target - level_e
        is_gap = scored & (gap > 0)
        factor = np.where(f.critical, 2, 1).astype(dt) * f.scaled_weight.astype(dt)
        weighted = gap * factor[:, None]
        unit = float(f.weight_scale * e)
        slack = 0.5 if f.exact else EPS * unit  # below a whole-number threshold / floating tolerance
        band = np.where(is_gap, (weighted >= MEDIUM * unit - slack).view(np.int8)
                        + (weighted >= HIGH * unit - slack).view(np.int8), -1).astype(np.int8)
        self._weighted_gap, self._priority_unit = weighted, unit
        target = f.preset_targets.T[:, preset_idx]
        # Public (assessments × questions) views.
        self.level, self.na, self.target = level.T, na.T, target.T
        self.applicable, self.scored, self.answered = applicable.T, scored.T, answered.T
        self.band = band.T

    @cached_property
    def priority(self) -> np.ndarray:
        """(assessments × questions) gap priority, NaN where the question is not a gap."""
        weighted = self._weighted_gap.T.astype(np.float64)  # one correctly rounded division below
        return np.where(self.band >= 0, weighted / self._priority_unit, np.nan)

    # --- per-assessment frames ----------------------------------------------------------------------

    def _wide(self, values: np.ndarray, columns: Sequence[str]) -> pd.DataFrame:
        """(units × assessments) → DataFrame indexed by assessment, one column per unit."""
        return pd.DataFrame(values.T, index=self.index, columns=pd.Index(list(columns), dtype=object))

    def scores(self, kind: UnitKind) -> pd.DataFrame:
        """Scores of one kind of unit: one float column per unit, NaN = not scored."""
        u = self.units[kind]
        return self._wide(u.score, u.ids)

    def levels(self, kind: UnitKind) -> pd.DataFrame:
        """Maturity levels (floor of the score) as nullable integers; <NA> = not scored."""
        u = self.units[kind]
        return self._wide(u.level, u.ids).astype("Int64")

    def targets(self, kind: UnitKind) -> pd.DataFrame:
        u = self.units[kind]
        return self._wide(u.target, u.ids)

    def all_scores(self, kinds: Sequence[UnitKind] = ("overall", "dimension", "subdimension")) -> pd.DataFrame:
        """Scores of several kinds side by side (unit ids never collide across kinds)."""
        return pd.concat([self.scores(k) for k in kinds], axis=1)

    @property
    def completeness(self) -> pd.DataFrame:
        """answered / applicable, overall and per dimension; NaN where nothing applies."""
        o, d = self.units["overall"], self.units["dimension"]
        return self._wide(np.vstack([o.completeness, d.completeness]), ("overall", *d.ids))

    @property
    def percent_to_target(self) -> pd.Series:
        """Σw·min(level, target) / Σw·target over scored questions; NaN when none is scored."""
        return pd.Series(self.percent, index=self.index, name="percent_to_target")

    @property
    def info(self) -> pd.DataFrame:
        """Per assessment: target preset, form, question counts and gap counts by band."""
        o = self.units["overall"]
        return pd.DataFrame({
            "target_preset": np.asarray(self.frame.preset_ids, dtype=object)[self.preset_idx],
            "form": self.forms,
            "applicable": o.applicable[0],
            "answered": o.answered[0],
            "na": o.na[0],
            "to_answer": (self.applicable & ~self.answered).sum(axis=1),
            "gaps_high": (self.band == 2).sum(axis=1),
            "gaps_medium": (self.band == 1).sum(axis=1),
            "gaps_low": (self.band == 0).sum(axis=1),
        }, index=self.index)

    def gaps(self) -> pd.DataFrame:
        """Every gap row of every assessment, each assessment's rows in gap-list order.

        Id and band columns are categoricals (cheap for hundreds of thousands of rows).
        """
        f = self.frame
        rows, cols = np.nonzero(self.band >= 0)
        prio = self.priority[rows, cols]
        order = np.lexsort((cols, f.dim_of[cols], -np.round(prio, 9), rows))
        rows, cols, prio = rows[order], cols[order], prio[order]
        lvl = self.level[rows, cols].astype(np.float64)
        tgt = self.target[rows, cols]
        q = f.questions

        def category(codes: np.ndarray, labels: Sequence[str]) -> pd.Categorical:
            return pd.Categorical.from_codes(codes, categories=pd.Index(list(labels), dtype=object))

        return pd.DataFrame({
            "assessment_id": self.index.to_numpy()[rows],
            "question_id": category(cols, f.ids),
            "dimension_id": category(f.dim_of[cols], f.dim_ids),
            "subdimension_id": category(q["sub_order"].to_numpy()[cols], f.sub_ids),
            "level": lvl.astype(np.int64),
            "target": tgt,
            "gap": tgt - lvl,
            "weight": f.weight[cols],
            "critical": f.critical[cols],
            "priority": prio,
            "band": category(self.band[rows, cols].astype(np.intp), BANDS),
        })

    # --- one assessment -----------------------------------------------------------------------------

    def _row(self, assessment_id: Hashable) -> int:
        try:
            pos = self.index.get_loc(assessment_id)
        except KeyError:
            raise KeyError(f"assessment {assessment_id!r} is not in this cohort") from None
        return int(pos)

    def result(self, assessment_id: Hashable) -> AssessmentResult:
        """The full result of one assessment (the same object :func:`score_assessment` returns)."""
        i = self._row(assessment_id)
        f = self.frame
        ids, w, scored = f.ids, f.weight, self.scored[i]

        levels = self.level[i]

        def question_why(members: np.ndarray) -> tuple[WhyItem, ...]:
            kept = members[scored[members]]  # whole arrays to Python at once, not one numpy scalar at a time
            return tuple(map(WhyItem, [ids[q] for q in kept.tolist()], w[kept].tolist(),
                             levels[kept].astype(np.int64).tolist()))

        def child_why(child: Units, weight: np.ndarray, members: np.ndarray) -> tuple[WhyItem, ...]:
            return tuple(WhyItem(child.ids[c], float(weight[c]), float(child.score[c, i]))
                         for c in members if not np.isnan(child.score[c, i]))

        def unit(kind: UnitKind, j: int, why: tuple[WhyItem, ...]) -> UnitScore:
            u = self.units[kind]
            score = _float(u.score[j, i])
            return UnitScore(
                kind=kind, id=u.ids[j], score=score,
                level=None if score is None else int(u.level[j, i]),
                target=_float(u.target[j, i]),
                applicable=int(u.applicable[j, i]), answered=int(u.answered[j, i]), na=int(u.na[j, i]),
                completeness=_float(u.completeness[j, i]), why=why)

        units = self.units
        subs = tuple(unit("subdimension", j, question_why(m)) for j, m in enumerate(f.by_sub.members))
        dims = tuple(unit("dimension", d, child_why(units["subdimension"], f.sub_weight, m))
                     for d, m in enumerate(f.sub_to_dim.members))
        overall = unit("overall", 0, child_why(units["dimension"], f.dim_weight, f.dim_to_all.members[0]))
        principles = tuple(unit("principle", j, question_why(m)) for j, m in enumerate(f.by_principle.members))
        stages = tuple(unit("stage", j, question_why(m)) for j, m in enumerate(f.by_stage.members))

        gap_q = np.flatnonzero(self.band[i] >= 0)
        gap_q = gap_q[np.lexsort((gap_q, f.dim_of[gap_q], -np.round(self.priority[i, gap_q], 9)))]
        dimension_of, subdimension_of = f.questions["dimension"].to_numpy(), f.questions["subdimension"].to_numpy()
        gaps = []
        for c in gap_q:
            lvl = int(self.level[i, c])
            tgt = float(self.target[i, c])
            gaps.append(GapRow(
                question_id=ids[c], dimension_id=str(dimension_of[c]), subdimension_id=str(subdimension_of[c]),
                level=lvl, target=tgt, gap=tgt - lvl, weight=float(w[c]), critical=bool(f.critical[c]),
                priority=float(self.priority[i, c]), band=BANDS[self.band[i, c]],
                recommendation=dict(f.models[c].recommendations[lvl])))  # type: ignore[index]

        applicable = self.applicable[i]
        return AssessmentResult(
            questionnaire_id=f.questionnaire_id,
            questionnaire_version=f.version,
            profile=dict(self._profiles[i] or {}),
            target_preset=f.preset_ids[self.preset_idx[i]],
            form=AssessmentForm(self.forms[i]),
            overall=overall,
            dimensions=dims,
            subdimensions=subs,
            principles=principles,
            stages=stages,
            percent_to_target=_float(self.percent[i]),
            gaps=tuple(gaps),
            to_answer=tuple(ids[q] for q in np.flatnonzero(applicable & ~self.answered[i])),
            applicable=tuple(ids[q] for q in np.flatnonzero(applicable)),
        )


# --- public API ------------------------------------------------------------------------------------

def _as_answer(value: Any) -> tuple[float, bool]:
    if value is None:
        return np.nan, False
    if isinstance(value, AnswerInput):
        level, na = value.level, value.na
    elif isinstance(value, Mapping):
        level, na = value.get("level"), bool(value.get("na", False))
    else:
        level, na = getattr(value, "level", value), bool(getattr(value, "na", False))
    if na:
        return np.nan, True  # N/A wins over a stale level left behind in a form
    if level is None:
        return np.nan, False
    if isinstance(level, bool) or not isinstance(level, int | float | np.integer | np.floating):
        raise ValueError(f"level {level!r} is not a whole number from 0 to 5")
    return float(level), False


def score_assessment(
    questionnaire: Questionnaire,
    profile: dict[str, Any],
    answers: Mapping[str, AnswerInput],
    target_preset: str | None = None,
    form: AssessmentForm = AssessmentForm.FULL,
) -> AssessmentResult:
    """Score one assessment by the documented method (a one-row run of the cohort pass).

    ``answers`` maps question id → :class:`AnswerInput` (a level 0..5, N/A, or neither). Answers to
    questions that do not apply (profile, or the short form) are ignored. ``target_preset`` None
    means the questionnaire's default for the profile. Raises ValueError on unknown question ids,
    levels outside 0..5, an unknown preset or form.
    """
    frame = question_frame(questionnaire)
    level = np.full((frame.n, 1), np.nan, dtype=np.float32)
    na = np.zeros((frame.n, 1), dtype=bool)
    unknown = [qid for qid in answers if qid not in frame.position]
    if unknown:
        raise ValueError(f"unknown question id(s): {', '.join(map(str, unknown))}")
    positions = np.fromiter((frame.position[qid] for qid in answers), dtype=np.intp, count=len(answers))
    given = np.empty(len(answers), dtype=np.float64)
    for k, value in enumerate(answers.values()):
        given[k], na[positions[k], 0] = _as_answer(value)
    _check_levels(given)  # before float32 storage could round e.g. 2.0000001 to 2; the first wrong one is named
    level[positions, 0] = given
    cohort = CohortScores(frame, pd.Index([0]), [profile], np.array([target_preset], dtype=object),
                          np.array([form], dtype=object), level, na)
    return cohort.result(0)


def _arrow_positions(index: pd.Index, values: pd.Series) -> np.ndarray | None:
    """Positions of Arrow-backed string ids via ``pyarrow.compute.index_in`` (pandas 3's default
    string storage), about twice as fast as factorising; None when not applicable or any id is
    unknown (the general path then names the unknown ids)."""
    if not isinstance(values.dtype, pd.StringDtype) or not hasattr(values.array, "__arrow_array__"):
        return None
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pandas' string storage implies pyarrow
        return None
    try:
        wanted = pa.array(list(index), type=pa.string())
    except (pa.ArrowException, TypeError):  # e.g. integer ids: not a string lookup
        return None
    found = pc.index_in(values.array.__arrow_array__(), value_set=wanted)
    if found.null_count:
        return None
    return found.to_numpy().astype(np.intp, copy=False)


def _ids_to_positions(index: pd.Index, values: pd.Series, what: str) -> np.ndarray:
    """Positions of ``values`` in ``index``; an unknown or missing value is an error.

    Integer ids are looked up directly; other ids (strings) are factorised first, so that the
    hash lookups are done once per distinct id, not once per answer.
    """
    arrow = _arrow_positions(index, values)
    if arrow is not None:
        return arrow
    if pd.api.types.is_integer_dtype(values.dtype) and pd.api.types.is_integer_dtype(index.dtype):
        pos = index.get_indexer(values)
        if (pos < 0).any():
            unknown = pd.unique(values[pos < 0])[:5]
            raise ValueError(f"unknown {what}(s) in answers: {', '.join(map(repr, unknown))}")
        return pos
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    pos = index.get_indexer(uniques)
    if (pos < 0).any() or (codes < 0).any():
        unknown = [repr(u) for u, p in zip(uniques, pos, strict=True) if p < 0][:5]
        raise ValueError(f"unknown {what}(s) in answers: {', '.join(unknown) or 'missing (NaN)'}")
    return pos[codes]


def score_cohort(questionnaire: Questionnaire, assessments: pd.DataFrame, answers: pd.DataFrame) -> CohortScores:
    """Score many assessments at once: one vectorised pass, no Python loop per assessment or question.

    ``assessments``: columns ``assessment_id`` (unique), ``profile`` (dict), optional
    ``target_preset`` (str or None = the profile's default) and ``form`` ('full' or 'core', default
    'full'). ``answers``: ``assessment_id``, ``question_id``, ``level`` (0..5 or missing), ``na``
    (bool); at most one row per (assessment, question).
    """
    frame = question_frame(questionnaire)
    for col in ("assessment_id", "profile"):
        if col not in assessments.columns:
            raise ValueError(f"assessments needs a '{col}' column")
    for col in ("assessment_id", "question_id"):
        if col not in answers.columns:
            raise ValueError(f"answers needs a '{col}' column")
    index = pd.Index(assessments["assessment_id"].to_numpy(), name="assessment_id")
    if not index.is_unique:
        raise ValueError(f"assessment ids repeat: {', '.join(map(repr, index[index.duplicated()][:5]))}")
    n = len(index)
    presets = (assessments["target_preset"].to_numpy(dtype=object) if "target_preset" in assessments.columns
               else np.full(n, None, dtype=object))
    forms = (assessments["form"].fillna(AssessmentForm.FULL).to_numpy(dtype=object) if "form" in assessments.columns
             else np.full(n, AssessmentForm.FULL, dtype=object))

    rows = _ids_to_positions(index, answers["assessment_id"], "assessment id")
    cols = _ids_to_positions(frame.ids, answers["question_id"], "question id")
    # One int8 mark per answer row (1, or 2 when N/A): fewer marks than rows means a repeated pair.
    marks = np.zeros((frame.n, n), dtype=np.int8)
    marks[cols, rows] = 1 + answers["na"].fillna(False).to_numpy(dtype=bool) if "na" in answers.columns else 1
    if np.count_nonzero(marks) != len(answers):
        dup = answers[pd.Series(rows * frame.n + cols).duplicated().to_numpy()].iloc[0]
        raise ValueError(f"assessment {dup['assessment_id']!r} answers question {dup['question_id']} twice")
    na = marks == 2
    level = np.full((frame.n, n), np.nan, dtype=np.float32)
    if "level" in answers.columns:
        given = answers["level"].to_numpy(dtype=float, na_value=np.nan)
        _check_levels(given)  # before float32 storage could round e.g. 2.0000001 to 2
        level[cols, rows] = given
    return CohortScores(frame, index, list(assessments["profile"]), presets, forms, level, na)
