"""The questionnaire schema: pydantic models for shape, explicit checks for content rules.

Validation runs in two passes so that every error can name its place:
1. shape: each YAML document is validated by pydantic (types, required fields, level keys);
2. content: languages, vocabularies, unique ids, applicability fields, crosswalk ids, targets.
Every problem is a :class:`problems.Problem` with its own catalogue code (``unknown_crosswalk_id``,
``text_language_missing`` …), carrying the file, the YAML path, the line and the id of the question
(or other object) it is in, in the manner of pyxform's error messages (questionnaires/located.py).
:class:`QuestionnaireError` is the only exception the loader raises for bad input.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, BeforeValidator, ConfigDict, Discriminator, Field, Tag, field_validator
from pydantic_core import PydanticCustomError

import problems

LText = dict[str, str]
LEVELS = (0, 1, 2, 3, 4, 5)


class QuestionnaireError(ValueError):
    """The questionnaire files are invalid; ``problems`` lists every error found."""

    def __init__(self, found: list[problems.Problem]):
        self.problems = found
        lines = "\n".join(f"  - {p}" for p in found)
        super().__init__(f"{len(found)} problem(s) in the questionnaire:\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- applicability ---------------------------------------------------------------------------

Scalar = str | bool | int


class Rule(_Strict):
    """``applies_if``/``when``: field → allowed value(s), all must match; ``any_of`` adds an OR."""

    model_config = ConfigDict(extra="allow", frozen=True)
    any_of: list[Rule] | None = None

    @property
    def conditions(self) -> dict[str, list[Scalar]]:
        extra = self.model_extra or {}
        return {k: (v if isinstance(v, list) else [v]) for k, v in extra.items()}

    def is_empty(self) -> bool:
        return not self.conditions and not self.any_of

    def matches(self, profile: dict[str, Any]) -> bool:
        for fid, allowed in self.conditions.items():
            value = profile.get(fid)
            values = value if isinstance(value, list) else [value]
            if not any(v in allowed for v in values):
                return False
        return not self.any_of or any(r.matches(profile) for r in self.any_of)

    def fields(self) -> dict[str, list[Scalar]]:
        out = dict(self.conditions)
        for r in self.any_of or []:
            for k, v in r.fields().items():
                out.setdefault(k, []).extend(v)
        return out


# --- content ---------------------------------------------------------------------------------

Relation = Literal["equal", "superset", "subset", "intersect"]
RELATIONS: tuple[str, ...] = get_args(Relation)


def _known_relation(value: Any) -> Any:
    """A relationship outside :data:`RELATIONS` (e.g. CISO Assistant's ``not_related``, a typo, nothing) gets its
    own code, at the item's key (the fix says that an unrelated item is left out)."""
    if not isinstance(value, str) or value not in RELATIONS:
        raise PydanticCustomError("crosswalk_relation_unknown", "not a relationship type")
    return value


# A list (1.0.0) or a mapping id → relationship; the discriminator validates only the form written, so a bad
# relationship is one problem, not a second one saying the mapping is "not a list". The tags are bracketed so
# that a problem's YAML path leaves them out, like pydantic's own union member names.
Refs = Annotated[
    Annotated[list[str], Tag("[list]")] | Annotated[dict[str, Annotated[Relation, BeforeValidator(_known_relation)]],
                                                    Tag("[mapping]")],
    Discriminator(lambda v: "[list]" if isinstance(v, list) else "[mapping]")]


class Crosswalk(_Strict):
    """Framework items a question corresponds to, per scheme (ids from questionnaires/frameworks.yml).

    Either a plain list (1.0.0: the relationship was not stated, read as ``intersect``) or a mapping
    id → relationship: ``equal`` (the question asks exactly for the item), ``superset`` (for all of it
    and more), ``subset`` (for a part of it) or ``intersect`` (they overlap).
    """

    nist_ai_rmf: Refs = Field(default_factory=list)
    iso42001: Refs = Field(default_factory=list)
    tc260: Refs = Field(default_factory=list)
    eu_ai_act: Refs = Field(default_factory=list)

    @field_validator("tc260", mode="before")
    @classmethod
    def _numbers_as_text(cls, v: Any) -> Any:
        # YAML reads an unquoted 5.4 as a float; the section number is what was meant.
        if isinstance(v, dict):
            return {str(k) if isinstance(k, int | float) else k: r for k, r in v.items()}
        return [str(x) if isinstance(x, int | float) else x for x in v] if isinstance(v, list) else v

    def refs(self, scheme: str) -> list[tuple[str, str]]:
        """(id, relationship) pairs of one scheme, in the order written."""
        value = getattr(self, scheme)
        return list(value.items()) if isinstance(value, dict) else [(ref, "intersect") for ref in value]


Framework = Literal["caict", "tc260", "nist_ai_rmf", "iso42001", "eu_ai_act"]


class PracticeSource(_Strict):
    """Where a practice comes from: the CAICT report (chapter/section) or the external framework that adds it."""

    framework: Framework
    where: LText


class Question(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Z]{2,5}-[A-Z]{2,5}-\d{2}$")]
    weight: Annotated[float, Field(gt=0, le=10)] = 1.0
    critical: bool = False
    core: bool = False
    principles: list[str] = Field(min_length=1)
    stages: list[str] = Field(min_length=1)
    applies_if: Rule | None = None
    text: LText
    guidance: LText
    evidence: dict[str, list[str]]
    levels: dict[Literal[1, 2, 3, 4, 5], LText]
    recommendations: dict[Literal[0, 1, 2, 3, 4], LText]
    crosswalk: Crosswalk = Field(default_factory=Crosswalk)
    source: PracticeSource | None = None

    @field_validator("levels")
    @classmethod
    def _five_levels(cls, v: dict[int, LText]) -> dict[int, LText]:
        if sorted(v) != [1, 2, 3, 4, 5]:  # the code is the catalogue's (problems.CATALOGUE)
            raise PydanticCustomError("levels_not_five", "needs exactly the levels 1 to 5",
                                      {"keys": ", ".join(map(str, sorted(v)))})
        return v

    @field_validator("recommendations")
    @classmethod
    def _five_recommendations(cls, v: dict[int, LText]) -> dict[int, LText]:
        if sorted(v) != [0, 1, 2, 3, 4]:
            raise PydanticCustomError("recommendations_not_five", "needs one recommendation for each level 0 to 4",
                                      {"keys": ", ".join(map(str, sorted(v)))})
        return v


class SubDimension(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Z]{2,5}-[A-Z]{2,5}$")]
    weight: Annotated[float, Field(gt=0, le=10)] = 1.0
    name: LText
    description: LText
    questions: list[Question] = Field(min_length=1)


class Dimension(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Z]{2,5}$")]
    order: int
    weight: Annotated[float, Field(gt=0, le=10)] = 1.0
    name: LText
    description: LText
    subdimensions: list[SubDimension] = Field(min_length=1)


class ScaleLevel(_Strict):
    level: int
    name: LText
    description: LText


class Source(_Strict):
    publisher: LText
    title: LText
    date: str | int
    note: LText | None = None


class Meta(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,60}$")]
    version: Annotated[str, Field(pattern=r"^\d+\.\d+\.\d+$")]
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]] = Field(min_length=1)
    published: date
    title: LText
    description: LText
    source: Source
    dimensions: list[str] = Field(min_length=1)
    scale: list[ScaleLevel]
    rating_rule: LText | None = None  # how a level is chosen (cumulative levels, partial fulfilment); shown with the questions
    principles: dict[str, LText]
    stages: dict[str, LText]


