"""A workbook filled on the 1.0.0 template imported into a 1.1.0 draft (through the declared mapping), and a
1.1.0 workbook refused for a 1.0.0 draft: service, command line and page, on SQLite and PostgreSQL.

Expected answers and flags come from the mapping file (YAML read directly) and the answers typed into the
workbook, never from the code under test. Every refusal and every preview leaves the database unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select

from db.engine import make_engine, read_session
from db.models import Answer, AnswerEvent, Assessment, EventLog
from enums import AnswerSource
from i18n import t
from questionnaires import get_questionnaire
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import (
    AnswerInputData,
    carry_report,
    create_assessment,
    load_answers,
    save_answers_bulk,
)
from services.imports import check_workbook, import_workbook
from services.members import add_member
from services.organisations import create_organisation
from tests.support.apptest import app_test, page_texts
from tests.support.cli import run_cli
from tests.support.excel_workbooks import filled_template

OLD, NEW = get_questionnaire(version="1.0.0"), get_questionnaire(version="1.1.0")
MAPPING = Path(__file__).resolve().parents[1] / "questionnaires" / "caict-aigov" / "migrations" / "1.0.0-1.1.0.yml"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = (Assessment, Answer, AnswerEvent, EventLog)

# What a user typed into the 1.0.0 workbook: (level or "N/A", justification, note)
TYPED: dict[str, tuple[Any, str, str]] = {
    "GOV-INS-01": (2, "", "治理小组和伦理委员会纪要"),   # split into GOV-INS-05 and GOV-INS-06
    "IDE-DYN-02": ("N/A", "不训练模型，无投毒风险", ""),  # split, N/A with its reason
    "RES-TEC-03": (3, "", ""),                            # split
    "GOV-INS-02": (1, "", ""),                            # reworded; identical to the stored answer
    "GOV-CUL-01": (4, "", "培训记录"),                    # reworded; replaces a stored answer
    "GOV-INS-03": (None, "", "制度清单起草中"),           # reworded; a note, no level yet: the note carries
}
STORED = {"GOV-INS-02": (1, False), "GOV-CUL-01": (2, False), "RES-DIS-04": (3, False)}  # RES-DIS-04 is new in 1.1.0


def _expected() -> tuple[dict[str, tuple[int | None, bool, str, str]], set[str], set[str]]:
    """(answers the mapping writes, questions flagged to confirm, new questions) from the mapping file."""
    out: dict[str, tuple[int | None, bool, str, str]] = {}
    flagged: set[str] = set()
    new: set[str] = set()
    for step in yaml.safe_load(MAPPING.read_text(encoding="utf-8"))["steps"]:
        if step["kind"] == "new":
            new.update(step["to"])
            continue
        if step["kind"] not in ("same", "reworded", "split") or step["from"][0] not in TYPED:
            continue
        level, justification, note = TYPED[step["from"][0]]
        na = level == "N/A"
        for qid in step["to"]:
            out[qid] = (None if na else level, na, justification if na else "", note)
            if step["kind"] != "same" and (na or level is not None):  # a note alone has no level to confirm
                flagged.add(qid)
    return out, flagged, new


def _counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {t_.__tablename__: s.scalar(select(func.count()).select_from(t_)) or 0 for t_ in TABLES}


def _version_cell(data: bytes) -> str:
    """Where the workbook's _meta sheet holds questionnaire_version (read with openpyxl, not the reader)."""
    ws = load_workbook(io.BytesIO(data))["_meta"]
    return next(f"B{row[0].row}" for row in ws.iter_rows() if row[0].value == "questionnaire_version")


