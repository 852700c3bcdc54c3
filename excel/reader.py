"""Read a filled offline template safely, reporting every problem at once with its sheet, cell and fix.

Order of defence: :mod:`excel.safety` inspects the bytes (size, zip bomb, macros, not a workbook),
defusedxml must be active, then openpyxl reads in ``read_only`` mode with ``keep_links=False``.
The workbook is read once with ``data_only=False`` so that a formula cell shows up as a formula
(``data_type == "f"``) and is refused; its cached value is never used and nothing is evaluated,
which is why one pass suffices (``data_only=True`` would hide formulas behind cached values).
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from excel.cells import decode_text
from excel.contract import (
    ANSWER_COLUMNS,
    BASE_META_KEYS,
    MAX_NAME,
    MAX_ROWS,
    META_KEYS,
    META_SHEET,
    NA_ALIASES,
    NAME_ROW,
    PROFILE_COLUMNS,
    READABLE_FORMAT_VERSIONS,
    REVISION_ITEM,
    TEMPLATE_FORMAT,
    TEMPLATE_FORMAT_VERSION,
    col,
    heading,
    no_words,
    sheet_name,
    yes_no,
    yes_words,
)
from excel.problems import Problem, WorkbookRejected, shown
from excel.safety import MAX_UPLOAD_BYTES, inspect, require_defusedxml
from i18n import LANGUAGES, t
from questionnaires import Questionnaire, QuestionnaireError, available, get_questionnaire, versions
from questionnaires.answer_rule import AnswerFields, answer_problems
from questionnaires.schema import ProfileField

_LEVEL = re.compile(r"([0-5])(?:\.0+)?")


@dataclass(frozen=True)
class TemplateAnswer:
    """One answer row that has something in it (fully blank rows are not answers)."""

    question_id: str
    level: int | None
    na: bool
    justification: str
    note: str
    row: int


@dataclass(frozen=True)
class FilledTemplate:
    questionnaire_id: str
    questionnaire_version: str
    language: str
    answers_sheet: str
    profile_sheet: str
    profile: dict[str, Any]  # the fields filled in, as option ids / booleans / lists of ids
    profile_gaps: tuple[Problem, ...]  # blank profile cells: a problem only when the profile is to be saved
    answers: tuple[TemplateAnswer, ...]  # in questionnaire order
    organisation_name: str = ""  # as typed, trimmed; checked only where a member is registered from it
    organisation_cell: str = ""  # e.g. "D2" on the profile sheet; "" for format 1, which has no name row
    # Format 3, a template pre-filled from a draft: that draft's id and each stored answer's revision at
    # download (a question without an entry had no stored answer). None for blank templates and formats 1-2.
    base_assessment_id: int | None = None
    base_revisions: dict[str, int] | None = None
    generated_at: datetime | None = None  # when the template was made (_meta), None when unreadable
    version_cell: str = ""  # the _meta cell of questionnaire_version ("" if absent): where a version problem is

    def answer(self, question_id: str) -> TemplateAnswer | None:
        return next((a for a in self.answers if a.question_id == question_id), None)


class _Cells:
    """A sheet read once in read-only mode: values by (row, column), formulas refused as problems."""

    def __init__(self, ws: Any, title: str, width: int, problems: list[Problem], max_rows: int = MAX_ROWS):
        self.title = title
        self.rows: list[tuple[Any, ...]] = []
        self.too_many = False
        ws.reset_dimensions()  # never trust the file's own <dimension>: read every row that is there
        for r, row in enumerate(ws.iter_rows(min_row=1, max_col=width), 1):
            if r > max_rows:
                self.too_many = True
                break
            values: list[Any] = []
            for c, cell in enumerate(row, 1):
                if cell.data_type == "f":
                    problems.append(Problem("formula", {"formula": shown(cell.value)}, sheet=title, cell=f"{get_column_letter(c)}{r}"))
                    values.append(None)
                elif isinstance(cell.value, str):
                    values.append(decode_text(cell.value))
                else:
                    values.append(cell.value)
            self.rows.append(tuple(values))

    def get(self, row: int, column: int) -> Any:
        if row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[column - 1] if column <= len(values) else None

    def body(self) -> range:
        """Row numbers below the heading row."""
        return range(2, len(self.rows) + 1)


def _text(value: Any) -> str:
    """A cell value as the text the user typed (numbers and dates as Excel shows them, ISO dates)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _parse_level(value: Any) -> tuple[int | None, bool] | None:
    """(level, na) for a level cell, None when the value is not a level."""
    if value is None:
        return None, False
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return (int(value), False) if float(value).is_integer() and 0 <= value <= 5 else None
    if isinstance(value, str):
        text = unicodedata.normalize("NFKC", value).strip()
        if not text:
            return None, False
        if text.lower() in NA_ALIASES or text.lower() == "#n/a":
            return None, True
        m = _LEVEL.fullmatch(text)
        return (int(m.group(1)), False) if m else None
    return None


