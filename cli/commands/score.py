"""``aigov score FILE``: score a filled questionnaire (JSON answers file or .xlsx workbook), no database.

The answers-file format and the JSON output are documented in docs/scoring.md. Every problem in the
file is reported at once, each naming its place and the fix, and ends the command with status 2.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from cli.main import CLIError
from i18n import catalog
from questionnaires import DEFAULT_ID, QuestionnaireError, get_questionnaire, load_questionnaire
from questionnaires.answer_rule import AnswerFields, answer_problems
from questionnaires.schema import Questionnaire
from scoring.display import format_percent, format_score
from scoring.engine import score_assessment
from scoring.targets import shown_target
from scoring.types import AnswerInput, AssessmentResult

TOP_KEYS = ("questionnaire", "version", "profile", "target_preset", "form", "answers")
ANSWER_KEYS = ("level", "na", "justification", "note")
ANSWER_SHAPE = '{"level": 3} or {"na": true, "justification": "why it does not apply"}'


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("score", help="score a filled questionnaire (JSON answers file or .xlsx) without a database",
                       description="Score a filled questionnaire by the documented method (docs/scoring.md).")
    p.add_argument("file", help="JSON answers file (format: docs/scoring.md) or a filled .xlsx workbook")
    p.add_argument("--json", action="store_true", help="print the result as JSON (docs/scoring.md, 'JSON output')")
    p.add_argument("--lang", default="zh", choices=["zh", "en"], help="language of the readable table")
    p.add_argument("--questionnaire-dir", metavar="PATH",
                   help="score against this questionnaire folder instead of a shipped questionnaire")
    p.set_defaults(func=_score)


@dataclass(frozen=True)
class ScoreInput:
    """A validated answers file, ready for :func:`scoring.score_assessment`."""

    profile: dict[str, Any]
    answers: dict[str, AnswerInput]
    target_preset: str | None
    form: str
    ignored: tuple[str, ...]  # answered questions that do not apply (left out of everything)


def _error(message: str) -> Exception:
    return CLIError(message)


def read_answers_file(path: Path) -> Any:
    """The raw answers data of ``path``: a JSON file, or a workbook read by ``excel.reader``."""
    if not path.is_file():
        raise _error(f"{path}: no such file. Fix: give the path of a JSON answers file (docs/scoring.md) "
                     "or of a filled .xlsx questionnaire workbook.")
    if path.suffix.lower() == ".xlsx":
        try:
            from excel.problems import WorkbookRejected
            from excel.reader import read_workbook_answers
            from excel.safety import UnsafeXMLParser
        except ImportError as exc:
            raise _error(f"{path}: reading .xlsx workbooks needs the Excel reader (excel/reader.py), which is not "
                         f"available in this installation ({exc}). Fix: save the answers as a JSON answers file "
                         "(format: docs/scoring.md) and score that.") from exc
        try:
            return read_workbook_answers(path)
        except WorkbookRejected as exc:  # every problem located: sheet, cell, rule and fix
            if not exc.problems:
                raise _error(_unreadable(path, exc)) from exc
            lines = "\n".join(f"  - {p}" for p in exc.problems)
            raise _error(f"{path}: {len(exc.problems)} problem(s) in the workbook:\n{lines}") from exc
        except UnsafeXMLParser as exc:  # the installation's fault, not the file's: the message names the fix
            raise _error(f"{path}: the workbook was not read: {exc}.") from exc
        except Exception as exc:  # any other reader failure is one line and status 2, never a traceback
            raise _error(_unreadable(path, exc)) from exc
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _error(f"{path}: the file is not UTF-8 text. Fix: save it as UTF-8 JSON.") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(f"{path}, line {exc.lineno}, column {exc.colno}: not valid JSON ({exc.msg}). "
                     "Fix: correct the JSON at that place (a missing comma or quote is typical).") from exc


def _unreadable(path: Path, exc: Exception) -> str:
    """One line for a workbook the reader could not process at all (an unreadable file, an unforeseen error)."""
    if isinstance(exc, OSError):
        return (f"{path}: the file cannot be read ({exc.strerror or exc}). Fix: check the path and that you "
                "may read the file.")
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return (f"{path}: the workbook could not be read: {detail}. Fix: open it in Excel, save it as Excel "
            "Workbook (*.xlsx) and score it again; if this message stays, report it.")


def _choose_questionnaire(data: Any, folder: str | None) -> Questionnaire:
    try:
        if folder:
            return load_questionnaire(folder)
        qid = data.get("questionnaire") if isinstance(data, dict) else None
        version = data.get("version") if isinstance(data, dict) else None
        return get_questionnaire(qid if isinstance(qid, str) and qid else DEFAULT_ID,
                                 version if isinstance(version, str) and version else None)
    except QuestionnaireError as exc:
        raise _error(str(exc)) from exc


def _suggest(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=1)
    return f" (did you mean {close[0]}?)" if close else ""


class AnswerEntry(BaseModel):
    """One answer of an answers file (docs/scoring.md): its keys and their types.

    Whether the values make a valid answer (a level 0–5, or N/A with a justification, …) is the one
    answer rule's job (:mod:`questionnaires.answer_rule`), applied after this.
    """

    model_config = ConfigDict(extra="forbid", strict=True)

    level: StrictInt | StrictFloat | None = None
    na: StrictBool = False
    justification: StrictStr = ""
    note: StrictStr = ""

    @field_validator("level")
    @classmethod
    def _whole(cls, value: int | float | None) -> int | None:
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError("not a whole number")
            return int(value)
        return value


# (the message is about the key itself, message, fix) for each code of the answer rule
_RULE_MESSAGES: dict[str, Callable[[dict[str, Any]], tuple[bool, str, str]]] = {
    "not_a_level": lambda v: (True, f"{v['level']} is out of range.",
                              "use a level from 0 (not performed) to 5 (optimizing)."),
    "level_and_na": lambda v: (False, "both a level and N/A are given.",
                               "keep either the level or \"na\": true, not both."),
    "na_justification": lambda v: (False, "N/A needs a written justification.",
                                   'add "justification": "why this practice does not apply to your organisation".'),
    "justification_too_long": lambda v: (True, f"longer than {v['max']} characters.", "shorten it."),
    "note_too_long": lambda v: (True, f"longer than {v['max']} characters.", "shorten it."),
    "justification_control": lambda v: (True, f"contains the control character {v['char']}.",
                                        "remove it (often pasted from another program)."),
    "note_control": lambda v: (True, f"contains the control character {v['char']}.",
                               "remove it (often pasted from another program)."),
}

# What a type error of each key of an entry says: (message with the value, fix)
_TYPE_MESSAGES: dict[str, tuple[str, str]] = {
    "level": ("{value!r} is not a whole number.", "use a level 0, 1, 2, 3, 4 or 5."),
    "na": ("{value!r} is not true or false.", "write true for N/A, or leave it out."),
    "justification": ("must be text.", "write it as a JSON string."),
    "note": ("must be text.", "write it as a JSON string."),
}


def _entry(place: str, value: dict[str, Any], problem: Callable[[str, str, str], None]) -> AnswerEntry | None:
    """The entry parsed by :class:`AnswerEntry`, or None after reporting each key that is wrong (once per key)."""
    try:
        return AnswerEntry.model_validate(value)
    except ValidationError as exc:
        seen: set[str] = set()
        for err in exc.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            if key in seen:
                continue  # a union (level: int or float) reports one error per member
            seen.add(key)
            if err["type"] == "extra_forbidden":
                problem(f"{place}.{key}", "unknown key.", f"use only {', '.join(ANSWER_KEYS)}.")
            else:
                message, fix = _TYPE_MESSAGES[key]
                problem(f"{place}.{key}", message.format(value=value.get(key)), fix)
        return None


def validate_answers_file(data: Any, q: Questionnaire) -> tuple[ScoreInput | None, list[str]]:
    """Check an answers file against a questionnaire: (input, []) or (None, every problem found)."""
    problems: list[str] = []

    def problem(place: str, message: str, fix: str) -> None:
        problems.append(f"{place}: {message} Fix: {fix}")

    if not isinstance(data, dict):
        problem("top level", "the file must hold a JSON object.", 'start from {"profile": {...}, "answers": {...}}.')
        return None, problems
    for key in data:
        if key not in TOP_KEYS:
            problem(str(key), "unknown key.", f"use only {', '.join(TOP_KEYS)}{_suggest(str(key), list(TOP_KEYS))}.")
    qid = data.get("questionnaire")
    if qid is not None and qid != q.id:
        problem("questionnaire", f"the answers are for '{qid}' but are being scored against '{q.id}'.",
                f"set \"questionnaire\": \"{q.id}\" or score against the right folder with --questionnaire-dir.")
    version = data.get("version")
    if version is not None and version != q.version:
        problem("version", f"the answers are for version {version} but the questionnaire is version {q.version}.",
                f"re-export the answers from version {q.version}, or set \"version\": \"{q.version}\" once you "
                "have checked that the questions are the same.")

    profile = data.get("profile")
    fields = ", ".join(f.id for f in q.profile.fields)
    if profile is None:
        problem("profile", "missing; the profile decides which questions apply and the default target.",
                f"add \"profile\": {{...}} with the fields {fields}.")
    elif not isinstance(profile, dict):
        problem("profile", "must be an object.", f"give an object with the fields {fields}.")
    else:
        declared = {f.id for f in q.profile.fields}
        for bad in q.profile_problems(profile):  # structured: the field is read, not parsed from the message
            name = bad.field
            if bad.code == "profile_unknown_field":
                problem(f"profile.{name}", "not a profile field of this questionnaire.",
                        f"remove it; the fields are {fields}{_suggest(name, sorted(declared))}.")
            elif name not in profile:
                problem(f"profile.{name}", "missing.", bad.fix("en") + ".")
            else:
                problem(f"profile.{name}", f"invalid value {json.dumps(profile[name], ensure_ascii=False)}.",
                        bad.fix("en") + ".")

    preset = data.get("target_preset")
    presets = [p.id for p in q.targets.presets]
    if preset is not None and preset not in presets:
        problem("target_preset", f"unknown preset {preset!r}.",
                f"use null (the profile's default) or one of {', '.join(presets)}{_suggest(str(preset), presets)}.")
    form = data.get("form", "full")
    if form not in ("full", "core"):
        problem("form", f"unknown form {form!r}.", 'use "full" (every question) or "core" (the short form).')

    raw = data.get("answers")
    answers: dict[str, AnswerInput] = {}
    ids = [question.id for question in q.questions()]
    known = set(ids)
    if raw is None:
        problem("answers", "missing.", f'add "answers": {{"QUESTION-ID": {ANSWER_SHAPE}, ...}}.')
        raw = {}
    elif not isinstance(raw, dict):
        problem("answers", "must be an object keyed by question id.", f'use {{"QUESTION-ID": {ANSWER_SHAPE}}}.')
        raw = {}
    for key, value in raw.items():
        place = f"answers.{key}"
        if key not in known:
            problem(place, "unknown question id.", f"use an id of {q.id} {q.version}{_suggest(key, ids)}; "
                    "`aigov questionnaire show` lists them.")
            continue
        if not isinstance(value, dict):
            problem(place, "must be an object.", f"write {ANSWER_SHAPE}.")
            continue
        entry = _entry(place, value, problem)
        if entry is None:
            continue
        # The one answer rule (questionnaires/answer_rule.py), each problem at the key it is about.
        broken = answer_problems(AnswerFields(entry.level, entry.na, entry.justification, entry.note))
        for code, field_name, values in broken:
            where, message, fix = _RULE_MESSAGES[code](values)
            problem(place + (f".{field_name}" if where else ""), message, fix)
        if not broken:
            answers[key] = AnswerInput(level=None if entry.level is None else int(entry.level), na=entry.na)
    if problems:
        return None, problems

    assert isinstance(profile, dict)
    core_only = form == "core"
    ignored = tuple(
        question.id for question in q.questions()
        if question.id in answers and answers[question.id].answered
        and (not q.applies(question, profile) or (core_only and not question.core)))
    return ScoreInput(profile, answers, preset, form, ignored), []


# --- output ---------------------------------------------------------------------------------------------

def _labels(lang: str) -> dict[str, str]:
    """The output's labels in ``lang`` (the ``cli.score`` messages of the i18n catalogs)."""
    prefix = "cli.score."
    return {key[len(prefix):]: text for key, text in catalog(lang).items() if key.startswith(prefix)}