@pytest.fixture
def db(any_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", any_db_url)
    engine = make_engine(any_db_url)
    yield engine
    engine.dispose()


def _setup(engine: Engine, system: Actor) -> tuple[int, int]:
    """An organisation with a 1.1.0 draft holding the STORED answers: (organisation, draft)."""
    org = create_organisation(engine, system, "演示科技有限公司", NEW.default_profile()).id
    draft = create_assessment(engine, system, org, title="2026")
    assert draft.questionnaire_version == "1.1.0"
    save_answers_bulk(engine, system, draft.id, [AnswerInputData(q, level=lv, na=na) for q, (lv, na) in STORED.items()],
                      source=AnswerSource.UI)
    return org, draft.id


def test_a_1_0_0_workbook_imports_into_a_1_1_0_draft_through_the_mapping(db: Engine, system: Actor) -> None:
    org, draft = _setup(db, system)
    data = filled_template(TYPED, q=OLD)
    expected, flagged, new = _expected()
    identical = {q for q, v in expected.items() if q in STORED and STORED[q] == v[:2] and not v[2] and not v[3]}
    assert {"GOV-INS-05", "GOV-INS-06", "IDE-DYN-06", "IDE-DYN-07", "RES-TEC-10", "RES-TEC-11"} <= flagged
    assert identical == {"GOV-INS-02"}

    before = _counts(db)
    preview = check_workbook(db, system, org, data, assessment_id=draft)
    assert preview.ok, preview.messages()
    assert _counts(db) == before  # the preview stores nothing
    assert (preview.mapped_from, preview.mapped_to) == ("1.0.0", "1.1.0")
    assert {x.question_id: (x.level, x.na) for x in preview.carried} == {q: v[:2] for q, v in expected.items()}
    assert {x.question_id for x in preview.carried if x.confirm} == flagged
    assert {x.question_id: x.kind for x in preview.carried}["GOV-INS-06"] == "split"
    assert set(preview.to_confirm) == flagged - identical
    assert set(preview.new) == new and preview.dropped == ()
    assert preview.replaces == ("GOV-CUL-01",)
    assert [x.question_id for x in preview.carried if x.note_only] == ["GOV-INS-03"]  # its note, not lost

    done = import_workbook(db, system, org, data, assessment_id=draft)
    assert done.ok and not done.created and done.changed == len(expected) - len(identical)
    stored = load_answers(db, system, draft)
    for qid, (level, na, justification, note) in expected.items():
        got = stored[qid]
        assert (got.level, got.na, got.justification, got.note) == (level, na, justification, note), qid
    assert (stored["RES-DIS-04"].level, stored["RES-DIS-04"].revision) == (3, 1)  # new question: left as it was
    assert "RES-TEC-09" not in stored
    with read_session(db) as s:
        carried = set(s.scalars(select(AnswerEvent.question_id).where(AnswerEvent.assessment_id == draft,
                                                                      AnswerEvent.source == "carried")))
    assert carried == flagged - identical
    report = carry_report(db, system, draft)
    assert report is not None and report.from_workbook and report.from_version == "1.0.0"
    assert set(report.to_confirm) == flagged - identical and set(report.new) == new
    # the same file again writes nothing and adds no carry record: the report and the history stay as they were
    events = _counts(db)["event_log"]
    again = import_workbook(db, system, org, data, assessment_id=draft)
    assert again.ok and again.changed == 0 and carry_report(db, system, draft) == report
    assert _counts(db)["event_log"] == events + 1  # the import itself is logged, no second carry record

    # the same file again writes nothing and forgets nothing still to confirm
    again = import_workbook(db, system, org, data, assessment_id=draft)
    assert again.ok and again.changed == 0 and again.to_confirm == ()
    assert set(carry_report(db, system, draft).to_confirm) == flagged - identical


def test_a_1_1_0_workbook_is_refused_for_a_1_0_0_draft_and_nothing_changes(db: Engine, system: Actor) -> None:
    org = create_organisation(db, system, "演示科技有限公司", NEW.default_profile()).id
    old_draft = import_workbook(db, system, org, filled_template({"GOV-INS-01": (2, "", "")}, q=OLD))
    assert old_draft.ok and old_draft.created and old_draft.questionnaire_version == "1.0.0"
    old_id = old_draft.assessment_id
    assert old_id is not None
    stored = load_answers(db, system, old_id)
    data = filled_template({"GOV-INS-05": (3, "", ""), "RES-DIS-04": (2, "", "")}, q=NEW, lang="en")
    before = _counts(db)
    for attempt in (check_workbook, import_workbook):
        report = attempt(db, system, org, data, assessment_id=old_id)
        assert not report.ok and [p.code for p in report.problems] == ["version_newer_than_assessment"]
        problem = report.problems[0]
        assert (problem.sheet, problem.cell) == ("_meta", _version_cell(data))
        text = problem.text("en")
        assert "filled on the caict-aigov 1.1.0 template" in text and f"assessment #{old_id} uses the older " \
            "version 1.0.0" in text and "Download the 1.0.0 template" in text
        assert "下载此评估的 1.0.0 版模板" in problem.text("zh")
    assert _counts(db) == before and load_answers(db, system, old_id) == stored


def test_the_command_line_prints_the_mapping_and_the_refusal(db: Engine, system: Actor, tmp_path: Path) -> None:
    org, draft = _setup(db, system)
    old_file, new_file = tmp_path / "2025.xlsx", tmp_path / "2026.xlsx"
    old_file.write_bytes(filled_template(TYPED, q=OLD))
    new_file.write_bytes(filled_template({"GOV-INS-05": (3, "", "")}, q=NEW))
    _, flagged, _ = _expected()
    code, out, err = run_cli(["import", str(old_file), "--org", str(org), "--assessment", str(draft)])
    assert code == 0, err
    assert f"filled on caict-aigov 1.0.0, imported into assessment #{draft} on 1.1.0" in out
    assert "split     GOV-INS-05 ← GOV-INS-01  level 2" in out and "IDE-DYN-06 ← IDE-DYN-02  N/A" in out
    assert f"Carried, please confirm ({len(flagged) - 1})" in out
    assert "Mapped, identical to the stored answer, not written (1)\n  reworded  GOV-INS-02 ← GOV-INS-02" in out
    assert f"aigov assessment confirm {draft} --all" in out
    assert "Notes carried, the level still to give (1)\n  reworded  GOV-INS-03 ← GOV-INS-03  a note, no level yet" in out
    code, out, _ = run_cli(["assessment", "carried", str(draft), "--lang", "zh"])
    assert "答案导入自按 1.0.0 版模板填写的工作簿" in out
    assert "已沿用备注，等级待填（1）" in out and "GOV-INS-03 ← GOV-INS-03  仅有备注，尚未评级" in out

    old_id = import_workbook(db, system, org, old_file.read_bytes()).assessment_id  # a 1.0.0 draft
    before = _counts(db)
    code, out, err = run_cli(["import", str(new_file), "--org", str(org), "--assessment", str(old_id),
                              "--lang", "zh"])
    assert code == 2 and "已拒绝" in err and f"单元格 {_version_cell(new_file.read_bytes())}" in err
    assert "请下载此评估的 1.0.0 版模板" in err
    assert _counts(db) == before


@pytest.fixture
def lead(app_db: str, engine: Engine, system: Actor) -> dict[str, Any]:
    org = create_organisation(engine, system, "演示科技有限公司", NEW.default_profile())
    uid = create_user(engine, "lead", "a-long-password-1").id
    add_member(engine, system, org.id, "lead", "org_admin")
    return {"uid": uid, "org": org.id, "actor": load_actor(engine, uid)}


def test_the_page_previews_the_mapping_before_anything_is_stored(engine: Engine, lead: dict[str, Any]) -> None:
    who = lead["actor"]
    draft = create_assessment(engine, who, lead["org"], title="2026").id
    at = app_test(lead["uid"], lang="en", org_id=lead["org"]).run()
    at.switch_page("app_pages/import_export.py").run()
    at.selectbox(key="excel_target").set_value(draft).run()
    at.file_uploader(key="excel_upload_0").set_value(("2025.xlsx", filled_template(TYPED, q=OLD), XLSX)).run()
    assert not at.exception, at.exception
    expected, flagged, new = _expected()
    texts = page_texts(at)
    in_file_order = [s["to"][0] for s in yaml.safe_load(MAPPING.read_text(encoding="utf-8"))["steps"]
                     if s["kind"] == "new"]
    assert set(in_file_order) == new
    assert t("excel.page.mapped_intro", "en", questionnaire="caict-aigov", old="1.0.0", new="1.1.0",
             confirm=len(flagged), dropped=0, count=len(new), ids=", ".join(in_file_order)) in texts
    table = next(d.value for d in at.dataframe if t("excel.page.map_kind", "en") in d.value.columns)
    assert set(table[t("excel.page.map_question", "en")]) == set(expected)
    row = table[table[t("excel.page.map_question", "en")] == "GOV-INS-06"].iloc[0]
    assert (row[t("excel.page.map_kind", "en")], row[t("excel.page.map_from", "en")],
            row[t("excel.page.map_answer", "en")], row[t("excel.page.map_status", "en")]) == \
        ("split", "GOV-INS-01", "level 2", "carried, please confirm")
    noted = table[table[t("excel.page.map_question", "en")] == "GOV-INS-03"].iloc[0]  # a note typed, no level yet
    assert (noted[t("excel.page.map_answer", "en")], noted[t("excel.page.map_status", "en")]) == \
        ("a note, no level yet", "note carried; the level is still to give")
    assert load_answers(engine, who, draft) == {}  # nothing stored before the click
    at.button(key="excel_import").click().run()
    assert not at.exception, at.exception
    stored = load_answers(engine, who, draft)
    assert {q: (a.level, a.na) for q, a in stored.items()} == {q: v[:2] for q, v in expected.items()}
    assert t("excel.page.imported_to_confirm", "en", count=len(flagged)) in page_texts(at)
    # the questionnaire page lists them to confirm, saying they came from a workbook
    at.switch_page("app_pages/questionnaire.py").run()
    assert not at.exception, at.exception
    page = page_texts(at)
    assert t("questionnaire.carried_intro_workbook", "en", old="1.0.0", new="1.1.0") in page
    confirm_line = next(line for line in page.splitlines() if line.startswith("Carried, please confirm"))
    assert {"GOV-INS-05", "GOV-INS-06", "IDE-DYN-06", "RES-TEC-11"} <= {x.strip() for x in confirm_line.split(": ", 1)[1].split(",")}


def test_versions_are_mapped_only_within_one_questionnaire(db: Engine, system: Actor) -> None:
    """A draft of another questionnaire that happens to be on 1.1.0 is not a target for caict-aigov's mapping."""
    from db.engine import write_session

    org, draft = _setup(db, system)
    with write_session(db) as s:
        made = s.get(Assessment, draft)
        assert made is not None
        made.questionnaire_id = "other-questionnaire"
    before = _counts(db)
    report = import_workbook(db, system, org, filled_template(TYPED, q=OLD), assessment_id=draft)
    assert not report.ok and [p.code for p in report.problems] == ["wrong_assessment_questionnaire"]
    assert report.carried == () and _counts(db) == before