# --- the workbook ---------------------------------------------------------------------------------

def _meta(wb: Any, problems: list[Problem]) -> dict[str, tuple[str, str]]:
    """{key: (value, cell)} of the _meta sheet."""
    sheet = _Cells(wb[META_SHEET], META_SHEET, 2, problems, max_rows=50)
    out: dict[str, tuple[str, str]] = {}
    for r, values in enumerate(sheet.rows, 1):
        key = _text(values[0] if values else None).strip()
        if key in META_KEYS or key in BASE_META_KEYS:
            out[key] = (_text(values[1] if len(values) > 1 else None).strip(), f"B{r}")
    for key in META_KEYS:
        if not out.get(key, ("", ""))[0]:
            problems.append(Problem("meta_missing", {"key": key}, sheet=META_SHEET))
    return out


_ASSESSMENT_ID = re.compile(r"[1-9][0-9]{0,17}")


def _base(meta: dict[str, tuple[str, str]], q: Questionnaire,
          problems: list[Problem]) -> tuple[int | None, dict[str, int] | None]:
    """(assessment id, {question id: revision}) recorded by a template pre-filled from a draft (format 3).

    Both keys or neither: a blank template has neither. Every malformed value is a located problem.
    """
    if "assessment_id" not in meta and "answer_revisions" not in meta:
        return None, None
    id_text, id_cell = meta.get("assessment_id", ("", ""))
    revs_text, revs_cell = meta.get("answer_revisions", ("", ""))
    if not id_text:
        problems.append(Problem("meta_missing", {"key": "assessment_id"}, sheet=META_SHEET))
        return None, None
    if "answer_revisions" not in meta:
        problems.append(Problem("meta_missing", {"key": "answer_revisions"}, sheet=META_SHEET))
        return None, None
    ok = True
    if not _ASSESSMENT_ID.fullmatch(id_text):
        problems.append(Problem("meta_bad_base", {"key": "assessment_id", "value": shown(id_text)}, sheet=META_SHEET, cell=id_cell))
        ok = False
    known = {question.id for question in q.questions()}
    revisions: dict[str, int] = {}
    for item in (revs_text.split(",") if revs_text else []):
        m = REVISION_ITEM.fullmatch(item.strip())
        if m is None or m.group(1) not in known or m.group(1) in revisions:
            problems.append(Problem("meta_bad_base", {"key": "answer_revisions", "value": shown(item.strip()) or "—"}, sheet=META_SHEET, cell=revs_cell))
            ok = False
            break
        revisions[m.group(1)] = int(m.group(2))
    return (int(id_text), revisions) if ok else (None, None)


