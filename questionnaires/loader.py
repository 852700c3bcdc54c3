"""Load questionnaire folders (meta.yml, profile.yml, targets.yml, dimensions/*.yml) and validate them.

``parse_documents`` is the single entry point: it never raises anything but
:class:`~questionnaires.schema.QuestionnaireError`, whatever the bytes it is given.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from problems import Problem
from questionnaires.frameworks import SCHEMES
from questionnaires.frameworks import known as known_framework_id
from questionnaires.schema import (
    LEVELS,
    Dimension,
    Meta,
    ProfileDoc,
    Questionnaire,
    QuestionnaireError,
    Rule,
    TargetsDoc,
    questionnaire_problem,
)

ROOT = Path(__file__).resolve().parent
DEFAULT_ID = "caict-aigov"
FIXED_FILES = ("meta.yml", "profile.yml", "targets.yml")
DOCS_HINT = "see docs/questionnaire.md"


# --- YAML with duplicate-key detection -----------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (plain YAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            duplicate = key in seen
        except TypeError:  # unhashable key, reported by the constructor below
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _Unreadable:
    """Marker for a file that is not valid YAML (already reported); its shape is not checked."""


UNREADABLE = _Unreadable()


def _load_yaml(name: str, text: str, problems: list[Problem]) -> Any:
    """The parsed document, or :data:`UNREADABLE` after reporting why it could not be parsed."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        problems.append(questionnaire_problem(name, where, "", f"the file is not valid YAML: {problem}.",
                                "check indentation and quoting at that line (quote text containing ': ')."))
    except Exception as exc:  # e.g. recursion in pathological input; still the user's file
        problems.append(questionnaire_problem(name, "", "", f"the file could not be read as YAML ({type(exc).__name__}).",
                                "save it as UTF-8 YAML."))
    return UNREADABLE


# --- shape validation with located messages ------------------------------------------------------

def _where(raw: Any, loc: tuple[Any, ...]) -> tuple[str, str]:
    """Turn a pydantic error location into ("question GOV-INS-01", "levels.3") using the raw data."""
    where, node, rest = "", raw, list(loc)
    i = 0
    while i < len(rest):
        key = rest[i]
        if key in ("subdimensions", "questions", "presets", "fields") and i + 1 < len(rest):
            idx = rest[i + 1]
            items = node.get(key) if isinstance(node, dict) else None
            item = items[idx] if isinstance(items, list) and isinstance(idx, int) and idx < len(items) else None
            kind = {"subdimensions": "sub-dimension", "questions": "question", "presets": "preset",
                    "fields": "profile field"}[key]
            ident = item.get("id") if isinstance(item, dict) else None
            where = f"{kind} {ident}" if ident else f"{kind} #{idx + 1 if isinstance(idx, int) else idx}"
            node, i = item, i + 2
            continue
        break
    field = ".".join(str(k) for k in rest[i:])
    return where, field


def _fix_for(err: ErrorDetails, field: str) -> str:
    kind = err.get("type", "")
    leaf = field.rsplit(".", 1)[-1] if field else "the field"
    if kind == "missing":
        return f"add '{leaf}' ({DOCS_HINT} for its format)."
    if kind == "extra_forbidden":
        return f"remove '{leaf}' or correct its spelling ({DOCS_HINT} lists the allowed fields)."
    if kind == "string_pattern_mismatch":
        return "use the id format DIM, DIM-SUB or DIM-SUB-NN in upper case (e.g. GOV-INS-01)."
    if kind.startswith(("greater_than", "less_than")):
        return "use a number within the allowed range (weights > 0; levels and targets 0 to 5)."
    if "literal" in kind or "int_parsing" in kind:
        return "use level keys 1..5 for 'levels' and 0..4 for 'recommendations'."
    if kind == "value_error" and leaf == "levels":
        return ("give exactly five level descriptors with the keys 1, 2, 3, 4 and 5, each in every language of "
                "meta.yml (level 0 'Not performed' is shared and not repeated).")
    if kind == "value_error" and leaf == "recommendations":
        return ("give exactly five recommendations with the keys 0, 1, 2, 3 and 4 (the next step from each level), "
                "each in every language of meta.yml.")
    if "too_short" in kind:
        return f"give at least one entry in '{leaf}'."
    if kind in {"dict_type", "model_type"}:
        return f"'{leaf}' must be a mapping (key: value lines), e.g. {{zh: …, en: …}} for texts."
    if kind == "list_type":
        return f"'{leaf}' must be a list, e.g. [a, b]."
    if kind in {"string_type", "bool_type", "bool_parsing", "float_parsing", "float_type", "date_from_datetime_parsing",
                "date_parsing", "date_type"}:
        return f"give '{leaf}' a value of the right type ({DOCS_HINT})."
    return f"correct the value ({DOCS_HINT})."


