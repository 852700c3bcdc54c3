"""Load questionnaire folders (meta.yml, profile.yml, targets.yml, dimensions/*.yml) and validate them.

``parse_documents`` is the single entry point: it never raises anything but
:class:`~questionnaires.schema.QuestionnaireError`, whatever the bytes it is given.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from problems import Problem, shown
from questionnaires.frameworks import SCHEMES
from questionnaires.frameworks import known as known_framework_id
from questionnaires.located import Source, Unreadable, read_yaml, shape_problems
from questionnaires.schema import (
    LEVELS,
    Dimension,
    Meta,
    ProfileDoc,
    Question,
    Questionnaire,
    QuestionnaireError,
    Rule,
    TargetsDoc,
)

ROOT = Path(__file__).resolve().parent
DEFAULT_ID = "caict-aigov"
FIXED_FILES = ("meta.yml", "profile.yml", "targets.yml")
NOT_UTF8 = "\x00not utf-8"  # what read_folder gives for a file that is not UTF-8 text (no YAML text can be this)


# --- reading and shape validation ---------------------------------------------------------------------

_TOP_FIELDS = {
    "Meta": "id:, version:, languages:, dimensions:",
    "ProfileDoc": "fields:",
    "TargetsDoc": "presets:, default_rules:, default:",
    "Dimension": "id:, order:, name:, subdimensions:",
}


def _read(name: str, text: str, problems: list[Problem]) -> Source | None:
    """The parsed file, or None after reporting why it is not YAML."""
    if text == NOT_UTF8:
        problems.append(Problem("file_not_utf8", file=name))
        return None
    try:
        return read_yaml(name, text)
    except Unreadable as exc:
        problems.append(exc.problem)
        return None


def _shape(model: type[BaseModel], source: Source | None, problems: list[Problem]) -> Any:
    """The validated model, or None after reporting every shape problem (nothing if the YAML was unreadable)."""
    if source is None:
        return None
    if not isinstance(source.data, dict):
        problems.append(source.at("top_not_mapping", (), {"fields": _TOP_FIELDS.get(model.__name__, "…")}))
        return None
    model_, found = shape_problems(model, source)
    problems += found
    return model_


# --- content checks ----------------------------------------------------------------------------------

class _Checker:
    """Collects content problems. ``langs`` is None when meta.yml is broken: language checks are then skipped."""

    def __init__(self, langs: list[str] | None, problems: list[Problem]):
        self.langs = langs
        self.problems = problems

    def add(self, source: Source, code: str, path: tuple[Any, ...], **values: Any) -> None:
        self.problems.append(source.at(code, path, values))

    def text(self, source: Source, path: tuple[Any, ...], value: dict[str, str]) -> None:
        if self.langs is None:
            return
        missing = [lang for lang in self.langs if not str(value.get(lang) or "").strip()]
        extra = [k for k in value if k not in self.langs]
        declared = ", ".join(self.langs)
        if missing:
            self.add(source, "text_language_missing", path, missing="/".join(missing), first=missing[0],
                     declared=declared)
        if extra:
            self.add(source, "text_language_unknown", path, keys=", ".join(map(str, extra)), declared=declared)

    def rule(self, source: Source, path: tuple[Any, ...], rule: Rule, profile: ProfileDoc) -> None:
        declared = {f.id: f for f in profile.fields}
        for fid, values in rule.fields().items():
            if fid not in declared:
                self.add(source, "rule_unknown_field", (*path, fid), name=fid, choices=", ".join(declared))
                continue
            allowed = declared[fid].option_ids()
            for v in values:
                if v not in allowed or (declared[fid].type != "bool" and isinstance(v, bool)):
                    self.add(source, "rule_unknown_value", (*path, fid), value=shown(v), name=fid,
                             choices=", ".join(map(str, allowed)))


def _check_meta(meta: Meta, src: Source, c: _Checker) -> None:
    for key in ("title", "description"):
        c.text(src, (key,), getattr(meta, key))
    if sorted(s.level for s in meta.scale) != list(LEVELS):
        c.add(src, "scale_levels", ("scale",), found=", ".join(str(s.level) for s in meta.scale))
    if meta.rating_rule is not None:
        c.text(src, ("rating_rule",), meta.rating_rule)
    for i, s in enumerate(meta.scale):
        c.text(src, ("scale", i, "name"), s.name)
        c.text(src, ("scale", i, "description"), s.description)
    for vocab in ("principles", "stages"):
        for key, label in getattr(meta, vocab).items():
            c.text(src, (vocab, key), label)
    for i, dim in enumerate(meta.dimensions):
        if dim in meta.dimensions[:i]:
            c.add(src, "dimension_listed_twice", ("dimensions", i), dimension=dim)


def _check_profile(profile: ProfileDoc, src: Source, c: _Checker) -> None:
    seen: set[str] = set()
    for n, fld in enumerate(profile.fields):
        at = ("fields", n)
        if fld.id in seen:
            c.add(src, "duplicate_profile_field", (*at, "id"), id=fld.id)
        seen.add(fld.id)
        c.text(src, (*at, "label"), fld.label)
        if fld.help:
            c.text(src, (*at, "help"), fld.help)
        if fld.type != "bool" and not fld.options:
            c.add(src, "options_missing", (*at, "type"), type=fld.type)
        ids = [o.id for o in fld.options]
        for i, o in enumerate(fld.options):
            if o.id in ids[:i]:
                c.add(src, "duplicate_option", (*at, "options", i, "id"), option=o.id)
            c.text(src, (*at, "options", i, "label"), o.label)
        default = fld.default
        allowed = fld.option_ids()
        bad = (
            (fld.type == "multi" and (not isinstance(default, list) or any(d not in allowed for d in default)))
            or (fld.type == "single" and default not in allowed)
            or (fld.type == "bool" and not isinstance(default, bool))
        )
        if bad:
            c.add(src, "profile_default_invalid", (*at, "default"), found=shown(default), type=fld.type,
                  choices=", ".join(map(str, allowed)))


def _check_targets(targets: TargetsDoc, src: Source, dim_ids: list[str] | None, profile: ProfileDoc | None,
                   c: _Checker) -> None:
    """Checks of targets.yml; those that need meta.yml's dimensions or profile.yml are skipped if that file is broken."""
    ids = [p.id for p in targets.presets]
    choices = ", ".join(ids)
    for n, p in enumerate(targets.presets):
        at = ("presets", n)
        if p.id in ids[:n]:
            c.add(src, "duplicate_preset", (*at, "id"), id=p.id)
        c.text(src, (*at, "name"), p.name)
        c.text(src, (*at, "description"), p.description)
        if dim_ids is not None and set(p.levels) != set(dim_ids):
            c.add(src, "preset_dimensions", (*at, "levels"), dimensions=", ".join(dim_ids),
                  found=", ".join(p.levels) or "—")
        if p.levels and p.critical < max(p.levels.values()):
            c.add(src, "critical_below_target", (*at, "critical"), critical=f"{p.critical:g}",
                  highest=f"{max(p.levels.values()):g}")
    for n, rule in enumerate(targets.default_rules):
        if rule.preset not in ids:
            c.add(src, "unknown_preset", ("default_rules", n, "preset"), preset=shown(rule.preset), choices=choices)
        if profile is not None:
            c.rule(src, ("default_rules", n, "when"), rule.when, profile)
    if targets.default not in ids:
        c.add(src, "unknown_preset", ("default",), preset=shown(targets.default), choices=choices)