def _questionnaire(meta: dict[str, tuple[str, str]], problems: list[Problem]) -> Questionnaire | None:
    fmt, fmt_cell = meta.get("format", ("", ""))
    version, version_cell = meta.get("template_format_version", ("", ""))
    if fmt and fmt != TEMPLATE_FORMAT:
        problems.append(Problem("not_template", sheet=META_SHEET, cell=fmt_cell))
        return None
    if version and version not in READABLE_FORMAT_VERSIONS:
        problems.append(Problem("template_format", {"found": shown(version), "expected": TEMPLATE_FORMAT_VERSION}, sheet=META_SHEET, cell=version_cell))
        return None
    qid, qid_cell = meta.get("questionnaire_id", ("", ""))
    qver, qver_cell = meta.get("questionnaire_version", ("", ""))
    if not qid:
        return None
    if qid not in available():
        problems.append(Problem("unknown_questionnaire", {"id": shown(qid)}, sheet=META_SHEET, cell=qid_cell))
        return None
    shipped = versions(qid)
    if qver and qver not in shipped:
        problems.append(Problem("wrong_version", {"id": qid, "found": shown(qver), "expected": ", ".join(shipped)}, sheet=META_SHEET, cell=qver_cell))
        return None
    try:  # every shipped version stays readable: a 1.0.0 file still imports as 1.0.0 answers
        return get_questionnaire(qid, qver or None)
    except QuestionnaireError:  # a shipped questionnaire that does not load is the operator's problem
        problems.append(Problem("unknown_questionnaire", {"id": shown(qid)}, sheet=META_SHEET, cell=qid_cell))
        return None


def _find_sheet(wb: Any, kind: str, lang: str, problems: list[Problem]) -> tuple[Any, str] | None:
    names = [sheet_name(kind, lang)] + [sheet_name(kind, other) for other in LANGUAGES if other != lang]
    for name in names:
        if name in wb.sheetnames:
            return wb[name], name
    found = ", ".join(n for n in wb.sheetnames if n != META_SHEET and not n.startswith("_"))
    problems.append(Problem("sheet_missing", {"found": found or "—"}, sheet=names[0]))
    return None


def _check_headings(sheet: _Cells, columns: Sequence[str], lang: str, problems: list[Problem]) -> bool:
    ok = True
    for c, name in enumerate(columns, 1):
        found = _text(sheet.get(1, c)).strip()
        if found not in {heading(name, other) for other in LANGUAGES}:
            problems.append(Problem("bad_heading", {"expected": heading(name, lang), "found": shown(found) or "—"}, sheet=sheet.title, cell=f"{get_column_letter(c)}1"))
            ok = False
    return ok


# The answer rule's codes as this workbook's messages (excel.problem.*): (code, values) from (question, text, values).
_RULE_MESSAGES: dict[str, Callable[[str, str, dict[str, Any]], tuple[str, dict[str, Any]]]] = {
    "na_justification": lambda qid, text, v: ("na_needs_justification", {"qid": qid}),
    "justification_too_long": lambda qid, text, v: ("text_too_long", {"length": len(text), "max": v["max"]}),
    "note_too_long": lambda qid, text, v: ("text_too_long", {"length": len(text), "max": v["max"]}),
    "justification_control": lambda qid, text, v: ("text_control", {"char": v["char"]}),
    "note_control": lambda qid, text, v: ("text_control", {"char": v["char"]}),
    # A parsed level is 0–5 or N/A (never both): _parse_level reports anything else as level_not_valid first.
    "not_a_level": lambda qid, text, v: ("level_not_valid", {"value": v["level"]}),
    "level_and_na": lambda qid, text, v: ("level_not_valid", {"value": "N/A"}),
}