_TOP_FIELDS = {
    "Meta": "'id:', 'version:', 'languages:' and 'dimensions:'",
    "ProfileDoc": "'fields:'",
    "TargetsDoc": "'presets:', 'default_rules:' and 'default:'",
    "Dimension": "'id:', 'order:', 'name:' and 'subdimensions:'",
}


def _shape(model: type[BaseModel], name: str, raw: Any, problems: list[Problem]) -> Any:
    """The validated model, or None after reporting every shape problem (nothing if the YAML was unreadable)."""
    if raw is UNREADABLE:
        return None
    if not isinstance(raw, dict):
        fields = _TOP_FIELDS.get(model.__name__, "its fields")
        problems.append(questionnaire_problem(name, "", "", "the file must contain a mapping of fields at its top level.",
                                f"start the file with top-level 'key: value' lines such as {fields} ({DOCS_HINT})."))
        return None
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            where, field = _where(raw, tuple(err["loc"]))
            problems.append(questionnaire_problem(name, where, field, err["msg"] + ".", _fix_for(err, field)))
    except (RecursionError, TypeError, ValueError) as exc:
        problems.append(questionnaire_problem(name, "", "", f"the file could not be validated ({type(exc).__name__}).",
                                f"check it against {DOCS_HINT}."))
    return None


# --- content checks ----------------------------------------------------------------------------------

class _Checker:
    """Collects content problems. ``langs`` is None when meta.yml is broken: language checks are then skipped."""

    def __init__(self, langs: list[str] | None, problems: list[Problem]):
        self.langs = langs
        self.problems = problems

    def add(self, file: str, where: str, field: str, message: str, fix: str) -> None:
        self.problems.append(questionnaire_problem(file, where, field, message, fix))

    def text(self, file: str, where: str, field: str, value: dict[str, str]) -> None:
        if self.langs is None:
            return
        missing = [lang for lang in self.langs if not str(value.get(lang) or "").strip()]
        extra = [k for k in value if k not in self.langs]
        if missing:
            self.add(file, where, field, f"the {'/'.join(missing)} text is missing or empty.",
                     f"add a translation under '{missing[0]}:' (every text needs {', '.join(self.langs)}).")
        if extra:
            self.add(file, where, field, f"unknown language key(s) {', '.join(map(str, extra))}.",
                     f"use only the declared languages {', '.join(self.langs)} (meta.yml 'languages').")

    def rule(self, file: str, where: str, field: str, rule: Rule, profile: ProfileDoc) -> None:
        declared = {f.id: f for f in profile.fields}
        for fid, values in rule.fields().items():
            if fid not in declared:
                self.add(file, where, field, f"'{fid}' is not a profile field.",
                         f"use one of {', '.join(declared)} (declared in profile.yml).")
                continue
            allowed = declared[fid].option_ids()
            for v in values:
                if v not in allowed or (declared[fid].type != "bool" and isinstance(v, bool)):
                    self.add(file, where, field, f"{v!r} is not a value of profile field '{fid}'.",
                             f"use one of {', '.join(map(str, allowed))}.")


def _check_meta(meta: Meta, c: _Checker) -> None:
    f = "meta.yml"
    for key in ("title", "description"):
        c.text(f, "", key, getattr(meta, key))
    if sorted(s.level for s in meta.scale) != list(LEVELS):
        c.add(f, "", "scale", "the scale must define each level 0, 1, 2, 3, 4, 5 once.",
              "list six entries with level: 0 to level: 5.")
    if meta.rating_rule is not None:
        c.text(f, "", "rating_rule", meta.rating_rule)
    for s in meta.scale:
        c.text(f, f"scale level {s.level}", "name", s.name)
        c.text(f, f"scale level {s.level}", "description", s.description)
    for vocab in ("principles", "stages"):
        for key, label in getattr(meta, vocab).items():
            c.text(f, f"{vocab} {key}", "label", label)
    if len(set(meta.dimensions)) != len(meta.dimensions):
        c.add(f, "", "dimensions", "a dimension is listed twice.", "list each dimension id once.")