def _check_dimensions(files: dict[str, tuple[Dimension, Source]], meta: Meta | None, profile: ProfileDoc | None,
                      c: _Checker, complete: bool) -> None:
    """Content checks of the dimension files that passed shape validation.

    ``files`` maps "dimensions/<ID>.yml" to its model and source. Checks needing meta.yml or profile.yml are skipped
    when that file is broken; the share of critical questions is checked only when every dimension file is present
    (``complete``).
    """
    seen: dict[str, str] = {}
    total = critical = 0
    for file, (dim, src) in files.items():
        expected = file.removeprefix("dimensions/").removesuffix(".yml")
        if dim.id != expected:  # the file name (and meta.yml) say which dimension it is; its ids are checked by that
            c.add(src, "dimension_id_mismatch", ("id",), declared=dim.id, expected=expected)
        if meta is not None and expected in meta.dimensions:
            pos = meta.dimensions.index(expected) + 1
            if dim.order != pos:
                c.add(src, "dimension_order", ("order",), order=dim.order, position=pos)
        c.text(src, ("name",), dim.name)
        c.text(src, ("description",), dim.description)
        for i, sub in enumerate(dim.subdimensions):
            at = ("subdimensions", i)
            if sub.id in seen:
                c.add(src, "duplicate_id", (*at, "id"), id=sub.id, other=seen[sub.id])
            seen[sub.id] = file
            if not sub.id.startswith(expected + "-"):
                c.add(src, "id_prefix", (*at, "id"), id=sub.id, prefix=expected + "-")
            c.text(src, (*at, "name"), sub.name)
            c.text(src, (*at, "description"), sub.description)
            if not any(q.core for q in sub.questions):
                c.add(src, "no_core_question", (*at, "questions"))
            for j, q in enumerate(sub.questions):
                total += 1
                critical += q.critical
                _check_question(src, (*at, "questions", j), sub.id, q, meta, profile, seen, c)
    if complete and total and critical / total > 0.2:  # a rule of all dimension files together
        c.problems.append(Problem("too_many_critical", {"critical": critical, "total": total,
                                                        "share": f"{critical / total:.0%}"}, file="dimensions/*.yml"))