def _read_answers(sheet: _Cells, q: Questionnaire, problems: list[Problem]) -> list[TemplateAnswer]:
    known = {question.id for question in q.questions()}
    c_id, c_level = col(ANSWER_COLUMNS, "id"), col(ANSWER_COLUMNS, "level")
    c_just, c_note = col(ANSWER_COLUMNS, "justification"), col(ANSWER_COLUMNS, "note")
    letters = {name: get_column_letter(col(ANSWER_COLUMNS, name)) for name in ANSWER_COLUMNS}
    rows: dict[str, int] = {}
    found: dict[str, TemplateAnswer] = {}
    for r in sheet.body():
        raw_id, raw_level = sheet.get(r, c_id), sheet.get(r, c_level)
        just, note = _text(sheet.get(r, c_just)).strip(), _text(sheet.get(r, c_note)).strip()
        qid = _text(raw_id).strip()
        has_answer = raw_level not in (None, "") or bool(just) or bool(note)
        if not qid:
            if has_answer:
                problems.append(Problem("no_question_id", sheet=sheet.title, cell=f"{letters['id']}{r}"))
            continue
        if qid not in known:
            problems.append(Problem("unknown_question_id", {"value": shown(qid), "questionnaire": q.id, "version": q.version}, sheet=sheet.title, cell=f"{letters['id']}{r}"))
            continue
        if qid in rows:
            problems.append(Problem("duplicate_question", {"qid": qid, "first": rows[qid]}, sheet=sheet.title, cell=f"{letters['id']}{r}"))
            continue
        rows[qid] = r
        parsed = _parse_level(raw_level)
        if parsed is None:
            problems.append(Problem("level_not_valid", {"value": shown(_text(raw_level))}, sheet=sheet.title, cell=f"{letters['level']}{r}"))
            continue
        level, na = parsed
        # The one answer rule (questionnaires/answer_rule.py), each problem at the cell of its field.
        for code, field_name, values in answer_problems(AnswerFields(level, na, just, note)):
            excel_code, shown_values = _RULE_MESSAGES[code](qid, just if field_name == "justification" else note,
                                                            values)
            problems.append(Problem(excel_code, shown_values, sheet=sheet.title, cell=f"{letters[field_name]}{r}"))
        if level is not None or na or just or note:  # a cell of spaces is still a blank row
            found[qid] = TemplateAnswer(qid, level, na, just, note, r)
    if sheet.too_many:
        problems.append(Problem("too_many_rows", {"max": MAX_ROWS}, sheet=sheet.title))
    for question in q.questions():
        if question.id not in rows:
            problems.append(Problem("missing_question", {"qid": question.id}, sheet=sheet.title))
    return [found[question.id] for question in q.questions() if question.id in found]


def _profile_rows(q: Questionnaire) -> dict[tuple[str, str], ProfileField]:
    """(field id, option id or "") of every profile row the template has, in order."""
    rows: dict[tuple[str, str], ProfileField] = {}
    for f in q.profile.fields:
        for oid in ([o.id for o in f.options] if f.type == "multi" else [""]):
            rows[(f.id, oid)] = f
    return rows


@dataclass
class _Profile:
    values: dict[str, Any]
    gaps: list[Problem]
    name: str = ""
    name_cell: str = ""