def _check_profile(profile: ProfileDoc, c: _Checker) -> None:
    f = "profile.yml"
    seen: set[str] = set()
    for fld in profile.fields:
        where = f"profile field {fld.id}"
        if fld.id in seen:
            c.add(f, where, "id", "duplicate profile field id.", "give every field a unique id.")
        seen.add(fld.id)
        c.text(f, where, "label", fld.label)
        if fld.help:
            c.text(f, where, "help", fld.help)
        if fld.type != "bool" and not fld.options:
            c.add(f, where, "options", f"a '{fld.type}' field needs options.", "add options with id and label.")
        ids = [o.id for o in fld.options]
        if len(set(ids)) != len(ids):
            c.add(f, where, "options", "duplicate option id.", "give every option a unique id.")
        for o in fld.options:
            c.text(f, f"{where} option {o.id}", "label", o.label)
        default = fld.default
        allowed = fld.option_ids()
        bad = (
            (fld.type == "multi" and (not isinstance(default, list) or any(d not in allowed for d in default)))
            or (fld.type == "single" and default not in allowed)
            or (fld.type == "bool" and not isinstance(default, bool))
        )
        if bad:
            c.add(f, where, "default", f"default {default!r} is not a valid value.",
                  f"use {'a list of ' if fld.type == 'multi' else ''}one of {', '.join(map(str, allowed))}.")


def _check_targets(targets: TargetsDoc, dim_ids: list[str] | None, profile: ProfileDoc | None, c: _Checker) -> None:
    """Checks of targets.yml; those that need meta.yml's dimensions or profile.yml are skipped if that file is broken."""
    f = "targets.yml"
    ids = [p.id for p in targets.presets]
    if len(set(ids)) != len(ids):
        c.add(f, "", "presets", "duplicate preset id.", "give every preset a unique id.")
    for p in targets.presets:
        where = f"preset {p.id}"
        c.text(f, where, "name", p.name)
        c.text(f, where, "description", p.description)
        if dim_ids is not None and set(p.levels) != set(dim_ids):
            c.add(f, where, "levels", f"targets must be given for exactly the dimensions {', '.join(dim_ids)}.",
                  f"set one level per dimension (found {', '.join(p.levels) or 'none'}).")
        if p.levels and p.critical < max(p.levels.values()):
            c.add(f, where, "critical", "the critical target is below a dimension target.",
                  "set 'critical' to at least the highest dimension level.")
    for i, rule in enumerate(targets.default_rules, 1):
        if rule.preset not in ids:
            c.add(f, f"default rule #{i}", "preset", f"unknown preset '{rule.preset}'.", f"use one of {', '.join(ids)}.")
        if profile is not None:
            c.rule(f, f"default rule #{i}", "when", rule.when, profile)
    if targets.default not in ids:
        c.add(f, "", "default", f"unknown preset '{targets.default}'.", f"use one of {', '.join(ids)}.")


def _check_dimensions(files: dict[str, Dimension], meta: Meta | None, profile: ProfileDoc | None, c: _Checker,
                      complete: bool) -> None:
    """Content checks of the dimension files that passed shape validation.

    ``files`` maps "dimensions/<ID>.yml" to its model. Checks needing meta.yml or profile.yml are skipped when that
    file is broken; the share of critical questions is checked only when every dimension file is present (``complete``).
    """
    seen: dict[str, str] = {}
    total = critical = 0
    for file, dim in files.items():
        expected = file.removeprefix("dimensions/").removesuffix(".yml")
        if dim.id != expected:
            c.add(file, f"dimension {dim.id}", "id", f"the file declares '{dim.id}' but its name says '{expected}'.",
                  f"set 'id: {expected}', or rename the file and its entry in meta.yml 'dimensions'.")
        if meta is not None and expected in meta.dimensions:
            pos = meta.dimensions.index(expected) + 1
            if dim.order != pos:
                c.add(file, f"dimension {dim.id}", "order",
                      f"order {dim.order} disagrees with its place {pos} in meta.yml.", f"set 'order: {pos}'.")
        c.text(file, f"dimension {dim.id}", "name", dim.name)
        c.text(file, f"dimension {dim.id}", "description", dim.description)
        for sub in dim.subdimensions:
            swhere = f"sub-dimension {sub.id}"
            if sub.id in seen:
                c.add(file, swhere, "id", f"id '{sub.id}' is already used in {seen[sub.id]}.", "give it a new, unique id.")
            seen[sub.id] = file
            if not sub.id.startswith(dim.id + "-"):
                c.add(file, swhere, "id", f"'{sub.id}' does not start with its dimension id '{dim.id}-'.",
                      f"rename it {dim.id}-XXX.")
            c.text(file, swhere, "name", sub.name)
            c.text(file, swhere, "description", sub.description)
            if not any(q.core for q in sub.questions):
                c.add(file, swhere, "core", "no question is marked core, so the short form would skip this sub-dimension.",
                      "mark its most fundamental question 'core: true'.")
            for q in sub.questions:
                total += 1
                critical += q.critical
                _check_question(file, sub.id, q, meta, profile, seen, c)
    if complete and total and critical / total > 0.2:
        c.add("dimensions", "", "critical", f"{critical} of {total} questions are critical ({critical / total:.0%}).",
              "mark at most 20% of the questions 'critical: true'.")