class Option(_Strict):
    id: str
    label: LText


class ProfileField(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")]
    type: Literal["multi", "single", "bool"]
    label: LText
    help: LText | None = None
    options: list[Option] = Field(default_factory=list)
    default: Any = None

    def option_ids(self) -> list[Any]:
        return [True, False] if self.type == "bool" else [o.id for o in self.options]


class ProfileDoc(_Strict):
    fields: list[ProfileField] = Field(min_length=1)


class Preset(_Strict):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{1,40}$")]
    name: LText
    description: LText
    levels: dict[str, Annotated[float, Field(ge=0, le=5)]]
    critical: Annotated[float, Field(ge=0, le=5)]


class DefaultRule(_Strict):
    when: Rule
    preset: str


class TargetsDoc(_Strict):
    presets: list[Preset] = Field(min_length=1)
    default_rules: list[DefaultRule] = Field(default_factory=list)
    default: str


# --- the assembled, validated questionnaire ----------------------------------------------------

class Questionnaire(_Strict):
    meta: Meta
    profile: ProfileDoc
    targets: TargetsDoc
    dimensions: list[Dimension]

    @property
    def id(self) -> str:
        return self.meta.id

    @property
    def version(self) -> str:
        return self.meta.version

    @property
    def languages(self) -> list[str]:
        return self.meta.languages

    def questions(self) -> list[Question]:
        return [q for d in self.dimensions for s in d.subdimensions for q in s.questions]

    @cached_property
    def places(self) -> dict[str, tuple[Dimension, SubDimension, Question]]:
        """Every question by id with its dimension and sub-dimension, built once per (immutable) questionnaire:
        pages look questions up by id many times per run."""
        return {q.id: (d, s, q) for d in self.dimensions for s in d.subdimensions for q in s.questions}

    def question(self, qid: str) -> Question:
        return self.places[qid][2]

    def dimension_of(self, qid: str) -> tuple[Dimension, SubDimension]:
        d, s, _ = self.places[qid]
        return d, s

    def profile_field(self, fid: str) -> ProfileField:
        for f in self.profile.fields:
            if f.id == fid:
                return f
        raise KeyError(fid)

    def preset(self, pid: str) -> Preset:
        for p in self.targets.presets:
            if p.id == pid:
                return p
        raise KeyError(pid)

    def default_profile(self) -> dict[str, Any]:
        return {f.id: f.default for f in self.profile.fields}

    def profile_problems(self, profile: dict[str, Any]) -> list[problems.Problem]:
        """What is wrong with an organisation profile, one problem per field (empty = valid).

        Each names its field (:attr:`problems.Problem.field`); a field the questionnaire does not
        declare has the code ``profile_unknown_field``.
        """
        found: list[problems.Problem] = []
        for f in self.profile.fields:
            value = profile.get(f.id)
            choices = {"name": f.id, "choices": ", ".join(map(str, f.option_ids()))}
            if f.type == "multi":
                if not isinstance(value, list) or not value or any(v not in f.option_ids() for v in value):
                    found.append(problems.Problem("profile_choose_many", choices, field=f.id))
            elif f.type == "bool":
                if not isinstance(value, bool):
                    found.append(problems.Problem("profile_yes_no", {"name": f.id}, field=f.id))
            elif value not in f.option_ids():
                found.append(problems.Problem("profile_choose_one", choices, field=f.id))
        declared = ", ".join(f.id for f in self.profile.fields)
        found += [problems.Problem("profile_unknown_field", {"name": k, "choices": declared}, field=k)
                  for k in sorted(set(profile) - {f.id for f in self.profile.fields})]
        return found

    def default_preset(self, profile: dict[str, Any]) -> str:
        for rule in self.targets.default_rules:
            if rule.when.matches(profile):
                return rule.preset
        return self.targets.default

    def applies(self, question: Question, profile: dict[str, Any]) -> bool:
        return question.applies_if is None or question.applies_if.matches(profile)

    def t(self, text: LText, lang: str) -> str:
        """A text in ``lang``, falling back to the questionnaire's first language."""
        return text.get(lang) or text[self.languages[0]]

    def unit_names(self, lang: str) -> dict[tuple[str, str], str]:
        """The display name of every unit in ``lang``, keyed by (kind, id): dimensions, sub-dimensions,
        principles and stages — the one place pages, workbooks and the command line take them from
        ("overall" is a UI word, in each output's own catalog)."""
        names: dict[tuple[str, str], str] = {}
        for d in self.dimensions:
            names[("dimension", d.id)] = self.t(d.name, lang)
            for s in d.subdimensions:
                names[("subdimension", s.id)] = self.t(s.name, lang)
        names.update({("principle", k): self.t(v, lang) for k, v in self.meta.principles.items()})
        names.update({("stage", k): self.t(v, lang) for k, v in self.meta.stages.items()})
        return names

    def unit_labels(self, lang: str, *, with_code: bool = True) -> dict[tuple[str, str], str]:
        """Every unit's display label in ``lang``, keyed by (kind, id) — the one place a unit's shown name is built.

        The rule every output follows (pages, Excel workbooks, benchmark tables, PDF reports, the CLI):

        - **Text** — table cells, lists, headings, selectors, captions — names a dimension or sub-dimension by its
          code and name ("GOV 治理能力", ``with_code=True``), so a row reads back to the questionnaire and the Excel
          answer sheet. A table that gives the code a column of its own (the summary workbook's scores sheets)
          puts the name alone beside it.
        - **Chart axes and legends** the app draws (Plotly on pages, SVG in PDFs) show the name alone
          (``with_code=False``): an axis has little room, and every chart sits beside a table that carries the
          code. A spreadsheet chart can only take its axis from cells, so an Excel chart shows the labels of the
          cells it plots.
        - Principles and stages are always named alone: their ids (``controllable``, ``rd``) are data keys, not
          codes the report prints.

        "Overall" is not a questionnaire unit; each output takes it from its own catalog.
        """
        coded = {"dimension", "subdimension"} if with_code else set()
        return {(kind, uid): f"{uid} {name}" if kind in coded else name
                for (kind, uid), name in self.unit_names(lang).items()}

    def unit_label(self, kind: str, unit_id: str, lang: str, *, with_code: bool = True) -> str:
        """One unit's display label (the rule is in :meth:`unit_labels`); KeyError for an unknown unit."""
        return self.unit_labels(lang, with_code=with_code)[(kind, unit_id)]

    def to_normalised(self) -> dict[str, Any]:
        """The documented JSON shape of ``aigov questionnaire show --json`` (docs/questionnaire.md)."""
        meta = self.meta
        return {
            "id": meta.id,
            "version": meta.version,
            "languages": meta.languages,
            "published": meta.published.isoformat(),
            "title": meta.title,
            "source": meta.source.model_dump(),
            "scale": [s.model_dump() for s in meta.scale],
            "rating_rule": meta.rating_rule,
            "principles": meta.principles,
            "stages": meta.stages,
            "profile_fields": [f.model_dump() for f in self.profile.fields],
            "targets": {
                "presets": [p.model_dump() for p in self.targets.presets],
                "default_rules": [
                    {"when": _rule_json(r.when), "preset": r.preset} for r in self.targets.default_rules
                ],
                "default": self.targets.default,
            },
            "dimensions": [
                {
                    "id": d.id,
                    "order": d.order,
                    "weight": d.weight,
                    "name": d.name,
                    "description": d.description,
                    "subdimensions": [
                        {
                            "id": s.id,
                            "weight": s.weight,
                            "name": s.name,
                            "description": s.description,
                            "questions": [_question_json(q) for q in s.questions],
                        }
                        for s in d.subdimensions
                    ],
                }
                for d in self.dimensions
            ],
        }


def _rule_json(rule: Rule | None) -> dict[str, Any] | None:
    if rule is None:
        return None
    out: dict[str, Any] = dict(rule.conditions)
    if rule.any_of:
        out["any_of"] = [_rule_json(r) for r in rule.any_of]
    return out


def _question_json(q: Question) -> dict[str, Any]:
    data = q.model_dump(exclude={"applies_if", "levels", "recommendations", "crosswalk"})
    data["crosswalk"] = {scheme: [{"id": ref, "relation": rel} for ref, rel in q.crosswalk.refs(scheme)]
                         for scheme in ("nist_ai_rmf", "iso42001", "tc260", "eu_ai_act")}
    data["applies_if"] = _rule_json(q.applies_if)
    data["levels"] = {str(k): v for k, v in sorted(q.levels.items())}
    data["recommendations"] = {str(k): v for k, v in sorted(q.recommendations.items())}
    return json.loads(json.dumps(data))