def _read_profile(sheet: _Cells, q: Questionnaire, lang: str, with_name: bool, problems: list[Problem]) -> _Profile:
    """The name and the profile as option ids; blank cells are returned separately (needed only to save it)."""
    c_field, c_option, c_value = (col(PROFILE_COLUMNS, n) for n in ("field_id", "option_id", "value"))
    v_letter = get_column_letter(c_value)
    expected = _profile_rows(q)
    name, name_cell = "", ""
    seen: dict[tuple[str, str], int] = {}
    yes, no = yes_words(), no_words()
    profile: dict[str, Any] = {}
    multi: dict[str, dict[str, bool | None]] = {}
    gaps: list[Problem] = []
    for r in sheet.body():
        fid, oid = _text(sheet.get(r, c_field)).strip(), _text(sheet.get(r, c_option)).strip()
        raw = sheet.get(r, c_value)
        if not fid and not oid and raw in (None, ""):
            continue
        key = (fid, oid)
        if with_name and key == (NAME_ROW, ""):
            if name_cell:
                problems.append(Problem("profile_duplicate_row", {"first": name_cell[1:]}, sheet=sheet.title, cell=f"A{r}"))
            else:
                name, name_cell = " ".join(_text(raw).split()), f"{v_letter}{r}"
            continue
        if key not in expected:
            problems.append(Problem("profile_unknown_row", {"value": shown(f"{fid} {oid}".strip())}, sheet=sheet.title, cell=f"A{r}"))
            continue
        if key in seen:
            problems.append(Problem("profile_duplicate_row", {"first": seen[key]}, sheet=sheet.title, cell=f"A{r}"))
            continue
        seen[key] = r
        f = expected[key]
        label = q.t(f.label, lang)
        if f.type == "multi":
            label += ": " + next(q.t(o.label, lang) for o in f.options if o.id == oid)
        text = unicodedata.normalize("NFKC", _text(raw)).strip()
        if not text:
            gaps.append(Problem("profile_blank", {"field": label}, sheet=sheet.title, cell=f"{v_letter}{r}"))
            if f.type == "multi":
                multi.setdefault(fid, {})[oid] = None
            continue
        if f.type == "single":
            match = next((o.id for o in f.options
                          if text == o.id or text in {q.t(o.label, other) for other in q.languages}), None)
            if match is None:
                choices = t("excel.template.list_sep", lang).join(q.t(o.label, lang) for o in f.options)
                problems.append(Problem("profile_bad_choice", {"value": shown(text), "field": label, "choices": choices}, sheet=sheet.title, cell=f"{v_letter}{r}"))
            else:
                profile[fid] = match
            continue
        if raw is True or text.lower() in yes:
            value = True
        elif raw is False or text.lower() in no:
            value = False
        else:
            y, n = yes_no(lang)
            problems.append(Problem("profile_bad_yes_no", {"value": shown(text), "field": label, "yes": y, "no": n}, sheet=sheet.title, cell=f"{v_letter}{r}"))
            continue
        if f.type == "bool":
            profile[fid] = value
        else:
            multi.setdefault(fid, {})[oid] = value
    if with_name and not name_cell:
        problems.append(Problem("profile_missing_row", {"field": t("excel.template.organisation_name", lang), "option": "—"}, sheet=sheet.title))
    for key, f in expected.items():
        if key not in seen:
            problems.append(Problem("profile_missing_row", {"field": q.t(f.label, lang), "option": key[1] or "—"}, sheet=sheet.title))
    for fid, options in multi.items():
        chosen = [oid for oid, value in options.items() if value]
        if chosen:
            profile[fid] = chosen
        elif None not in options.values():  # every option answered "no": at least one must apply
            f = q.profile_field(fid)
            first = min(r for (field, _), r in seen.items() if field == fid)
            gaps.append(Problem("profile_multi_none", {"field": q.t(f.label, lang), "yes": yes_no(lang)[0]}, sheet=sheet.title, cell=f"{v_letter}{first}"))
    return _Profile(profile, gaps, name, name_cell)


