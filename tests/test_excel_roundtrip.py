"""Round trip: stored answers → summary workbook → a template filled from it → import → the same answers.

Also the offline-editing loop (template pre-filled with a draft → import) and the all-or-nothing,
one-transaction import itself.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from db.engine import read_session
from db.models import AnswerEvent, Assessment, EventLog
from enums import AnswerSource
from excel.cells import decode_text
from excel.summary import ANSWER_SHEET_COLUMNS
from questionnaires import get_questionnaire
from services.access import Actor
from services.assessments import (
    AnswerInputData,
    create_assessment,
    list_assessments,
    load_answers,
    save_answers_bulk,
    submit,
)
from services.exports import org_template_xlsx, summary_xlsx, template_xlsx
from services.imports import check_workbook, import_workbook
from services.organisations import create_organisation, get_organisation
from tests.support.excel_workbooks import fill_answers, fill_profile, filled_template, save

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]
TRICKY = [
    "多行备注\n第二行\r\n第三行",
    '=HYPERLINK("http://evil.example","点我")',
    "+86 138 0000 0000",
    "-风险已接受",
    "@所有人 请补充证据",
    "字面 _x000D_ 不是换行",
    "制表\t符与 _x000B_ 字面转义",
    "引号 \"双\" 与 '单' 😀",
    "=1+1",
]
PROFILE = {"ai_roles": ["app_provider"], "genai_public": False, "high_impact": True, "sector": "healthcare",
           "size": "small"}


def _stored_answers() -> list[AnswerInputData]:
    out = []
    for i, qid in enumerate(IDS):
        if i % 10 == 9:
            continue
        note = TRICKY[i % len(TRICKY)] if i % 2 else f"证据：制度文件 v{i}"
        if i % 8 == 2:
            out.append(AnswerInputData(qid, None, True, f"不适用：{TRICKY[(i // 8) % len(TRICKY)]}", note))
        else:
            out.append(AnswerInputData(qid, i % 6, False, "", note))
    out.append(AnswerInputData(IDS[9], None, False, "", "只有备注，尚未评级"))
    return out


def _key(a: Any) -> tuple[Any, ...]:
    return (a.level, a.na, a.justification, a.note)


@pytest.fixture
def org(engine: Engine, system: Actor) -> int:
    return create_organisation(engine, system, "演示科技有限公司", PROFILE).id


def test_summary_to_template_to_import_gives_identical_answers(engine: Engine, system: Actor, org: int) -> None:
    source = create_assessment(engine, system, org, title="原始评估")
    save_answers_bulk(engine, system, source.id, _stored_answers(), source=AnswerSource.UI)
    original = load_answers(engine, system, source.id)

    # A user copies level, justification and note from the summary into a fresh template.
    summary = load_workbook(io.BytesIO(summary_xlsx(engine, system, source.id, "zh")))["全部答案"]
    copied: dict[str, tuple[Any, str, str]] = {}
    col = [ANSWER_SHEET_COLUMNS.index(key) for key in ("id", "level", "justification", "note")]
    for row in summary.iter_rows(min_row=2, values_only=True):
        qid, level, justification, note = (row[i] for i in col)
        if level is not None or justification or note:
            copied[qid] = (level, decode_text(str(justification or "")), decode_text(str(note or "")))
    wb = load_workbook(io.BytesIO(template_xlsx("zh")))
    fill_profile(wb, Q, PROFILE)
    fill_answers(wb, copied)
    report = import_workbook(engine, system, org, save(wb), title="从汇总导入")

    assert report.ok and report.created and report.assessment_id is not None, report.messages()
    imported = load_answers(engine, system, report.assessment_id)
    assert set(imported) == set(original)
    for qid, a in original.items():
        assert _key(imported[qid]) == _key(a), qid
    assert report.answered == sum(a.na or a.level is not None for a in original.values())
    assert report.na == sum(a.na for a in original.values())


def test_offline_editing_of_a_draft_round_trips(engine: Engine, system: Actor, org: int) -> None:
    draft = create_assessment(engine, system, org)
    save_answers_bulk(engine, system, draft.id, _stored_answers(), source=AnswerSource.UI)
    before = load_answers(engine, system, draft.id)
    data = org_template_xlsx(engine, system, org, "en", assessment_id=draft.id)

    same = import_workbook(engine, system, org, data, assessment_id=draft.id)
    assert same.ok and same.changed == 0  # nothing changed offline: nothing rewritten, no new revisions
    assert {k: (v.revision, *_key(v)) for k, v in load_answers(engine, system, draft.id).items()} == {
        k: (v.revision, *_key(v)) for k, v in before.items()}

    copy = import_workbook(engine, system, org, data)
    assert copy.ok and copy.created and copy.assessment_id is not None
    assert {k: _key(v) for k, v in load_answers(engine, system, copy.assessment_id).items()} == {
        k: _key(v) for k, v in before.items()}

    wb = load_workbook(io.BytesIO(data))
    fill_answers(wb, {IDS[0]: (5, "", "离线修改"), IDS[1]: ("N/A", "离线判断不适用", "")}, lang="en")
    edited = import_workbook(engine, system, org, save(wb), assessment_id=draft.id)
    assert edited.ok and edited.changed == 2
    after = load_answers(engine, system, draft.id)
    assert _key(after[IDS[0]]) == (5, False, "", "离线修改") and after[IDS[0]].revision == before[IDS[0]].revision + 1
    assert _key(after[IDS[1]]) == (None, True, "离线判断不适用", "")
    assert all(_key(after[q]) == _key(before[q]) for q in before if q not in IDS[:2])


def test_blank_rows_leave_stored_answers_untouched(engine: Engine, system: Actor, org: int) -> None:
    draft = create_assessment(engine, system, org)
    save_answers_bulk(engine, system, draft.id, [AnswerInputData(IDS[0], 4, note="保留")], source=AnswerSource.UI)
    report = import_workbook(engine, system, org, filled_template({IDS[1]: (2, "", "")}), assessment_id=draft.id)
    assert report.ok and report.changed == 1 and report.blank == len(IDS) - 1
    stored = load_answers(engine, system, draft.id)
    assert _key(stored[IDS[0]]) == (4, False, "", "保留") and stored[IDS[1]].level == 2


def test_new_draft_is_created_and_filled_in_one_transaction_with_audit_events(engine: Engine, system: Actor,
                                                                               org: int) -> None:
    report = import_workbook(engine, system, org, filled_template(), source=AnswerSource.IMPORT, title="协会收集")
    assert report.ok and report.created and report.changed == len(IDS)
    view = list_assessments(engine, system, org)[0]
    assert (view.id, view.title, view.status, view.questionnaire_version) == (
        report.assessment_id, "协会收集", "draft", Q.version)
    with read_session(engine) as s:
        events = s.scalars(select(AnswerEvent).where(AnswerEvent.assessment_id == view.id)).all()
        assert len(events) == len(IDS) and {e.source for e in events} == {"import"}
        assert s.scalar(select(func.count()).select_from(EventLog).where(EventLog.action == "excel_import")) == 1


def test_profile_changes_only_when_asked(engine: Engine, system: Actor, org: int) -> None:
    other = {**PROFILE, "sector": "finance", "size": "large"}
    data = filled_template(profile=other)
    assert import_workbook(engine, system, org, data).ok
    assert get_organisation(engine, system, org).profile == PROFILE
    report = import_workbook(engine, system, org, data, update_profile=True)
    assert report.ok and report.profile_updated
    assert get_organisation(engine, system, org).profile == other


def test_update_profile_needs_a_complete_profile_sheet(engine: Engine, system: Actor, org: int) -> None:
    def clear(wb: Any) -> None:
        wb["组织画像"]["D8"].value = None

    data = filled_template(edit=clear)
    report = import_workbook(engine, system, org, data, update_profile=True)
    assert not report.ok and [(p.code, p.sheet, p.cell) for p in report.problems] == [("profile_blank", "组织画像", "D8")]
    assert import_workbook(engine, system, org, data).ok  # without a profile update the blank cell is fine


def test_submitted_or_foreign_targets_are_refused(engine: Engine, system: Actor, org: int) -> None:
    from services.errors import NotFound

    done = create_assessment(engine, system, org)
    save_answers_bulk(engine, system, done.id, [AnswerInputData(IDS[0], 1)], source=AnswerSource.UI)
    submit(engine, system, done.id)
    report = check_workbook(engine, system, org, filled_template(), assessment_id=done.id)
    assert not report.ok and [p.code for p in report.problems] == ["assessment_submitted"]
    other = create_organisation(engine, system, "别家公司", PROFILE).id
    with pytest.raises(NotFound):
        import_workbook(engine, system, other, filled_template(), assessment_id=done.id)


def test_an_empty_template_is_not_imported(engine: Engine, system: Actor, org: int) -> None:
    report = import_workbook(engine, system, org, template_xlsx("zh"))
    assert not report.ok and [p.code for p in report.problems] == ["no_answers"]
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Assessment)) == 0


def test_answers_and_profile_of_an_existing_draft_change_in_one_transaction(engine: Engine, system: Actor, org: int,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    draft = create_assessment(engine, system, org)
    save_answers_bulk(engine, system, draft.id, [AnswerInputData(IDS[0], 1)], source=AnswerSource.UI)
    other = {**PROFILE, "sector": "finance"}
    data = filled_template({IDS[0]: (4, "", "")}, profile=other)

    def crash(**_: Any) -> None:  # the last write of the transaction fails (disk full, lost connection…)
        raise RuntimeError("disk full")

    monkeypatch.setattr("services.imports.EventLog", crash)
    with pytest.raises(RuntimeError):
        import_workbook(engine, system, org, data, assessment_id=draft.id, update_profile=True)
    assert load_answers(engine, system, draft.id)[IDS[0]].level == 1  # neither the answer …
    assert get_organisation(engine, system, org).profile == PROFILE  # … nor the profile changed
    monkeypatch.undo()
    report = import_workbook(engine, system, org, data, assessment_id=draft.id, update_profile=True)
    assert report.ok and (report.changed, report.profile_updated, report.created) == (1, True, False)
    assert load_answers(engine, system, draft.id)[IDS[0]].level == 4
    assert get_organisation(engine, system, org).profile == other


def test_organisation_template_carries_its_name_and_the_name_never_changes_it(engine: Engine, system: Actor,
                                                                              org: int) -> None:
    from excel.reader import read_template
    from tests.support.excel_workbooks import fill_name

    data = org_template_xlsx(engine, system, org, "en")
    assert read_template(data).organisation_name == "演示科技有限公司"
    wb = load_workbook(io.BytesIO(data))
    fill_name(wb, "另一个名字", "en")
    fill_answers(wb, {IDS[0]: (3, "", "")}, "en")
    assert import_workbook(engine, system, org, save(wb), update_profile=True).ok
    assert get_organisation(engine, system, org).name == "演示科技有限公司"  # importing into an organisation keeps its name
