"""`aigov template` and `aigov import` (and `aigov score FILE.xlsx`) as an operator uses them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from cli.main import main as aigov
from enums import AnswerSource
from excel.reader import read_template
from questionnaires import get_questionnaire
from services.access import Actor
from services.assessments import (
    AnswerInputData,
    create_assessment,
    list_assessments,
    load_answers,
    save_answers_bulk,
)
from services.organisations import create_organisation, get_organisation
from tests.support.excel_workbooks import filled_template

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]


@pytest.fixture
def org(engine: Engine, system: Actor, app_db: str) -> int:
    return create_organisation(engine, system, "演示科技有限公司", Q.default_profile()).id


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_writes_a_readable_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str) -> None:
    out = tmp_path / f"template-{lang}.xlsx"
    assert aigov(["template", "--lang", lang, "--out", str(out)]) == 0
    assert f"{Q.id} {Q.version}" in capsys.readouterr().out
    filled = read_template(out.read_bytes())
    assert filled.language == lang and filled.answers == ()


@pytest.mark.parametrize(("args", "message"), [
    (["--out", "template.csv"], "须以 .xlsx 结尾"),
    (["--out", "no/such/folder/t.xlsx"], "不存在"),
    (["--out", "t.xlsx", "--questionnaire", "nope"], "[questionnaire_unknown]"),
])
def test_template_bad_arguments_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert aigov(["template", *args]) == 2
    assert message in capsys.readouterr().err


def test_template_unknown_language_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        aigov(["template", "--lang", "fr", "--out", "t.xlsx"])
    assert exit_info.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_import_creates_one_draft_per_file(engine: Engine, system: Actor, org: int, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    a.write_bytes(filled_template({IDS[0]: (3, "", "甲")}))
    b.write_bytes(filled_template({IDS[1]: ("N/A", "不适用", "乙")}))
    assert aigov(["import", str(a), str(b), "--org", str(org)]) == 0
    out = capsys.readouterr().out
    assert "imported 1 answers into new draft assessment" in out and "2 of 2 file(s) imported" in out
    views = list_assessments(engine, system, org)
    assert len(views) == 2
    answers = [load_answers(engine, system, v.id) for v in views]
    assert {IDS[0], IDS[1]} == {qid for ans in answers for qid in ans}


def test_import_bad_file_lists_every_problem_and_imports_the_good_ones(engine: Engine, system: Actor, org: int,
                                                                       tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.xlsx", tmp_path / "bad.xlsx"
    good.write_bytes(filled_template())
    bad.write_bytes(filled_template({IDS[0]: (7, "", ""), IDS[1]: ("N/A", "", "")}))
    assert aigov(["import", str(bad), str(good), "--org", str(org)]) == 2
    captured = capsys.readouterr()
    assert f"{bad}: REJECTED — 2 problem(s); nothing was stored:" in captured.err
    assert "Sheet 答题, cell F2: 7 is not a level; use 0–5 or N/A" in captured.err
    assert "Sheet 答题, cell G3:" in captured.err
    assert "1 of 2 file(s) imported" in captured.out
    assert len(list_assessments(engine, system, org)) == 1


def test_import_messages_in_chinese(org: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(filled_template({IDS[0]: (7, "", "")}))
    assert aigov(["import", str(bad), "--org", str(org), "--lang", "zh"]) == 2
    assert "工作表 答题，单元格 F2：7 不是有效等级；请填写 0–5 或 N/A" in capsys.readouterr().err


def test_import_into_a_draft_and_update_the_profile(engine: Engine, system: Actor, org: int, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    draft = create_assessment(engine, system, org)
    save_answers_bulk(engine, system, draft.id, [AnswerInputData(IDS[0], 1)], source=AnswerSource.UI)
    profile = {**Q.default_profile(), "sector": "energy", "high_impact": True}
    path = tmp_path / "filled.xlsx"
    path.write_bytes(filled_template({IDS[0]: (4, "", "")}, profile=profile))
    assert aigov(["import", str(path), "--org", str(org), "--assessment", str(draft.id), "--update-profile"]) == 0
    out = capsys.readouterr().out
    assert f"imported into assessment #{draft.id}: 1 answers changed" in out and "profile updated" in out
    assert load_answers(engine, system, draft.id)[IDS[0]].level == 4
    assert get_organisation(engine, system, org).profile == profile


@pytest.mark.parametrize(("args", "message"), [
    (["x.xlsx", "y.xlsx", "--assessment", "1"], "--assessment takes one file"),
    (["missing.xlsx"], "no such file"),
])
def test_import_bad_arguments_exit_2(org: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    assert aigov(["import", *args, "--org", str(org)]) == 2
    assert message in capsys.readouterr().err


def test_import_unknown_organisation_or_assessment(org: int, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "filled.xlsx"
    path.write_bytes(filled_template())
    assert aigov(["import", str(path), "--org", "999"]) == 2
    assert "--org 999: no such organisation" in capsys.readouterr().err
    assert aigov(["import", str(path), "--org", str(org), "--assessment", "999"]) == 2
    assert "--assessment 999: no such assessment" in capsys.readouterr().err


def test_import_without_org_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        aigov(["import", "x.xlsx"])
    assert exit_info.value.code == 2 and "--org" in capsys.readouterr().err


def test_score_reads_a_filled_workbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "filled.xlsx"
    path.write_bytes(filled_template())
    assert aigov(["score", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["questionnaire_id"] == Q.id and result["overall"]["score"] is not None


def test_score_reports_workbook_problems_with_their_cells(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "filled.xlsx"
    path.write_bytes(filled_template({IDS[0]: (7, "", "")}))
    assert aigov(["score", str(path), "--json", "--lang", "en"]) == 2
    assert "Sheet 答题, cell F2: 7 is not a level; use 0–5 or N/A" in capsys.readouterr().err
    assert aigov(["score", str(path), "--json"]) == 2  # the default language, as the table's
    assert "工作表 答题，单元格 F2：7 不是有效等级；请填写 0–5 或 N/A" in capsys.readouterr().err


def test_import_as_a_user_acts_with_that_users_roles(engine: Engine, system: Actor, org: int, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from services.accounts import create_user
    from services.members import add_member

    create_user(engine, "resp", "a-long-password-2")
    add_member(engine, system, org, "resp", "respondent")
    path = tmp_path / "filled.xlsx"
    path.write_bytes(filled_template({IDS[0]: (2, "", "")}))
    assert aigov(["import", str(path), "--org", str(org), "--as-user", "resp"]) == 0
    capsys.readouterr()
    # a respondent may answer but not change the organisation profile
    assert aigov(["import", str(path), "--org", str(org), "--as-user", "resp", "--update-profile"]) == 2
    assert "Only organisation administrators can update the organisation profile" in capsys.readouterr().err
    assert aigov(["import", str(path), "--org", str(org), "--as-user", "ghost"]) == 2
    assert "--as-user ghost: there is no active account" in capsys.readouterr().err
    assert len(list_assessments(engine, system, org)) == 1


def test_without_defusedxml_import_and_score_refuse_in_one_line(org: int, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    import openpyxl.xml

    path = tmp_path / "filled.xlsx"
    path.write_bytes(filled_template())
    monkeypatch.setattr(openpyxl.xml, "DEFUSEDXML", False)
    for argv in (["import", str(path), "--org", str(org)], ["score", str(path), "--json"]):
        assert aigov(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == "" and captured.err.count("\n") == 1 and "Traceback" not in captured.err
        assert captured.err.startswith("aigov: error: ") and "install defusedxml" in captured.err
