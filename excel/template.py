"""The offline questionnaire template: one workbook per questionnaire and language, built from the data.

Sheets: instructions; the organisation profile (drop-downs from ``questionnaire.profile.fields``);
the answers (one row per question, a 0–5/N/A drop-down, justification and note); a hidden list
sheet feeding the drop-downs; and a very hidden ``_meta`` sheet naming the questionnaire, its
version, the language and the template format (and, for a template pre-filled from a draft, the
draft's id and each answer's revision at download). Only the answer cells are unlocked; blank cells
that still need an answer are highlighted by conditional formatting that follows the profile
filled in on the profile sheet. The contract is in excel/contract.py and docs/excel.md.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from excel.cells import put
from excel.contract import (
    ANSWER_COLUMNS,
    LEVEL_CHOICES,
    LISTS_SHEET,
    MAX_NAME,
    MAX_TEXT,
    META_SHEET,
    NA_TEXT,
    NAME_ROW,
    PROFILE_COLUMNS,
    TEMPLATE_FORMAT,
    TEMPLATE_FORMAT_VERSION,
    AnswerLike,
    TemplateBase,
    col,
    encode_revisions,
    heading,
    letter,
    sheet_name,
    yes_no,
)
from i18n import t
from questionnaires import Questionnaire
from questionnaires.schema import ProfileField, Question, Rule

HEADER_FILL = PatternFill("solid", fgColor="DCE6F1")
INPUT_FILL = PatternFill("solid", fgColor="FFFBEA")
MISSING_FILL = PatternFill("solid", fgColor="FFC7CE")
THIN = Side(style="thin", color="BFBFBF")


def _styles(wb: Workbook) -> None:
    border = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
    wrap = Alignment(wrap_text=True, vertical="top")
    wb.add_named_style(NamedStyle("tpl_header", font=Font(bold=True), fill=HEADER_FILL, border=border,
                                  alignment=Alignment(wrap_text=True, vertical="center")))
    wb.add_named_style(NamedStyle("tpl_text", border=border, alignment=wrap))
    wb.add_named_style(NamedStyle("tpl_input", border=border, alignment=wrap, fill=INPUT_FILL,
                                  protection=Protection(locked=False)))


def build_template(q: Questionnaire, lang: str, *, profile: Mapping[str, Any] | None = None,
                   answers: Mapping[str, AnswerLike] | None = None, organisation: str = "",
                   generated_at: datetime | None = None, base: TemplateBase | None = None) -> bytes:
    """The template as .xlsx bytes, optionally pre-filled with a name, profile and answers (offline editing).

    ``base``: the draft the answers come from and their revisions, recorded in ``_meta`` so that an
    import back into that draft can tell answers changed in the app since the download (format 3).
    """
    wb = Workbook()
    _styles(wb)
    instructions = wb.active
    assert isinstance(instructions, Worksheet)  # a new workbook starts with one worksheet
    instructions.title = sheet_name("instructions", lang)
    profile_ws = wb.create_sheet(sheet_name("profile", lang))
    answers_ws = wb.create_sheet(sheet_name("answers", lang))
    lists = wb.create_sheet(LISTS_SHEET)
    meta = wb.create_sheet(META_SHEET)

    list_ranges = _write_lists(lists, q, lang)
    profile_cells = _write_profile(profile_ws, q, lang, organisation, profile or {}, list_ranges)
    _write_answers(answers_ws, q, lang, answers or {}, profile_cells, list_ranges["level"])
    _write_instructions(instructions, q, lang)
    _write_meta(meta, q, lang, generated_at or datetime.now(UTC).replace(tzinfo=None), base)

    lists.sheet_state = "hidden"
    meta.sheet_state = "veryHidden"
    for ws in (instructions, profile_ws, answers_ws, lists, meta):
        ws.protection.sheet = True
        ws.protection.formatColumns = False  # users may widen columns and rows
        ws.protection.formatRows = False
        ws.protection.autoFilter = False
    wb.security = WorkbookProtection(lockStructure=True)  # no renaming, moving or unhiding sheets
    wb.active = wb.sheetnames.index(answers_ws.title)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- hidden lists ---------------------------------------------------------------------------------

def _write_lists(ws: Worksheet, q: Questionnaire, lang: str) -> dict[str, str]:
    """Drop-down sources, one column each; returns {list name: absolute range}."""
    columns: dict[str, list[Any]] = {"level": list(LEVEL_CHOICES), "yes_no": list(yes_no(lang))}
    for f in q.profile.fields:
        if f.type == "single":
            columns[f.id] = [q.t(o.label, lang) for o in f.options]
    ranges = {}
    for c, (name, values) in enumerate(columns.items(), 1):
        for r, value in enumerate(values, 1):
            put(ws, r, c, value)
        colname = get_column_letter(c)
        ranges[name] = f"'{LISTS_SHEET}'!${colname}$1:${colname}${len(values)}"
    return ranges


def _list_validation(source: str, lang: str) -> DataValidation:
    return DataValidation(type="list", formula1=source, allow_blank=True, showErrorMessage=True,
                          errorTitle=t("excel.template.invalid_title", lang),
                          error=t("excel.template.invalid_choice", lang))


# --- profile ----------------------------------------------------------------------------------------

def _profile_value(f: ProfileField, value: Any, option_id: str | None, q: Questionnaire, lang: str) -> Any:
    yes, no = yes_no(lang)
    if value is None:
        return None
    if f.type == "multi":
        return yes if isinstance(value, list) and option_id in value else no
    if f.type == "bool":
        return yes if value is True else no if value is False else None
    for o in f.options:
        if o.id == value:
            return q.t(o.label, lang)
    return None


def _write_name(ws: Worksheet, row: int, organisation: str, lang: str) -> None:
    """The organisation-name row (format 2): what an association's bulk import registers the member as."""
    put(ws, row, col(PROFILE_COLUMNS, "field_id"), NAME_ROW, style="tpl_text")
    put(ws, row, col(PROFILE_COLUMNS, "option_id"), "", style="tpl_text")
    put(ws, row, col(PROFILE_COLUMNS, "field"), t("excel.template.organisation_name", lang), style="tpl_text")
    put(ws, row, col(PROFILE_COLUMNS, "value"), organisation or None, style="tpl_input")
    put(ws, row, col(PROFILE_COLUMNS, "help"), t("excel.template.organisation_help", lang, max=MAX_NAME),
        style="tpl_text")
    length = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(MAX_NAME), allow_blank=True,
                            showErrorMessage=True, errorTitle=t("excel.template.invalid_title", lang),
                            error=t("excel.template.too_long", lang, max=MAX_NAME))
    ws.add_data_validation(length)
    length.add(f"{letter(PROFILE_COLUMNS, 'value')}{row}")


