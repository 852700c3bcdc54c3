"""The Excel import/export page (AppTest): upload → every problem listed, or import on confirmation."""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from enums import AnswerSource
from i18n import t
from questionnaires import get_questionnaire
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import (
    AnswerInputData,
    create_assessment,
    list_assessments,
    load_answers,
    save_answers_bulk,
)
from services.members import add_member
from services.organisations import create_organisation
from tests.support.apptest import Downloads, app_test, page_texts
from tests.support.excel_workbooks import filled_template

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE = "app_pages/import_export.py"


@pytest.fixture
def lead(app_db: str, engine: Engine, system: Actor) -> dict[str, Any]:
    org = create_organisation(engine, system, "演示科技有限公司", Q.default_profile())
    uid = create_user(engine, "lead", "a-long-password-1").id
    add_member(engine, system, org.id, "lead", "org_admin")
    return {"uid": uid, "org": org.id, "actor": load_actor(engine, uid)}


def _page(lead: dict[str, Any], lang: str = "zh") -> Any:
    at = app_test(lead["uid"], lang=lang, org_id=lead["org"]).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def test_templates_are_offered_in_both_languages(lead: dict[str, Any]) -> None:
    at = _page(lead)
    labels = [b.label for b in at.download_button]
    assert labels == [t("excel.page.template_zh", "zh"), t("excel.page.template_en", "zh")]
    assert at.file_uploader(key="excel_upload_0").allowed_type == [".xlsx"]


def test_upload_valid_file_then_confirm_imports_it(engine: Engine, lead: dict[str, Any]) -> None:
    at = _page(lead)
    data = filled_template({IDS[0]: (4, "", "制度文件"), IDS[1]: ("N/A", "不研发模型", "")})
    at.file_uploader(key="excel_upload_0").set_value(("filled.xlsx", data, XLSX)).run()
    assert not at.exception, at.exception
    assert t("excel.page.check_ok", "zh", answered=2, na=1, blank=len(IDS) - 2) in page_texts(at)
    assert list_assessments(engine, lead["actor"], lead["org"]) == []  # nothing stored before confirmation
    at.button(key="excel_import").click().run()
    assert not at.exception, at.exception
    views = list_assessments(engine, lead["actor"], lead["org"])
    assert len(views) == 1 and views[0].title == t("excel.page.new_title", "zh", file="filled.xlsx")
    answers = load_answers(engine, lead["actor"], views[0].id)
    assert (answers[IDS[0]].level, answers[IDS[0]].note) == (4, "制度文件")
    assert (answers[IDS[1]].na, answers[IDS[1]].justification) == (True, "不研发模型")
    assert t("excel.page.imported_new", "zh", id=views[0].id, changed=2) in page_texts(at)
    assert at.file_uploader(key="excel_upload_1").value is None  # the uploader was cleared


def test_upload_bad_file_lists_every_problem_and_stores_nothing(engine: Engine, lead: dict[str, Any]) -> None:
    at = _page(lead, "en")
    data = filled_template({IDS[0]: (7, "", ""), IDS[1]: ("N/A", "", ""), IDS[2]: ("高", "", "")})
    at.file_uploader(key="excel_upload_0").set_value(("bad.xlsx", data, XLSX)).run()
    assert not at.exception, at.exception
    assert t("excel.page.check_failed", "en", count=3) in [e.value for e in at.error]
    table = at.dataframe[0].value
    assert list(table.iloc[:, 0]) == ["Sheet 答题, cell F2", "Sheet 答题, cell G3", "Sheet 答题, cell F4"]
    assert table.iloc[0, 1] == "7 is not a level; use 0–5 or N/A"
    assert not [b for b in at.button if b.key == "excel_import"]  # no way to import a bad file
    assert list_assessments(engine, lead["actor"], lead["org"]) == []


def test_import_into_an_existing_draft(engine: Engine, lead: dict[str, Any]) -> None:
    draft = create_assessment(engine, lead["actor"], lead["org"], title="草稿")
    save_answers_bulk(engine, lead["actor"], draft.id, [AnswerInputData(IDS[0], 1)], source=AnswerSource.UI)
    at = _page(lead)
    at.selectbox(key="excel_target").set_value(draft.id).run()
    at.file_uploader(key="excel_upload_0").set_value(("f.xlsx", filled_template({IDS[0]: (3, "", "")}), XLSX)).run()
    at.button(key="excel_import").click().run()
    assert not at.exception, at.exception
    assert load_answers(engine, lead["actor"], draft.id)[IDS[0]].level == 3
    assert len(list_assessments(engine, lead["actor"], lead["org"])) == 1


def test_summary_export_of_a_chosen_assessment(engine: Engine, lead: dict[str, Any], downloads: Downloads) -> None:
    a = create_assessment(engine, lead["actor"], lead["org"], title="年度评估")
    save_answers_bulk(engine, lead["actor"], a.id, [AnswerInputData(x, 3) for x in IDS[:10]], source=AnswerSource.UI)
    at = _page(lead)
    at.radio(key="excel_export_lang").set_value("en").run()
    assert not at.exception, at.exception
    assert t("excel.page.export_button", "zh") in [b.label for b in at.download_button]
    assert "Scores" in load_workbook(io.BytesIO(downloads.file(at, "excel_summary"))).sheetnames  # in English


def test_respondents_cannot_update_the_profile(engine: Engine, lead: dict[str, Any], system: Actor) -> None:
    uid = create_user(engine, "resp", "a-long-password-2").id
    add_member(engine, system, lead["org"], "resp", "respondent")
    at = _page({**lead, "uid": uid})
    assert at.checkbox(key="excel_update_profile").disabled
    assert not _page(lead).checkbox(key="excel_update_profile").disabled


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_demo_organisation_page_renders_and_exports(demo_app_db: str, lang: str, downloads: Downloads) -> None:
    from tests.support.databases import user_id

    at = app_test(user_id(demo_app_db, "org1"), lang=lang).run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert at.title[0].value == t("nav.import_export", lang)
    assert t("excel.page.export_button", lang) in [b.label for b in at.download_button]
    assert load_workbook(io.BytesIO(downloads.file(at, "excel_summary"))).sheetnames
