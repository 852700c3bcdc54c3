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

from cli.commands.questionnaire import problems_error
from cli.main import CLIError
from enums import AssessmentForm
from i18n import catalog, t
from problems import Problem, shown
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
    p.add_argument("--lang", default="zh", choices=["zh", "en"],
                   help="language of the readable table and of the problems (default zh)")
    p.add_argument("--questionnaire-dir", metavar="PATH",
                   help="score against this questionnaire folder instead of a shipped questionnaire")
    p.set_defaults(func=_score)


@dataclass(frozen=True)
class ScoreInput:
    """A validated answers file, ready for :func:`scoring.score_assessment`."""

    profile: dict[str, Any]
    answers: dict[str, AnswerInput]
    target_preset: str | None
    form: AssessmentForm
    ignored: tuple[str, ...]  # answered questions that do not apply (left out of everything)


class AnswersRefused(Exception):
    """The answers file cannot be scored; ``problems`` lists why, each located in the file (or workbook).

    ``heading`` is the i18n key of the line above a list of the file's problems ("" for one problem about the
    file as a whole, printed on its own line)."""

    def __init__(self, problems: list[Problem], heading: str = ""):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.heading = heading


@dataclass(frozen=True)
class Close:
    """The nearest valid value to a mistyped one, said in a problem's language (" (did you mean X?)"), or nothing."""

    value: str

    def text(self, lang: str) -> str:
        return t("cli.problems.did_you_mean", lang, value=self.value) if self.value else ""


def _close(value: str, options: list[str]) -> Close:
    found = difflib.get_close_matches(value, options, n=1)
    return Close(found[0] if found else "")


def read_answers_file(path: Path) -> Any:
    """The raw answers data of ``path``: a JSON file, or a workbook read by ``excel.reader``."""
    name = str(path)
    if not path.is_file():
        raise AnswersRefused([Problem("answers_file_missing", file=name)])
    if path.suffix.lower() == ".xlsx":
        try:
            from excel.problems import WorkbookRejected
            from excel.reader import read_workbook_answers
            from excel.safety import UnsafeXMLParser
        except ImportError as exc:
            raise AnswersRefused([Problem("answers_xlsx_unavailable", {"error": shown(exc)}, file=name)]) from exc
        try:
            return read_workbook_answers(path)
        except WorkbookRejected as exc:  # every problem located: sheet, cell, rule and fix
            if not exc.problems:
                raise AnswersRefused([_unreadable(name, exc)]) from exc
            raise AnswersRefused(list(exc.problems), "cli.problems.in_workbook") from exc
        except UnsafeXMLParser as exc:  # the installation's fault, not the file's: the message names the fix
            raise AnswersRefused([Problem("answers_xml_parser_unsafe", {"detail": str(exc)}, file=name)]) from exc
        except Exception as exc:  # any other reader failure is one line and status 2, never a traceback
            raise AnswersRefused([_unreadable(name, exc)]) from exc
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AnswersRefused([Problem("answers_not_utf8", file=name)]) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnswersRefused([Problem("answers_json_syntax", {"reason": exc.msg, "column": exc.colno}, file=name,
                                      line=exc.lineno)]) from exc


def _unreadable(name: str, exc: Exception) -> Problem:
    """The problem of a workbook the reader could not process at all (an unreadable file, an unforeseen error)."""
    if isinstance(exc, OSError):
        return Problem("answers_file_unreadable", {"reason": shown(exc.strerror or exc)}, file=name)
    detail = " ".join(str(exc).split()) or type(exc).__name__
    return Problem("answers_workbook_unreadable", {"detail": shown(detail)}, file=name)


def _choose_questionnaire(data: Any, folder: str | None) -> Questionnaire:
    if folder:
        return load_questionnaire(folder)
    qid = data.get("questionnaire") if isinstance(data, dict) else None
    version = data.get("version") if isinstance(data, dict) else None
    return get_questionnaire(qid if isinstance(qid, str) and qid else DEFAULT_ID,
                             version if isinstance(version, str) and version else None)


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


# The code of a type error of each key of an entry
_TYPE_CODES = {"level": "answers_level_not_whole", "na": "answers_na_not_bool", "justification": "answers_not_text",
               "note": "answers_not_text"}