def _write_profile(ws: Worksheet, q: Questionnaire, lang: str, organisation: str, profile: Mapping[str, Any],
                   lists: dict[str, str]) -> dict[tuple[str, str | None], str]:
    """Name and profile rows; returns {(field id, option id or None): absolute address of the value cell}."""
    for c, name in enumerate(PROFILE_COLUMNS, 1):
        put(ws, 1, c, heading(name, lang), style="tpl_header")
    value_col = col(PROFILE_COLUMNS, "value")
    value_letter = letter(PROFILE_COLUMNS, "value")
    cells: dict[tuple[str, str | None], str] = {}
    yes_no_dv = _list_validation(lists["yes_no"], lang)
    ws.add_data_validation(yes_no_dv)
    _write_name(ws, 2, organisation, lang)
    row = 3
    for f in q.profile.fields:
        label = q.t(f.label, lang)
        help_text = q.t(f.help, lang) if f.help else ""
        options: list[tuple[str | None, str]] = (
            [(o.id, f"{label}: {q.t(o.label, lang)}") for o in f.options] if f.type == "multi" else [(None, label)])
        dv = yes_no_dv
        if f.type == "single":
            dv = _list_validation(lists[f.id], lang)
            ws.add_data_validation(dv)
        for option_id, text in options:
            put(ws, row, col(PROFILE_COLUMNS, "field_id"), f.id, style="tpl_text")
            put(ws, row, col(PROFILE_COLUMNS, "option_id"), option_id or "", style="tpl_text")
            put(ws, row, col(PROFILE_COLUMNS, "field"), text, style="tpl_text")
            put(ws, row, value_col, _profile_value(f, profile.get(f.id), option_id, q, lang), style="tpl_input")
            put(ws, row, col(PROFILE_COLUMNS, "help"), _help(f, help_text, q, lang), style="tpl_text")
            dv.add(f"{value_letter}{row}")
            cells[(f.id, option_id)] = f"'{ws.title}'!${value_letter}${row}"
            row += 1
    ws.conditional_formatting.add(f"{value_letter}2:{value_letter}{row - 1}",
                                  FormulaRule(formula=[f"LEN({value_letter}2)=0"], fill=MISSING_FILL))
    for name, width in zip(PROFILE_COLUMNS, (14, 16, 40, 22, 70), strict=True):
        ws.column_dimensions[letter(PROFILE_COLUMNS, name)].width = width
    ws.column_dimensions["A"].hidden = True
    ws.column_dimensions["B"].hidden = True
    ws.freeze_panes = "C2"
    return cells