def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


def _rjust(text: str, width: int) -> str:
    return " " * max(width - _width(text), 0) + text


def _num(x: float | None, lab: dict[str, str]) -> str:
    return format_score(x, lab["not_scored"])


def _pct(x: float | None) -> str:
    return format_percent(x, "—")


def print_table(result: AssessmentResult, q: Questionnaire, lang: str) -> None:
    """A readable summary: scores and levels by unit, the gap list and the questions left to answer."""
    lab = _labels(lang)
    preset = q.preset(result.target_preset)
    print(f"{q.t(q.meta.title, lang)} — {q.id} {q.version}")
    print(f"{lab['target']}: {q.t(preset.name, lang)} ({preset.id}) · {lab['form']}: {lab[result.form]} · "
          f"{lab['complete']}: {_pct(result.completeness)} · {lab['to_target']}: {_pct(result.percent_to_target)}")
    print()
    names = {uid: name for (_, uid), name in q.unit_names(lang).items()}
    names["overall"] = lab["overall"]

    def row(unit: Any, indent: str = "") -> None:
        label = indent + f"{unit.id if unit.id != 'overall' else ''} {names.get(unit.id, '')}".strip()
        level = "" if unit.level is None else f"L{unit.level}"
        target = format_score(shown_target(q, result, unit), "")
        print(f"  {_ljust(label, 38)} {_rjust(_num(unit.score, lab), 10)} {level:>5} {target:>7} "
              f"{unit.answered:>4}/{unit.applicable}")

    header = (f"  {_ljust(lab['unit'], 38)} {_rjust(lab['score'], 10)} {_rjust(lab['level'], 5)} "
              f"{_rjust(lab['goal'], 7)} {_rjust(lab['answered'], 9)}")
    print(header)
    row(result.overall)
    for dim in result.dimensions:
        row(dim)
        for sub in result.subdimensions:
            if sub.id.startswith(dim.id + "-"):
                row(sub, "  ")
    for title, units in ((lab["principles"], result.principles), (lab["stages"], result.stages)):
        print(f"\n  {title}")
        for u in units:
            row(u, "  ")
    print(f"\n{lab['gaps']} ({len(result.gaps)})")
    if not result.gaps:
        print(f"  {lab['none']}")
    for g in result.gaps:
        rec = q.t(g.recommendation, lang) if g.recommendation else ""
        print(f"  {g.question_id:<12} L{g.level}→{g.target:g}  {lab['priority']} {format_score(g.priority):>5}  "
              f"{_ljust(lab[g.band], 6)} {rec}")
    print(f"\n{lab['to_answer']} ({len(result.to_answer)}): {', '.join(result.to_answer) or lab['none']}")


def _score(args: argparse.Namespace) -> int:
    path = Path(args.file)
    data = read_answers_file(path)
    q = _choose_questionnaire(data, args.questionnaire_dir)
    parsed, problems = validate_answers_file(data, q)
    if parsed is None:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise _error(f"{path}: {len(problems)} problem(s) in the answers file:\n{lines}")
    result = score_assessment(q, parsed.profile, parsed.answers, parsed.target_preset, parsed.form)  # type: ignore[arg-type]
    if parsed.ignored:
        print(f"aigov: note: {_labels('en')['ignored']}: {', '.join(parsed.ignored)}", file=sys.stderr)
    if args.json:
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print_table(result, q, args.lang)
    return 0