def _check_question(file: str, sub_id: str, q: Any, meta: Meta | None, profile: ProfileDoc | None,
                    seen: dict[str, str], c: _Checker) -> None:
    where = f"question {q.id}"
    if q.id in seen:
        c.add(file, where, "id", f"id '{q.id}' is already used in {seen[q.id]}.", "give it a new, unique id.")
    seen[q.id] = file
    if not q.id.startswith(sub_id + "-"):
        c.add(file, where, "id", f"'{q.id}' does not start with its sub-dimension id '{sub_id}-'.",
              f"rename it {sub_id}-NN.")
    for key in ("text", "guidance"):
        c.text(file, where, key, getattr(q, key))
    for lvl, txt in q.levels.items():
        c.text(file, where, f"levels.{lvl}", txt)
    for lvl, txt in q.recommendations.items():
        c.text(file, where, f"recommendations.{lvl}", txt)
    if meta is not None:
        missing = [lang for lang in meta.languages if not [e for e in q.evidence.get(lang, []) if str(e).strip()]]
        if missing:
            c.add(file, where, "evidence", f"no {'/'.join(missing)} evidence examples.",
                  f"list evidence examples under '{missing[0]}:'.")
        counts = {len(v) for k, v in q.evidence.items() if k in meta.languages}
        if len(counts) > 1:
            c.add(file, where, "evidence", "the languages list different numbers of evidence examples.",
                  "translate every example, one for one.")
        for vocab, values in (("principles", q.principles), ("stages", q.stages)):
            known = getattr(meta, vocab)
            for v in values:
                if v not in known:
                    c.add(file, where, vocab, f"unknown tag '{v}'.",
                          f"use one of {', '.join(known)} (meta.yml '{vocab}').")
    if q.applies_if is not None and profile is not None:
        c.rule(file, where, "applies_if", q.applies_if, profile)
    for scheme in SCHEMES:
        for ref, _ in q.crosswalk.refs(scheme):
            if not known_framework_id(scheme, ref):
                c.add(file, where, f"crosswalk.{scheme}", f"'{ref}' is not in the reference list of {scheme}.",
                      "use an id from questionnaires/frameworks.yml (EU AI Act: an existing article, or a "
                      "paragraph the article really has); never invent one.")
    if q.source is not None and meta is not None:
        c.text(file, where, "source.where", q.source.where)


# --- entry points ------------------------------------------------------------------------------------

def parse_documents(texts: dict[str, str]) -> Questionnaire:
    """Validate a questionnaire given as {relative file name: YAML text}.

    Expects ``meta.yml``, ``profile.yml``, ``targets.yml`` and ``dimensions/<ID>.yml`` for every id
    that meta.yml lists. Every file is shape-checked; every document that passed is then content-checked
    (checks that depend on a broken file are skipped), and :class:`QuestionnaireError` is raised once,
    listing every problem found.
    """
    problems: list[Problem] = []
    raw: dict[str, Any] = {}
    for name in FIXED_FILES:
        if name not in texts:
            problems.append(questionnaire_problem(name, "", "", "the file is missing.", f"create {name} ({DOCS_HINT})."))
        else:
            raw[name] = _load_yaml(name, texts[name], problems)
    meta = _shape(Meta, "meta.yml", raw["meta.yml"], problems) if "meta.yml" in raw else None
    profile = _shape(ProfileDoc, "profile.yml", raw["profile.yml"], problems) if "profile.yml" in raw else None
    targets = _shape(TargetsDoc, "targets.yml", raw["targets.yml"], problems) if "targets.yml" in raw else None

    # Without a valid meta.yml the dimension list is unknown: check every dimension file that was given.
    present = sorted(name for name in texts if name.startswith("dimensions/"))
    if meta is not None:
        wanted = list(dict.fromkeys(f"dimensions/{d}.yml" for d in meta.dimensions))
        for name in wanted:
            if name not in texts:
                dim_id = name.removeprefix("dimensions/").removesuffix(".yml")
                problems.append(questionnaire_problem(name, "", "", f"meta.yml lists dimension {dim_id} but the file is missing.",
                                        f"create {name} or remove {dim_id} from meta.yml 'dimensions'."))
        for name in present:
            if name not in wanted:
                problems.append(questionnaire_problem(name, "", "", "this dimension file is not listed in meta.yml.",
                                        "add its id to meta.yml 'dimensions' or delete the file."))
        wanted = [name for name in wanted if name in texts]
    else:
        wanted = present
    dims: dict[str, Dimension] = {}
    for name in wanted:
        dim = _shape(Dimension, name, _load_yaml(name, texts[name], problems), problems)
        if dim is not None:
            dims[name] = dim

    checker = _Checker(meta.languages if meta is not None else None, problems)
    if meta is not None:
        _check_meta(meta, checker)
    if profile is not None:
        _check_profile(profile, checker)
    if targets is not None:
        _check_targets(targets, meta.dimensions if meta is not None else None, profile, checker)
    complete = meta is not None and len(dims) == len(set(meta.dimensions))
    _check_dimensions(dims, meta, profile, checker, complete)
    if problems or meta is None or profile is None or targets is None:
        raise QuestionnaireError(problems)
    return Questionnaire(meta=meta, profile=profile, targets=targets,
                         dimensions=[dims[f"dimensions/{d}.yml"] for d in dict.fromkeys(meta.dimensions)])