def _help(f: ProfileField, help_text: str, q: Questionnaire, lang: str) -> str:
    if f.type == "single":
        choices = t("excel.template.list_sep", lang).join(q.t(o.label, lang) for o in f.options)
        return " ".join(x for x in (help_text, t("excel.template.choose_one", lang, choices=choices)) if x)
    yes, no = yes_no(lang)
    return " ".join(x for x in (help_text, t("excel.template.choose_yes_no", lang, yes=yes, no=no)) if x)


# --- applicability ----------------------------------------------------------------------------------

def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _rule_formula(rule: Rule, q: Questionnaire, lang: str, cells: dict[tuple[str, str | None], str]) -> str:
    """An Excel condition true when the profile filled in on the profile sheet matches ``rule``."""
    yes, no = yes_no(lang)
    parts: list[str] = []
    for fid, allowed in rule.conditions.items():
        f = q.profile_field(fid)
        if f.type == "multi":
            alts = [f"{cells[(fid, str(v))]}={_quoted(yes)}" for v in allowed if (fid, str(v)) in cells]
        elif f.type == "bool":
            alts = [f"{cells[(fid, None)]}={_quoted(yes if v else no)}" for v in allowed]
        else:
            labels = {o.id: q.t(o.label, lang) for o in f.options}
            alts = [f"{cells[(fid, None)]}={_quoted(labels[str(v)])}" for v in allowed if str(v) in labels]
        parts.append(alts[0] if len(alts) == 1 else f"OR({','.join(alts) or 'FALSE'})")
    if rule.any_of:
        parts.append(f"OR({','.join(_rule_formula(r, q, lang, cells) for r in rule.any_of)})")
    if not parts:
        return "TRUE"
    return parts[0] if len(parts) == 1 else f"AND({','.join(parts)})"


def _rule_text(rule: Rule, q: Questionnaire, lang: str) -> str:
    """The rule in words, e.g. "AI role(s): Technology provider or User"."""
    yes, no = yes_no(lang)
    parts = []
    for fid, allowed in rule.conditions.items():
        f = q.profile_field(fid)
        if f.type == "bool":
            values = [yes if v else no for v in allowed]
        else:
            labels = {o.id: q.t(o.label, lang) for o in f.options}
            values = [labels.get(str(v), str(v)) for v in allowed]
        parts.append(f"{q.t(f.label, lang)}: {t('excel.template.or', lang).join(values)}")
    if rule.any_of:
        parts.append("(" + t("excel.template.or", lang).join(_rule_text(r, q, lang) for r in rule.any_of) + ")")
    return t("excel.template.and", lang).join(parts)


def applies_text(question: Question, q: Questionnaire, lang: str) -> str:
    """Which organisations the question is for, and whether the short form asks it too."""
    if question.applies_if is None or question.applies_if.is_empty():
        text = t("excel.template.applies_all", lang)
    else:
        text = _rule_text(question.applies_if, q, lang)
    return f"{text}\n{t('excel.template.in_short_form', lang)}" if question.core else text


# --- answers -----------------------------------------------------------------------------------------

def level_descriptors(question: Question, q: Questionnaire, lang: str) -> str:
    """Level 0 (shared scale) and the question's own descriptors 1..5, one line each."""
    names = {s.level: q.t(s.name, lang) for s in q.meta.scale}
    zero = next(s for s in q.meta.scale if s.level == 0)
    lines = [f"0 {names[0]}: {q.t(zero.description, lang)}"]
    lines += [f"{lvl} {names[lvl]}: {q.t(question.levels[lvl], lang)}" for lvl in sorted(question.levels)]
    return "\n".join(lines)