def _unreadable(exc: BaseException) -> WorkbookRejected:
    """The problem for a parse failure; openpyxl wraps defusedxml's refusal in a ValueError."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException):
            return WorkbookRejected([Problem("xml_entities")])
        seen = seen.__cause__ or seen.__context__
    return WorkbookRejected([Problem("damaged", {"detail": type(exc).__name__})])


def read_template(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES,
                  require_name: bool = False, require_profile: bool = False) -> FilledTemplate:
    """The filled template in ``data``, or :class:`WorkbookRejected` listing every problem found.

    ``require_name`` / ``require_profile``: the organisation's name / every profile cell must be
    filled in (registering a member organisation needs both), reported with all other problems.
    """
    require_defusedxml()
    finding = inspect(data, max_bytes=max_bytes)
    if finding is not None:
        raise WorkbookRejected([Problem(finding.code, finding.values)])
    problems: list[Problem] = []
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for malformed parts; all mean "damaged"
        raise _unreadable(exc) from exc
    try:
        result = _read(wb, problems, require_name, require_profile)
    except Exception as exc:  # a sheet part that fails to parse while streaming its rows
        raise _unreadable(exc) from exc
    finally:
        wb.close()
    if problems or result is None:
        raise WorkbookRejected(problems)
    return result


def _name_problems(profile: _Profile, version: str, sheet: str) -> list[Problem]:
    if version == "1":
        return [Problem("member_no_name_cell", sheet=sheet)]
    if not profile.name_cell:
        return []  # the missing row is reported already
    if not profile.name:
        return [Problem("member_name_blank", sheet=sheet, cell=profile.name_cell)]
    if len(profile.name) > MAX_NAME:
        return [Problem("member_name_too_long", {"length": len(profile.name), "max": MAX_NAME}, sheet=sheet, cell=profile.name_cell)]
    return []


def _read(wb: Any, problems: list[Problem], require_name: bool,
          require_profile: bool) -> FilledTemplate | None:
    if META_SHEET not in wb.sheetnames:
        problems.append(Problem("not_template"))
        return None
    meta = _meta(wb, problems)
    lang = meta.get("language", ("", ""))[0]
    if lang not in LANGUAGES:
        if lang:
            problems.append(Problem("meta_bad_language", {"value": shown(lang)}, sheet=META_SHEET, cell=meta["language"][1]))
        lang = LANGUAGES[0]
    q = _questionnaire(meta, problems)
    if q is None:
        return None
    version = meta.get("template_format_version", ("", ""))[0]
    # Formats 1 and 2 have no base: keys of that name in such a file are ignored like any other unknown row.
    base_id, base_revisions = _base(meta, q, problems) if version not in ("1", "2") else (None, None)
    found_answers = _find_sheet(wb, "answers", lang, problems)
    found_profile = _find_sheet(wb, "profile", lang, problems)
    answers: list[TemplateAnswer] = []
    profile = _Profile({}, [])
    if found_answers is not None:
        sheet = _Cells(found_answers[0], found_answers[1], len(ANSWER_COLUMNS), problems)
        if _check_headings(sheet, ANSWER_COLUMNS, lang, problems):
            answers = _read_answers(sheet, q, problems)
    if found_profile is not None:
        sheet = _Cells(found_profile[0], found_profile[1], len(PROFILE_COLUMNS), problems, max_rows=200)
        if _check_headings(sheet, PROFILE_COLUMNS, lang, problems):
            profile = _read_profile(sheet, q, lang, version != "1", problems)
            if require_name:
                problems += _name_problems(profile, version, found_profile[1])
            if require_profile:
                problems += profile.gaps
    if problems or found_answers is None or found_profile is None:
        return None
    return FilledTemplate(q.id, q.version, lang, found_answers[1], found_profile[1], profile.values,
                          tuple(profile.gaps), tuple(answers), profile.name, profile.name_cell,
                          base_id, base_revisions, _generated_at(meta),
                          meta.get("questionnaire_version", ("", ""))[1])


def _generated_at(meta: dict[str, tuple[str, str]]) -> datetime | None:
    """The template's generation time (UTC, to the second) as written in ``_meta``; None if unreadable."""
    try:
        return datetime.fromisoformat(meta.get("generated_at", ("", ""))[0])
    except ValueError:
        return None


def read_workbook_answers(path: str | Path) -> dict[str, Any]:
    """A filled template as the answers-file data that ``aigov score`` checks and scores (docs/scoring.md).

    Raises :class:`WorkbookRejected` (a ValueError) naming every problem with its sheet and cell.
    The profile decides which questions apply and the default target, so scoring needs all of it:
    blank profile cells are problems here, located at their cells like every other.
    """
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_UPLOAD_BYTES:
        raise WorkbookRejected([Problem("too_large", {"size_mb": f"{size / 1024 / 1024:.1f}",
                                                              "max_mb": MAX_UPLOAD_BYTES // 1024 // 1024})])
    filled = read_template(path.read_bytes(), require_profile=True)
    answers: dict[str, dict[str, Any]] = {}
    for a in filled.answers:
        entry: dict[str, Any] = {"na": True} if a.na else ({"level": a.level} if a.level is not None else {})
        if a.justification:
            entry["justification"] = a.justification
        if a.note:
            entry["note"] = a.note
        answers[a.question_id] = entry
    return {"questionnaire": filled.questionnaire_id, "version": filled.questionnaire_version,
            "profile": dict(filled.profile), "answers": answers}