def _check_question(src: Source, at: tuple[Any, ...], sub_id: str, q: Question, meta: Meta | None,
                    profile: ProfileDoc | None, seen: dict[str, str], c: _Checker) -> None:
    if q.id in seen:
        c.add(src, "duplicate_id", (*at, "id"), id=q.id, other=seen[q.id])
    seen[q.id] = src.file
    if not q.id.startswith(sub_id + "-"):
        c.add(src, "id_prefix", (*at, "id"), id=q.id, prefix=sub_id + "-")
    for key in ("text", "guidance"):
        c.text(src, (*at, key), getattr(q, key))
    for key in ("levels", "recommendations"):
        for lvl, txt in getattr(q, key).items():
            c.text(src, (*at, key, lvl), txt)
    if meta is not None:
        missing = [lang for lang in meta.languages if not [e for e in q.evidence.get(lang, []) if str(e).strip()]]
        if missing:
            c.add(src, "evidence_language_missing", (*at, "evidence"), missing="/".join(missing), first=missing[0])
        counts = {lang: len(v) for lang, v in q.evidence.items() if lang in meta.languages}
        if not missing and len(set(counts.values())) > 1:
            c.add(src, "evidence_count_mismatch", (*at, "evidence"),
                  counts=", ".join(f"{lang} {n}" for lang, n in counts.items()))
        for vocab, values in (("principles", q.principles), ("stages", q.stages)):
            known = getattr(meta, vocab)
            for k, v in enumerate(values):
                if v not in known:
                    c.add(src, "unknown_tag", (*at, vocab, k), tag=shown(v), vocabulary=vocab,
                          choices=", ".join(known))
    if q.applies_if is not None and profile is not None:
        c.rule(src, (*at, "applies_if"), q.applies_if, profile)
    for scheme in SCHEMES:
        as_list = isinstance(getattr(q.crosswalk, scheme), list)
        for k, (ref, _) in enumerate(q.crosswalk.refs(scheme)):
            if not known_framework_id(scheme, ref):
                c.add(src, "unknown_crosswalk_id", (*at, "crosswalk", scheme, k if as_list else ref), ref=shown(ref),
                      scheme=scheme)
    if q.source is not None and meta is not None:
        c.text(src, (*at, "source", "where"), q.source.where)


# --- entry points ------------------------------------------------------------------------------------

