"""The offline template: what a respondent opening it in Excel gets (sheets, drop-downs, locks, highlights)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from excel.contract import (
    LISTS_SHEET,
    MAX_NAME,
    META_SHEET,
    NAME_ROW,
    TEMPLATE_FORMAT,
    TEMPLATE_FORMAT_VERSION,
)
from excel.reader import read_template
from excel.template import build_template
from questionnaires import get_questionnaire
from services.assessments import AnswerInputData
from tests.support.excel_workbooks import default_answers, filled_template

Q = get_questionnaire()


def _open(lang: str = "zh", **kwargs: object) -> Workbook:
    return load_workbook(io.BytesIO(build_template(Q, lang, **kwargs)))  # type: ignore[arg-type]


def _validations(ws: Any) -> dict[str, DataValidation]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def _cf(ws: Any) -> dict[str, list[str]]:
    rules = ws.conditional_formatting._cf_rules
    return {str(r.sqref): [f for rule in rs for f in rule.formula] for r, rs in rules.items()}


@pytest.mark.parametrize(("lang", "names"), [("zh", ["填写说明", "组织画像", "答题"]),
                                              ("en", ["Instructions", "Profile", "Answers"])])
def test_sheets_hidden_lists_and_very_hidden_meta(lang: str, names: list[str]) -> None:
    wb = _open(lang)
    assert wb.sheetnames == [*names, LISTS_SHEET, META_SHEET]
    assert [wb[n].sheet_state for n in wb.sheetnames] == ["visible", "visible", "visible", "hidden", "veryHidden"]
    assert wb.active is not None and wb.active.title == names[2]  # opens on the answers
    assert wb.security.lockStructure  # sheets cannot be renamed, deleted or unhidden without unprotecting
    assert all(wb[n].protection.sheet for n in wb.sheetnames)


def test_meta_sheet_names_questionnaire_version_language_and_format() -> None:
    wb = _open("en")
    meta = {wb[META_SHEET].cell(row=r, column=1).value: wb[META_SHEET].cell(row=r, column=2).value
            for r in range(1, 7)}
    assert meta["format"] == TEMPLATE_FORMAT and meta["template_format_version"] == TEMPLATE_FORMAT_VERSION
    assert (meta["questionnaire_id"], meta["questionnaire_version"], meta["language"]) == (Q.id, Q.version, "en")
    assert meta["generated_at"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_one_row_per_question_with_dimension_text_and_level_descriptors(lang: str) -> None:
    ws = _open(lang)["答题" if lang == "zh" else "Answers"]
    headers = [ws.cell(row=1, column=c).value for c in range(1, 10)]
    assert headers[0] == ("题号" if lang == "zh" else "Question ID") and str(headers[5]).startswith("等级" if lang == "zh" else "Level")
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [x.id for x in Q.questions()]
    for question, row in zip(Q.questions(), rows, strict=True):
        d, s = Q.dimension_of(question.id)
        assert row[1] == f"{d.id} {Q.t(d.name, lang)}" and row[2] == f"{s.id} {Q.t(s.name, lang)}"
        assert row[3] == Q.t(question.text, lang)
        descriptors = str(row[4]).split("\n")
        assert len(descriptors) == 6 and descriptors[3].startswith("3 ")
        assert Q.t(question.levels[3], lang) in descriptors[3]
        assert row[5:8] == (None, None, None)


def test_only_answer_and_profile_cells_are_unlocked() -> None:
    wb = _open()
    ws = wb["答题"]
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=9):
        for c in row:
            assert c.protection.locked == (c.row == 1 or get_column_letter(c.column or 0) not in "FGH"), c.coordinate
    profile = wb["组织画像"]
    for row in profile.iter_rows(min_row=2, max_row=profile.max_row, max_col=5):
        assert [c.protection.locked for c in row] == [True, True, True, False, True]


def test_level_drop_down_offers_0_to_5_and_na_from_the_hidden_list() -> None:
    wb = _open()
    last = len(Q.questions()) + 1
    dv = _validations(wb["答题"])[f"F2:F{last}"]
    assert dv.type == "list" and dv.showErrorMessage and dv.formula1 == f"'{LISTS_SHEET}'!$A$1:$A$7"
    assert [wb[LISTS_SHEET].cell(row=r, column=1).value for r in range(1, 8)] == [0, 1, 2, 3, 4, 5, "N/A"]
    length = _validations(wb["答题"])[f"G2:H{last}"]
    assert length.type == "textLength" and length.formula1 == "5000"


def test_profile_drop_downs_come_from_the_profile_fields() -> None:
    wb = _open()
    ws = wb["组织画像"]
    rows = {(ws.cell(row=r, column=1).value, ws.cell(row=r, column=2).value): r for r in range(2, ws.max_row + 1)}
    expected = sum(len(f.options) if f.type == "multi" else 1 for f in Q.profile.fields)
    assert len(rows) == expected + 1 and rows[(NAME_ROW, None)] == 2  # the organisation's name comes first
    dvs = _validations(ws)
    sector = next(sqref for sqref, dv in dvs.items() if f"D{rows[('sector', None)]}" in sqref.split())
    column = dvs[sector].formula1.split("$")[1]
    labels = [wb[LISTS_SHEET][f"{column}{i}"].value for i in range(1, 11)]
    assert labels == [Q.t(o.label, "zh") for o in Q.profile_field("sector").options]
    yes_no = next(dv for dv in dvs.values() if f"D{rows[('ai_roles', 'tech_provider')]}" in str(dv.sqref).split())
    column = yes_no.formula1.split("$")[1]
    assert [wb[LISTS_SHEET][f"{column}{i}"].value for i in (1, 2)] == ["是", "否"]


def test_blank_required_cells_are_highlighted_following_the_profile() -> None:
    wb = _open()
    cf = _cf(wb["答题"])
    rows = {x.id: i + 2 for i, x in enumerate(Q.questions())}
    plain = next(x for x in Q.questions() if x.applies_if is None)
    assert cf[f"F{rows[plain.id]}"] == [f"LEN(F{rows[plain.id]})=0"]
    tech = Q.question("GOV-CHN-02")  # applies_if: {ai_roles: [tech_provider]}
    assert cf[f"F{rows[tech.id]}"] == [f"AND(LEN(F{rows[tech.id]})=0,'组织画像'!$D$3=\"是\")"]
    downstream = Q.question("GOV-CHN-03")  # applies_if: {ai_roles: [app_provider, user]}
    assert downstream.applies_if is not None and downstream.applies_if.conditions == {"ai_roles": ["app_provider", "user"]}
    assert cf[f"F{rows[downstream.id]}"] == [
        f"AND(LEN(F{rows[downstream.id]})=0,OR('组织画像'!$D$4=\"是\",'组织画像'!$D$5=\"是\"))"]
    high = next(x for x in Q.questions() if x.applies_if is not None and x.applies_if.conditions == {"high_impact": [True]})
    assert cf[f"F{rows[high.id]}"] == [f"AND(LEN(F{rows[high.id]})=0,'组织画像'!$D$7=\"是\")"]
    last = len(Q.questions()) + 1
    assert cf[f"G2:G{last}"] == ['AND(F2="N/A",LEN(G2)=0)']  # N/A without a justification
    profile_cf = _cf(wb["组织画像"])
    assert profile_cf == {f"D2:D{wb['组织画像'].max_row}": ["LEN(D2)=0"]}  # the name and every profile value


def test_prefilled_template_reads_back_exactly() -> None:
    answers = {qid: AnswerInputData(qid, None if lvl == "N/A" else lvl, lvl == "N/A", just, note)
               for qid, (lvl, just, note) in default_answers(Q).items()}
    answers[Q.questions()[0].id] = AnswerInputData(Q.questions()[0].id, 4, note="=SUM(A1:A9)\n第二行 @提及")
    profile = {"ai_roles": ["tech_provider", "user"], "genai_public": True, "high_impact": False,
               "sector": "finance", "size": "medium"}
    filled = read_template(build_template(Q, "zh", profile=profile, answers=answers))
    assert filled.profile == profile and filled.profile_gaps == ()
    got = {a.question_id: AnswerInputData(a.question_id, a.level, a.na, a.justification, a.note) for a in filled.answers}
    assert got == answers


def test_blank_template_is_readable_with_no_answers_and_profile_gaps() -> None:
    filled = read_template(build_template(Q, "en"))
    assert filled.answers == () and filled.profile == {}
    assert len(filled.profile_gaps) == 7 and all(p.code == "profile_blank" for p in filled.profile_gaps)


def test_user_filled_template_is_valid() -> None:
    filled = read_template(filled_template())
    assert len(filled.answers) == len(Q.questions())
    assert filled.profile == Q.default_profile()


def test_template_text_limit_is_the_services_limit() -> None:
    from excel.contract import MAX_TEXT
    from services.answers import MAX_TEXT as SERVICE_LIMIT

    assert MAX_TEXT == SERVICE_LIMIT


@pytest.mark.parametrize(("lang", "label"), [("zh", "组织名称"), ("en", "Organisation name")])
def test_profile_sheet_starts_with_the_organisation_name(lang: str, label: str) -> None:
    wb = _open(lang, organisation="=长三角 示例 有限公司")
    ws = wb["组织画像" if lang == "zh" else "Profile"]
    assert [ws.cell(row=2, column=c).value for c in (1, 3, 4)] == [NAME_ROW, label, "=长三角 示例 有限公司"]
    assert ws["D2"].data_type == "s" and not ws["D2"].protection.locked  # text, never a formula; editable
    length = _validations(ws)["D2"]
    assert length.type == "textLength" and length.formula1 == str(MAX_NAME)
    filled = read_template(build_template(Q, lang, organisation="  长三角\n示例  有限公司 "))
    assert (filled.organisation_name, filled.organisation_cell) == ("长三角 示例 有限公司", "D2")


def test_blank_name_is_read_as_no_name_not_as_a_problem() -> None:
    filled = read_template(filled_template())
    assert (filled.organisation_name, filled.organisation_cell) == ("", "D2")


def test_format_1_templates_are_still_read_without_a_name() -> None:
    def format_1(wb: Workbook) -> None:  # what the previous version of the template looked like
        wb["组织画像"].delete_rows(2)
        wb["_meta"]["B2"].value = "1"

    filled = read_template(filled_template(edit=format_1))
    assert (filled.organisation_name, filled.organisation_cell) == ("", "")  # format 1 has no name row
    assert len(filled.answers) == len(Q.questions()) and filled.profile == Q.default_profile()


def test_format_2_without_its_name_row_is_refused_with_the_fix() -> None:
    from excel.problems import WorkbookRejected

    with pytest.raises(WorkbookRejected) as rejected:
        read_template(filled_template(edit=lambda wb: wb["组织画像"].delete_rows(2)))
    assert [(p.code, p.values.get("field")) for p in rejected.value.problems] == [("profile_missing_row", "组织名称")]