def read_folder(path: Path) -> dict[str, str]:
    """The YAML texts of a questionnaire folder, keyed as :func:`parse_documents` expects."""
    texts: dict[str, str] = {}
    for file in sorted(path.glob("*.yml")) + sorted((path / "dimensions").glob("*.yml")):
        rel = file.relative_to(path).as_posix()
        try:
            texts[rel] = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            texts[rel] = "\x00not utf-8"  # reported as invalid YAML with the file's name
    return texts


def load_questionnaire(path: Path | str) -> Questionnaire:
    path = Path(path)
    if not path.is_dir():
        raise QuestionnaireError([questionnaire_problem(str(path), "", "", "no such questionnaire folder.",
                                          "give the folder that holds meta.yml and dimensions/.")])
    return parse_documents(read_folder(path))


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def available() -> list[str]:
    """Ids of the questionnaires shipped under ``questionnaires/`` (one folder per id, one sub-folder per version)."""
    return sorted(p.name for p in ROOT.iterdir() if p.is_dir() and any((v / "meta.yml").is_file() for v in p.iterdir()
                                                                        if v.is_dir()))


def versions(qid: str = DEFAULT_ID) -> list[str]:
    """The shipped versions of questionnaire ``qid``, oldest first (empty if there is no such questionnaire)."""
    folder = ROOT / qid
    if qid not in available():
        return []
    found = [v.name for v in folder.iterdir() if (v / "meta.yml").is_file() and re.fullmatch(r"\d+\.\d+\.\d+", v.name)]
    return sorted(found, key=_version_key)


def latest_version(qid: str = DEFAULT_ID) -> str:
    """The version new assessments use: the newest shipped one."""
    found = versions(qid)
    if not found:
        raise QuestionnaireError([questionnaire_problem(qid, "", "", "no shipped questionnaire has this id.",
                                          f"use one of {', '.join(available()) or '(none)'}.")])
    return found[-1]


@lru_cache(maxsize=16)
def get_questionnaire(qid: str = DEFAULT_ID, version: str | None = None) -> Questionnaire:
    """A shipped questionnaire by id and version (default: the newest), cached; models are frozen.

    Old versions stay loadable so that assessments, exports and goldens made with them keep their numbers.
    """
    if qid not in available():
        raise QuestionnaireError([questionnaire_problem(qid, "", "", "no shipped questionnaire has this id.",
                                          f"use one of {', '.join(available()) or '(none)'}.")])
    version = version or latest_version(qid)
    if version not in versions(qid):
        raise QuestionnaireError([questionnaire_problem(f"{qid} {version}", "", "", "this version of the questionnaire is not shipped.",
                                          f"use one of {', '.join(versions(qid))}.")])
    q = load_questionnaire(ROOT / qid / version)
    if q.id != qid or q.version != version:
        raise QuestionnaireError([questionnaire_problem(f"{qid}/{version}/meta.yml", "", "version",
                                          f"the file declares {q.id} {q.version}, but its folder says {qid} {version}.",
                                          "make meta.yml 'id' and 'version' match the folder names.")])
    return q