def parse_documents(texts: dict[str, str]) -> Questionnaire:
    """Validate a questionnaire given as {relative file name: YAML text}.

    Expects ``meta.yml``, ``profile.yml``, ``targets.yml`` and ``dimensions/<ID>.yml`` for every id
    that meta.yml lists. Every file is shape-checked; every document that passed is then content-checked
    (checks that depend on a broken file are skipped), and :class:`QuestionnaireError` is raised once,
    listing every problem found, each with its code, file, YAML path and line.
    """
    problems: list[Problem] = []
    sources: dict[str, Source | None] = {}
    for name in FIXED_FILES:
        if name not in texts:
            problems.append(Problem("file_missing", {"name": name}, file=name))
        else:
            sources[name] = _read(name, texts[name], problems)
    meta = _shape(Meta, sources["meta.yml"], problems) if "meta.yml" in sources else None
    profile = _shape(ProfileDoc, sources["profile.yml"], problems) if "profile.yml" in sources else None
    targets = _shape(TargetsDoc, sources["targets.yml"], problems) if "targets.yml" in sources else None

    # Without a valid meta.yml the dimension list is unknown: check every dimension file that was given.
    present = sorted(name for name in texts if name.startswith("dimensions/"))
    if meta is not None:
        wanted = list(dict.fromkeys(f"dimensions/{d}.yml" for d in meta.dimensions))
        meta_src = sources["meta.yml"]
        assert meta_src is not None
        for name in wanted:
            if name not in texts:
                dim_id = name.removeprefix("dimensions/").removesuffix(".yml")
                problems.append(meta_src.at("dimension_file_missing", ("dimensions", meta.dimensions.index(dim_id)),
                                            {"dimension": dim_id, "name": name}))
        problems += [Problem("dimension_file_unlisted", {"name": name}, file=name) for name in present
                     if name not in wanted]
        wanted = [name for name in wanted if name in texts]
    else:
        wanted = present
    dims: dict[str, tuple[Dimension, Source]] = {}
    for name in wanted:
        src = _read(name, texts[name], problems)
        dim = _shape(Dimension, src, problems)
        if dim is not None and src is not None:
            dims[name] = (dim, src)

    checker = _Checker(meta.languages if meta is not None else None, problems)
    if meta is not None:
        _check_meta(meta, _source(sources, "meta.yml"), checker)
    if profile is not None:
        _check_profile(profile, _source(sources, "profile.yml"), checker)
    if targets is not None:
        _check_targets(targets, _source(sources, "targets.yml"), meta.dimensions if meta is not None else None,
                       profile, checker)
    complete = meta is not None and len(dims) == len(set(meta.dimensions))
    _check_dimensions(dims, meta, profile, checker, complete)
    if problems or meta is None or profile is None or targets is None:
        raise QuestionnaireError(problems)
    return Questionnaire(meta=meta, profile=profile, targets=targets,
                         dimensions=[dims[f"dimensions/{d}.yml"][0] for d in dict.fromkeys(meta.dimensions)])


def _source(sources: dict[str, Source | None], name: str) -> Source:
    """The source of a file whose model validated (so it was read)."""
    src = sources[name]
    assert src is not None
    return src


def read_folder(path: Path) -> dict[str, str]:
    """The YAML texts of a questionnaire folder, keyed as :func:`parse_documents` expects."""
    texts: dict[str, str] = {}
    for file in sorted(path.glob("*.yml")) + sorted((path / "dimensions").glob("*.yml")):
        rel = file.relative_to(path).as_posix()
        try:
            texts[rel] = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            texts[rel] = NOT_UTF8  # reported with the file's name when it is parsed
    return texts


def load_questionnaire(path: Path | str) -> Questionnaire:
    path = Path(path)
    if not path.is_dir():
        raise QuestionnaireError([Problem("no_such_folder", file=str(path))])
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
        raise QuestionnaireError([_unshipped(qid)])
    return found[-1]


def _unshipped(qid: str) -> Problem:
    return Problem("unshipped_questionnaire", {"id": shown(qid), "choices": ", ".join(available()) or "—"},
                   file="questionnaires/")


@lru_cache(maxsize=16)
def get_questionnaire(qid: str = DEFAULT_ID, version: str | None = None) -> Questionnaire:
    """A shipped questionnaire by id and version (default: the newest), cached; models are frozen.

    Old versions stay loadable so that assessments, exports and goldens made with them keep their numbers.
    """
    if qid not in available():
        raise QuestionnaireError([_unshipped(qid)])
    version = version or latest_version(qid)
    if version not in versions(qid):
        raise QuestionnaireError([Problem("unshipped_version", {"id": qid, "version": shown(version),
                                                                "choices": ", ".join(versions(qid))},
                                          file=f"questionnaires/{qid}/")])
    q = load_questionnaire(ROOT / qid / version)
    if q.id != qid or q.version != version:
        raise QuestionnaireError([Problem("folder_version_mismatch",
                                          {"declared": f"{q.id} {q.version}", "folder": f"{qid}/{version}"},
                                          file=f"{qid}/{version}/meta.yml", path="version")])
    return q
