"""Every workbook a Chinese user downloads is in Chinese: no English words, no raw codes.

Built from the seeded demo (an organisation with assessments, an association with rounds) in zh:
the results summary, the pre-filled offline template, the association's benchmark workbook and a
member's peer comparison. Text the users typed themselves (notes, reasons, names) is theirs and
is not judged. Also what a manager relies on in the summary: "applies" says why a question was
not asked, long sheets have filters and frozen headers, the file name carries the organisation.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from db.engine import make_engine
from db.models import User
from demo.seed import DEMO_ORG_NAME
from enums import AnswerSource
from i18n import t
from questionnaires import get_questionnaire
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import AnswerInputData, create_assessment, list_assessments, save_answers_bulk
from services.associations import list_administered
from services.benchmark_workbooks import benchmark_xlsx, peer_xlsx
from services.exports import org_template_xlsx, summary_filename, summary_xlsx, template_filename
from services.organisations import create_organisation, list_organisations
from services.round_members import member_rounds
from services.rounds import list_rounds
from tests.support.latin import foreign_words, framework_titles, typed_texts


@pytest.fixture
def demo(demo_db_url: str) -> Any:
    eng = make_engine(demo_db_url)
    yield eng
    eng.dispose()


def _english(data: bytes, names: list[str]) -> dict[tuple[str, str], str]:
    wb = load_workbook(io.BytesIO(data))
    found: dict[tuple[str, str], str] = {}
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":  # machine sheets (_meta, _lists) hold the file's own keys
            continue
        hidden = {letter for letter, dim in ws.column_dimensions.items() if dim.hidden}  # the reader's keys
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value not in names and cell.column_letter not in hidden:
                    for word in foreign_words(cell.value, names):
                        found.setdefault((ws.title, word), f"{cell.coordinate}: {cell.value[:60]}")
    return found


def test_every_workbook_downloaded_in_chinese_has_no_english_and_no_raw_codes(demo: Engine) -> None:
    system = Actor.system()
    names = typed_texts(demo) + framework_titles()
    org = next(o for o in list_organisations(demo, system) if o.name == DEMO_ORG_NAME)
    names.append(org.name)
    assessment = list_assessments(demo, system, org.id)[0]
    core = create_assessment(demo, system, org.id, form="core", title="精简版自评")
    q = get_questionnaire()
    save_answers_bulk(demo, system, core.id, [AnswerInputData(x.id, 2) for x in q.questions() if x.core][:5],
                      source=AnswerSource.IMPORT)
    association = list_administered(demo, system)[0]
    rnd = list_rounds(demo, system, association.id)[0].round
    member = next(m for m in member_rounds(demo, system, org.id) if m.assessment_id and m.status == "submitted")
    assert member.assessment_id is not None
    with demo.connect() as c:  # as the people who download them (the workbooks name who made them)
        org1, assoc = (load_actor(demo, c.execute(select(User.id).where(User.username == u)).scalar_one())
                       for u in ("org1", "assoc"))
    workbooks = {
        "summary": summary_xlsx(demo, org1, assessment.id, "zh"),
        "summary_core": summary_xlsx(demo, org1, core.id, "zh"),
        "template": org_template_xlsx(demo, org1, org.id, "zh", assessment_id=assessment.id),
        "benchmark": benchmark_xlsx(demo, assoc, rnd.id, "zh"),
        "peer": peer_xlsx(demo, org1, member.assessment_id, "zh"),
    }
    names += [association.name, assessment.title, *(r.round.name for r in list_rounds(demo, system, association.id))]
    for name, data in workbooks.items():
        assert _english(data, names) == {}, name


def _rows(data: bytes, sheet_key: str) -> Any:
    return load_workbook(io.BytesIO(data))[t(f"excel.sheet.{sheet_key}", "zh")]


def test_summary_says_why_a_question_was_not_asked_and_long_sheets_filter_and_freeze(engine: Engine) -> None:
    q = get_questionnaire()
    profile = q.default_profile()
    user = create_user(engine, "lead", "summary-test-pw-1", display_name="王丽")
    who = load_actor(engine, user.id)
    org = create_organisation(engine, who, "星河/智能 科技:有限公司", profile)
    who = load_actor(engine, user.id)
    a = create_assessment(engine, who, org.id, form="core")
    save_answers_bulk(engine, who, a.id, [AnswerInputData(x.id, 3) for x in q.questions() if x.core][:3], source=AnswerSource.UI)
    data = summary_xlsx(engine, who, a.id, "zh")

    full = create_assessment(engine, who, org.id, form="full")
    s = t("excel.summary.applies_not_core", "zh"), t("excel.summary.applies_not_profile", "zh")
    yes = t("excel.template.yes", "zh")
    for form, assessment_id in (("core", a.id), ("full", full.id)):
        ws = _rows(summary_xlsx(engine, who, assessment_id, "zh"), "all_answers")
        applies = [c.value for c in ws[1]].index(t("excel.summary.applies", "zh"))
        by_id = {row[0].value: row[applies].value for row in ws.iter_rows(min_row=2)}
        want = {x.id: s[0] if form == "core" and not x.core else yes if q.applies(x, profile) else s[1]
                for x in q.questions()}
        assert by_id == want, form
        assert set(want.values()) == ({s[0], yes} if form == "core" else {s[1], yes})
    for key in ("gaps", "all_answers", "history"):
        sheet = _rows(data, key)
        assert sheet.freeze_panes is not None and sheet.freeze_panes.endswith("2"), key
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), key
    history = _rows(data, "history")
    assert {r[3].value for r in history.iter_rows(min_row=2)} == {t("excel.summary.source_ui", "zh")}

    name = summary_filename(engine, who, a.id)
    assert name.startswith("星河-智能-科技-有限公司-aigov-summary-") and name.endswith(".xlsx")
    assert template_filename("zh", organisation=org.name).startswith("星河-智能-科技-有限公司-aigov-template-")

    template = load_workbook(io.BytesIO(org_template_xlsx(engine, who, org.id, "zh")))
    answers = template[t("excel.sheet.answers", "zh")]
    marked = {row[0].value for row in answers.iter_rows(min_row=2)
              if t("excel.template.in_short_form", "zh") in (row[8].value or "")}
    assert marked == {x.id for x in q.questions() if x.core}