def _write_answers(ws: Worksheet, q: Questionnaire, lang: str, answers: Mapping[str, AnswerLike],
                   profile_cells: dict[tuple[str, str | None], str], levels: str) -> None:
    for c, name in enumerate(ANSWER_COLUMNS, 1):
        put(ws, 1, c, heading(name, lang), style="tpl_header")
    level_letter = letter(ANSWER_COLUMNS, "level")
    just_letter = letter(ANSWER_COLUMNS, "justification")
    note_letter = letter(ANSWER_COLUMNS, "note")
    level_dv = _list_validation(levels, lang)
    length_dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1=str(MAX_TEXT),
                               allow_blank=True, showErrorMessage=True,
                               errorTitle=t("excel.template.invalid_title", lang),
                               error=t("excel.template.too_long", lang, max=MAX_TEXT))
    ws.add_data_validation(level_dv)
    ws.add_data_validation(length_dv)
    row = 2
    names = q.unit_labels(lang)
    for d in q.dimensions:
        for s in d.subdimensions:
            for question in s.questions:
                a = answers.get(question.id)
                level = (NA_TEXT if a.na else a.level) if a is not None else None
                fixed = {"id": question.id, "dimension": names[("dimension", d.id)],
                         "subdimension": names[("subdimension", s.id)], "question": q.t(question.text, lang),
                         "levels": level_descriptors(question, q, lang), "applies": applies_text(question, q, lang)}
                given = {"level": level, "justification": a.justification if a else None,
                         "note": a.note if a else None}
                for c, name in enumerate(ANSWER_COLUMNS, 1):
                    if name in given:
                        put(ws, row, c, None if given[name] == "" else given[name], style="tpl_input")
                    else:
                        put(ws, row, c, fixed[name], style="tpl_text")
                blank = f"LEN({level_letter}{row})=0"
                if question.applies_if is not None:  # highlighted only while the profile says it applies
                    blank = f"AND({blank},{_rule_formula(question.applies_if, q, lang, profile_cells)})"
                ws.conditional_formatting.add(f"{level_letter}{row}", FormulaRule(formula=[blank], fill=MISSING_FILL))
                row += 1
    last = row - 1
    level_dv.add(f"{level_letter}2:{level_letter}{last}")
    length_dv.add(f"{just_letter}2:{note_letter}{last}")
    ws.conditional_formatting.add(f"{just_letter}2:{just_letter}{last}", FormulaRule(
        formula=[f"AND({level_letter}2={_quoted(NA_TEXT)},LEN({just_letter}2)=0)"], fill=MISSING_FILL))
    widths = {"id": 13, "dimension": 16, "subdimension": 18, "question": 55, "levels": 70, "level": 9,
              "justification": 36, "note": 36, "applies": 28}
    for name, width in widths.items():
        ws.column_dimensions[letter(ANSWER_COLUMNS, name)].width = width
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = f"A1:{letter(ANSWER_COLUMNS, ANSWER_COLUMNS[-1])}{last}"


# --- instructions and meta ------------------------------------------------------------------------

def _write_instructions(ws: Worksheet, q: Questionnaire, lang: str) -> None:
    put(ws, 1, 1, t("excel.template.title", lang), style="tpl_header")
    put(ws, 2, 1, f"{q.t(q.meta.title, lang)} — {q.id} {q.version}")
    row = 4
    for line in t("excel.template.steps", lang, profile=sheet_name("profile", lang),
                  answers=sheet_name("answers", lang), na=NA_TEXT).split("\n"):
        put(ws, row, 1, line)  # unwrapped: long lines run across the empty cells to the right
        row += 1
    row += 1
    put(ws, row, 1, t("excel.template.scale", lang), style="tpl_header")
    put(ws, row, 2, "", style="tpl_header")
    row += 1
    for s in q.meta.scale:
        put(ws, row, 1, f"{s.level} {q.t(s.name, lang)}", style="tpl_text")
        put(ws, row, 2, q.t(s.description, lang), style="tpl_text")
        row += 1
    put(ws, row, 1, f"{NA_TEXT}", style="tpl_text")
    put(ws, row, 2, t("excel.template.na_meaning", lang), style="tpl_text")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 100


def _write_meta(ws: Worksheet, q: Questionnaire, lang: str, generated_at: datetime,
                base: TemplateBase | None) -> None:
    values: dict[str, Any] = {
        "format": TEMPLATE_FORMAT, "template_format_version": TEMPLATE_FORMAT_VERSION, "questionnaire_id": q.id,
        "questionnaire_version": q.version, "language": lang, "generated_at": generated_at.isoformat(timespec="seconds")}
    if base is not None:  # text cells, so that Excel never reformats them
        values["assessment_id"] = str(base.assessment_id)
        values["answer_revisions"] = encode_revisions(base.revisions, (x.id for x in q.questions())) or None
    for r, (key, value) in enumerate(values.items(), 1):
        put(ws, r, 1, key)
        put(ws, r, 2, value)