def validate_answers_file(data: Any, q: Questionnaire, file: str = "answers.json") -> tuple[ScoreInput | None,
                                                                                            list[Problem]]:
    """Check an answers file against a questionnaire: (input, []) or (None, every problem found, each at its
    JSON path in ``file``)."""
    problems: list[Problem] = []

    def problem(code: str, path: str, values: dict[str, Any] | None = None, question: str = "") -> None:
        problems.append(Problem(code, values, file=file, path=path, question=question))

    if not isinstance(data, dict):
        problem("answers_file_not_object", "")
        return None, problems
    for key in data:
        if key not in TOP_KEYS:
            problem("answers_unknown_key", shown(key), {"key": shown(key), "choices": ", ".join(TOP_KEYS),
                                                         "close": _close(str(key), list(TOP_KEYS))})
    qid = data.get("questionnaire")
    if qid is not None and qid != q.id:
        problem("answers_wrong_questionnaire", "questionnaire", {"found": shown(qid), "expected": q.id})
    version = data.get("version")
    if version is not None and version != q.version:
        problem("answers_wrong_version", "version", {"found": shown(version), "expected": q.version})

    profile = data.get("profile")
    fields = ", ".join(f.id for f in q.profile.fields)
    if profile is None:
        problem("answers_profile_missing", "profile", {"fields": fields})
    elif not isinstance(profile, dict):
        problem("answers_profile_not_object", "profile", {"fields": fields})
    else:
        for bad in q.profile_problems(profile):  # the profile's own rule, placed at the field it is about
            problems.append(Problem(bad.code, bad.values, file=file, path=f"profile.{shown(bad.field)}",
                                    field=bad.field))

    preset = data.get("target_preset")
    presets = [p.id for p in q.targets.presets]
    if preset is not None and preset not in presets:
        problem("answers_unknown_preset", "target_preset", {"preset": shown(preset), "choices": ", ".join(presets),
                                                            "close": _close(str(preset), presets)})
    form = data.get("form", AssessmentForm.FULL)
    if form not in tuple(AssessmentForm):
        problem("answers_unknown_form", "form", {"form": shown(form)})

    raw = data.get("answers")
    answers: dict[str, AnswerInput] = {}
    ids = [question.id for question in q.questions()]
    known = set(ids)
    if raw is None:
        problem("answers_missing", "answers", {"shape": ANSWER_SHAPE})
        raw = {}
    elif not isinstance(raw, dict):
        problem("answers_not_keyed", "answers", {"shape": ANSWER_SHAPE})
        raw = {}
    for key, value in raw.items():
        place = f"answers.{shown(key)}"
        if key not in known:
            problem("answers_unknown_question", place, {"id": shown(key), "questionnaire": q.id, "version": q.version,
                                                        "close": _close(key, ids)})
            continue
        if not isinstance(value, dict):
            problem("answers_entry_not_object", place, {"shape": ANSWER_SHAPE}, question=key)
            continue
        try:
            entry = AnswerEntry.model_validate(value)
        except ValidationError as exc:
            seen: set[str] = set()
            for err in exc.errors():
                name = str(err["loc"][0]) if err["loc"] else ""
                if name in seen:
                    continue  # a union (level: int or float) reports one error per member
                seen.add(name)
                at, values = f"{place}.{shown(name)}", {"key": shown(name), "choices": ", ".join(ANSWER_KEYS)}
                if err["type"] == "extra_forbidden":
                    problem("answers_entry_unknown_key", at, values, question=key)
                else:
                    shown_value = shown(json.dumps(value.get(name), ensure_ascii=False))
                    problem(_TYPE_CODES[name], at, {**values, "value": shown_value}, question=key)
            continue
        # The one answer rule (questionnaires/answer_rule.py), each problem at the key it is about.
        broken = answer_problems(AnswerFields(entry.level, entry.na, entry.justification, entry.note))
        for code, field_name, values in broken:
            problems.append(Problem(code, values, file=file, path=f"{place}.{field_name}", question=key,
                                    field=field_name))
        if not broken:
            answers[key] = AnswerInput(level=None if entry.level is None else int(entry.level), na=entry.na)
    if problems:
        return None, problems

    assert isinstance(profile, dict)
    core_only = form == AssessmentForm.CORE
    ignored = tuple(
        question.id for question in q.questions()
        if question.id in answers and answers[question.id].answered
        and (not q.applies(question, profile) or (core_only and not question.core)))
    return ScoreInput(profile, answers, preset, AssessmentForm(form), ignored), []


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
    names = {("overall", "overall"): lab["overall"], **q.unit_labels(lang)}  # "GOV 治理能力", as every table

    def row(unit: Any, indent: str = "") -> None:
        label = indent + names[(unit.kind, unit.id)]
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
    try:
        data = read_answers_file(path)
        q = _choose_questionnaire(data, args.questionnaire_dir)
        parsed, problems = validate_answers_file(data, q, str(path))
        if parsed is None:
            raise AnswersRefused(problems, "cli.problems.in_answers_file")
    except AnswersRefused as exc:
        raise CLIError(_refusal(path, exc, args.lang)) from exc
    except QuestionnaireError as exc:
        raise problems_error(exc.problems, args.lang) from exc
    result = score_assessment(q, parsed.profile, parsed.answers, parsed.target_preset, parsed.form)
    if parsed.ignored:
        print(f"aigov: note: {_labels(args.lang)['ignored']}: {', '.join(parsed.ignored)}", file=sys.stderr)
    if args.json:
        json.dump(result.to_json(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print_table(result, q, args.lang)
    return 0


def _refusal(path: Path, exc: AnswersRefused, lang: str) -> str:
    """What ``aigov score`` prints for a refused file: one problem on its line, several under a heading."""
    if not exc.heading:
        return "\n".join(p.text(lang) for p in exc.problems)
    lines = "\n".join(f"  - {p.text(lang)}" for p in exc.problems)
    return f"{t(exc.heading, lang, path=path, count=len(exc.problems))}\n{lines}"
