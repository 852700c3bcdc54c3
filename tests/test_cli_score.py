"""``aigov score``: bad answers files fail with exit 2 and messages that name the place and the fix."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from cli.main import main

MINI = Path(__file__).resolve().parent / "fixtures" / "mini"
PROFILE = {"ai_roles": ["user"], "genai_public": True, "high_impact": False, "sector": "finance", "size": "medium"}


def answers_file(tmp_path: Path, **overrides: Any) -> Path:
    data: dict[str, Any] = {
        "questionnaire": "mini-test", "version": "0.1.0", "profile": PROFILE, "target_preset": None, "form": "full",
        "answers": {"ALP-ONE-01": {"level": 1, "note": "policy drafted"},
                    "ALP-TWO-02": {"na": True, "justification": "We offer no public generative AI."}},
    }
    for key, value in overrides.items():
        if value is ...:
            data.pop(key, None)
        else:
            data[key] = value
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["score", *argv, "--questionnaire-dir", str(MINI)])
    out, err = capsys.readouterr()
    return status, out, err


def fails(capsys: pytest.CaptureFixture[str], path: Path, *fragments: str) -> str:
    status, out, err = run(capsys, str(path), "--json", "--lang", "en")
    assert status == 2, out
    assert out == ""
    assert err.startswith("aigov: error:")
    for fragment in fragments:
        assert fragment in err, f"{fragment!r} not in:\n{err}"
    return err


def test_a_valid_file_scores(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, str(answers_file(tmp_path)), "--json")
    assert status == 0
    data = json.loads(out)
    assert data["questionnaire_id"] == "mini-test" and data["target_preset"] == "baseline"
    assert data["overall"]["score"] == 1.0 and data["to_answer"][0] == "ALP-ONE-02"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_readable_table(tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str) -> None:
    status, out, _ = run(capsys, str(answers_file(tmp_path)), "--lang", lang)
    assert status == 0
    assert ("Overall" if lang == "en" else "总体") in out
    assert "ALP-ONE-01" in out and ("not scored" if lang == "en" else "未评分") in out


def test_texts_follow_the_one_answer_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The command line applies the same rule as the app and the Excel import (questionnaires/answer_rule.py)."""
    fails(capsys, answers_file(tmp_path, answers={"ALP-ONE-01": {"level": 2, "note": "bell\u0007"}}),
          "at answers.ALP-ONE-01.note] ALP-ONE-01: note contains the control character U+0007; remove it")
    fails(capsys, answers_file(tmp_path, answers={"ALP-ONE-01": {"level": 2, "note": "x" * 5001}}),
          "at answers.ALP-ONE-01.note] ALP-ONE-01: note is longer than 5000 characters; shorten it")
    fails(capsys, answers_file(tmp_path, answers={"ALP-ONE-01": {"level": 2, "note": 5}}),
          "at answers.ALP-ONE-01.note] 'note' must be text. Fix: write it as a JSON string.")


def test_an_unscored_dimension_shows_its_target_profile_level(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Only ALP answered: the BET row is not scored and shows the baseline profile's BET level, 2.00, as the
    results page and the workbook do (tests/test_ui_results.py); its sub-dimensions likewise."""
    path = answers_file(tmp_path, answers={"ALP-ONE-01": {"level": 3}}, target_preset="baseline")
    status, out, _ = run(capsys, str(path), "--lang", "en")
    assert status == 0
    bet = next(line for line in out.splitlines() if line.strip().startswith("BET "))
    assert "not scored" in bet and " 2.00 " in f"{bet} "


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(capsys, tmp_path / "nope.json", f"aigov: error: [{tmp_path / 'nope.json'}] no such file. Fix: give the path")


def test_invalid_json_names_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"profile": {}\n "answers": {}}', encoding="utf-8")
    fails(capsys, path, "broken.json, line 2] not valid JSON at column 2 (Expecting ',' delimiter). Fix:")


def test_a_file_that_is_not_utf8_says_so_in_either_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "gbk.json"
    path.write_bytes('{"profile": {"sector": "金融"}}'.encode("gbk"))
    fails(capsys, path, f"aigov: error: [{path}] the file is not UTF-8 text. Fix: save it as UTF-8 JSON.")
    status, _, err = run(capsys, str(path))
    assert status == 2 and f"[{path}] 该文件不是 UTF-8 文本。修正：请保存为 UTF-8 编码的 JSON。" in err


def test_top_level_must_be_an_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "list.json"
    path.write_text("[1, 2]", encoding="utf-8")
    fails(capsys, path, "list.json] the file must hold a JSON object.")


def test_unknown_question_id_suggests_the_nearest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = answers_file(tmp_path, answers={"ALP-ONE-1": {"level": 2}})
    fails(capsys, path, "at answers.ALP-ONE-1] 'ALP-ONE-1' is not a question of mini-test 0.1.0 (did you mean ALP-ONE-01?).")


@pytest.mark.parametrize(("level", "message"), [
    (7, "at answers.ALP-ONE-01.level] ALP-ONE-01: 7 is not a level; use 0–5 or N/A"),
    (-1, "at answers.ALP-ONE-01.level] ALP-ONE-01: -1 is not a level; use 0–5 or N/A"),
    (2.5, "at answers.ALP-ONE-01.level] 2.5 is not a whole number. Fix: use a level 0, 1, 2, 3, 4 or 5."),
    ("3", 'at answers.ALP-ONE-01.level] "3" is not a whole number.'),
    (True, "at answers.ALP-ONE-01.level] true is not a whole number."),
])
def test_bad_levels(tmp_path: Path, capsys: pytest.CaptureFixture[str], level: Any, message: str) -> None:
    fails(capsys, answers_file(tmp_path, answers={"ALP-ONE-01": {"level": level}}), message)


def test_na_needs_a_justification(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for answer in ({"na": True}, {"na": True, "justification": "   "}):
        fails(capsys, answers_file(tmp_path, answers={"ALP-ONE-02": answer}),
              "at answers.ALP-ONE-02.justification] ALP-ONE-02: N/A needs a written justification")


def test_level_and_na_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = answers_file(tmp_path, answers={"ALP-ONE-02": {"level": 2, "na": True, "justification": "x"}})
    fails(capsys, path, "at answers.ALP-ONE-02.level] ALP-ONE-02: choose either a level or N/A, not both")


def test_answer_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(capsys, answers_file(tmp_path, answers={"ALP-ONE-02": 3}), "at answers.ALP-ONE-02] the answer must be an object.")
    fails(capsys, answers_file(tmp_path, answers={"ALP-ONE-02": {"levle": 3}}), "at answers.ALP-ONE-02.levle] 'levle' is not a key of an answer.")
    fails(capsys, answers_file(tmp_path, answers={"ALP-ONE-02": {"na": "yes", "justification": "x"}}),
          'at answers.ALP-ONE-02.na] "yes" is not true or false.')
    fails(capsys, answers_file(tmp_path, answers=[1]), "at answers] the answers must be an object keyed by question id.")
    fails(capsys, answers_file(tmp_path, answers=...), "at answers] the answers are missing. Fix: add \"answers\"")


def test_invalid_profile(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = {**PROFILE, "ai_roles": ["robot"], "sector": "space", "colour": "red"}
    del profile["size"]
    err = fails(capsys, answers_file(tmp_path, profile=profile), "4 problem(s)",
                "at profile.ai_roles] ai_roles: choose one or more of tech_provider",
                "at profile.sector] sector: choose one of finance",
                "at profile.size] size: choose one of micro",
                "at profile.colour] colour: not a profile field of this questionnaire")
    assert "Traceback" not in err
    fails(capsys, answers_file(tmp_path, profile=...), "at profile] the profile is missing;", "Fix: add \"profile\"")
    fails(capsys, answers_file(tmp_path, profile=[]), "at profile] the profile must be an object.")


def test_preset_form_questionnaire_and_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fails(capsys, answers_file(tmp_path, target_preset="leadin"), "at target_preset] 'leadin' is not a target preset (did you mean leading?).")
    fails(capsys, answers_file(tmp_path, form="short"), "at form] 'short' is not a form.", '"core"')
    fails(capsys, answers_file(tmp_path, questionnaire="caict-aigov"),
          "at questionnaire] the answers are for 'caict-aigov' but are being scored against 'mini-test'.")
    fails(capsys, answers_file(tmp_path, version="9.9.9"),
          "at version] the answers are for version 9.9.9 but the questionnaire is version 0.1.0.")
    fails(capsys, answers_file(tmp_path, extra=1), "at extra] 'extra' is not a key of an answers file.")


def test_every_problem_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = answers_file(tmp_path, form="short", answers={"ALP-ONE-01": {"level": 9}, "BAD-ID-01": {"level": 1}})
    fails(capsys, path, "3 problem(s) in the answers file:", "at form]", "at answers.ALP-ONE-01.level]",
          "at answers.BAD-ID-01]")


def test_problems_are_said_in_the_chosen_language(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The default language (zh) says the same problems, at the same places, in Chinese; the status is 2 either way."""
    path = answers_file(tmp_path, form="short", answers={"ALP-ONE-01": {"level": 9}, "ALP-ONE-1": {"level": 1}})
    status, out, err = run(capsys, str(path), "--json")
    assert (status, out) == (2, "")
    assert f"{path}：答案文件中有 3 个问题：" in err
    assert "位置 form] “short”不是问卷形式。修正：请使用 \"full\"（全部题目）或 \"core\"（简版）。" in err
    assert "位置 answers.ALP-ONE-01.level] ALP-ONE-01：9 不是有效等级" in err
    assert "（是否应为 ALP-ONE-01？）" in err
    assert not any(word in err for word in ("Fix", "problem(s)", "did you mean"))


def test_answers_to_inapplicable_questions_are_ignored_with_a_note(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = answers_file(tmp_path, answers={"ALP-ONE-03": {"level": 5}})
    status, out, err = run(capsys, str(path), "--json", "--lang", "en")
    assert status == 0
    assert "ALP-ONE-03" in err and "ignored" in err
    assert json.loads(out)["overall"]["score"] is None


def test_bad_questionnaire_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["score", str(answers_file(tmp_path)), "--questionnaire-dir", str(tmp_path / "none")])
    assert status == 2
    assert "此处没有问卷文件夹。修正：请指定包含 meta.yml 和 dimensions/ 的文件夹。" in capsys.readouterr().err


def test_xlsx_without_the_excel_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "excel.reader", None)  # makes the import fail
    path = tmp_path / "filled.xlsx"
    path.write_bytes(b"PK")
    fails(capsys, path, "filled.xlsx] reading .xlsx workbooks needs the Excel reader", "Fix: save the answers as a JSON")


def test_xlsx_is_read_by_the_excel_reader(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    data = json.loads(answers_file(tmp_path).read_text(encoding="utf-8"))
    seen: list[Path] = []
    fake = types.ModuleType("excel.reader")

    def read_workbook_answers(p: str | Path) -> Any:
        seen.append(Path(p))
        return data

    fake.read_workbook_answers = read_workbook_answers  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "excel.reader", fake)
    path = tmp_path / "filled.XLSX"
    path.write_bytes(b"PK")
    status, out, _ = run(capsys, str(path), "--json")
    assert status == 0 and seen == [path]
    assert json.loads(out)["target_preset"] == "baseline"

    def broken(_: Path) -> dict[str, Any]:
        raise ValueError("sheet 'Answers' is missing")

    fake.read_workbook_answers = broken  # type: ignore[attr-defined]
    fails(capsys, path, "the workbook could not be read: sheet 'Answers' is missing")


# --- a filled .xlsx template, read by the real reader ------------------------------------------------

def _golden_workbooks() -> list[Any]:
    """Golden cases of the shipped questionnaire that the template can carry: full form, default target."""
    from tests.test_scoring_golden import REAL, golden_files, load_case

    out = []
    for i, path in enumerate(golden_files(REAL)):
        case = load_case(path)
        if case["form"] == "full" and case["target_preset"] is None:
            out.append(pytest.param(path, ("zh", "en")[i % 2], id=path.stem))  # both template languages
    return out


def _template_answers(answers: dict[str, dict[str, Any]]) -> dict[str, tuple[Any, str, str]]:
    return {qid: ("N/A" if a.get("na") else a.get("level"), a.get("justification", ""), a.get("note", ""))
            for qid, a in answers.items()}


def _score_xlsx(capsys: pytest.CaptureFixture[str], path: Path, *argv: str) -> tuple[int, str, str]:
    status = main(["score", str(path), *argv])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(("path", "lang"), _golden_workbooks())
def test_a_filled_template_scores_like_its_golden_case(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                       path: Path, lang: str) -> None:
    from tests.scoring_reference import CASE_KEYS, assert_matches
    from tests.support.excel_workbooks import filled_template
    from tests.test_scoring_golden import load_case

    case = load_case(path)
    workbook = tmp_path / "filled.xlsx"
    workbook.write_bytes(filled_template(_template_answers(case["answers"]), profile=case["profile"], lang=lang))
    status, out, err = _score_xlsx(capsys, workbook, "--json")
    assert status == 0, err
    data = json.loads(out)
    assert (data["questionnaire_id"], data["questionnaire_version"]) == (case["questionnaire"], case["version"])
    assert {k: sorted(v) if isinstance(v, list) else v for k, v in data["profile"].items()} == {
        k: sorted(v) if isinstance(v, list) else v for k, v in case["profile"].items()}
    assert data["form"] == "full"
    answers_file = tmp_path / "answers.json"  # the same case as an answers file: the workbook adds nothing
    answers_file.write_text(json.dumps({k: case[k] for k in CASE_KEYS}, ensure_ascii=False), encoding="utf-8")
    status, out, err = _score_xlsx(capsys, answers_file, "--json")
    assert status == 0, err
    assert {k: v for k, v in data.items() if k != "profile"} == {
        k: v for k, v in json.loads(out).items() if k != "profile"}
    assert_matches(data, case["expected"])  # every number to 1e-9


def test_the_golden_workbook_cases_cover_the_kinds() -> None:
    stems = {p.id for p in _golden_workbooks()}
    assert len(stems) >= 6 and "11-half-hundredth" in stems and "05-na-heavy" in stems


def test_blank_profile_cells_are_named_by_sheet_and_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import Workbook

    from excel.contract import PROFILE_COLUMNS, col
    from tests.support.excel_workbooks import filled_template, profile_rows

    def blank(wb: Workbook) -> None:
        ws = wb["Profile"]
        rows = profile_rows(wb, "en")
        for key in (("sector", ""), ("ai_roles", "user")):
            ws.cell(row=rows[key], column=col(PROFILE_COLUMNS, "value")).value = None

    path = tmp_path / "blank-profile.xlsx"
    path.write_bytes(filled_template(lang="en", edit=blank))
    status, out, err = _score_xlsx(capsys, path, "--json", "--lang", "en")
    assert status == 2 and out == ""
    assert "2 problem(s) in the workbook" in err
    assert "Sheet Profile, cell D" in err and "Sector" in err and "profile.sector" not in err
    assert "Traceback" not in err


@pytest.mark.parametrize("error", [
    pytest.param(lambda: __import__("excel.safety").safety.UnsafeXMLParser("openpyxl is not using defusedxml: "
                                                                           "install defusedxml"), id="unsafe_parser"),
    pytest.param(lambda: RuntimeError("boom\nsecond line"), id="runtime_error"),
    pytest.param(lambda: TypeError("unexpected"), id="type_error"),
    pytest.param(lambda: PermissionError(13, "Permission denied"), id="permission"),
])
def test_every_reader_error_is_one_line_and_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch, error: Any) -> None:
    import excel.reader

    def broken(_: Path) -> dict[str, Any]:
        raise error()

    monkeypatch.setattr(excel.reader, "read_workbook_answers", broken)
    path = tmp_path / "filled.xlsx"
    path.write_bytes(b"PK")
    status, out, err = _score_xlsx(capsys, path, "--json", "--lang", "en")
    assert status == 2 and out == ""
    assert err.startswith(f"aigov: error: [{path}] ") and err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize(("content", "fragment"), [
    (b"PK\x03\x04 not really a zip", "This is not an .xlsx workbook"),
    (b"", "The file is empty"),
], ids=["not_a_zip", "empty"])
def test_a_refused_workbook_lists_its_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes,
                                              fragment: str) -> None:
    path = tmp_path / "bad.xlsx"
    path.write_bytes(content)
    status, _, err = _score_xlsx(capsys, path, "--json", "--lang", "en")
    assert status == 2 and "1 problem(s) in the workbook" in err and fragment in err


def test_a_workbook_with_an_xlm_macro_sheet_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.support.excel_workbooks import filled_template, with_xlm_sheet

    path = tmp_path / "macro.xlsx"
    path.write_bytes(with_xlm_sheet(filled_template()))
    status, out, err = _score_xlsx(capsys, path, "--json", "--lang", "en")
    assert status == 2 and out == "" and "Excel 4.0 macro sheet" in err


# --- display rounding: as Excel shows the summary workbook --------------------------------------------

def test_the_table_rounds_half_up_as_excel_does(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.test_scoring_golden import FAMILY, load_case

    case = load_case(FAMILY / "1.0.0" / "golden" / "11-half-hundredth.yml")  # the numbers below are 1.0.0's
    path = tmp_path / "half.json"
    path.write_text(json.dumps({k: case[k] for k in ("questionnaire", "version", "profile", "target_preset", "form",
                                                     "answers")}), encoding="utf-8")
    status, out, _ = _score_xlsx(capsys, path, "--lang", "en")
    assert status == 0
    gov = next(line for line in out.splitlines() if line.strip().startswith("GOV "))
    overall = next(line for line in out.splitlines() if line.strip().startswith("Overall"))
    assert gov.split()[-4:-1] == ["2.13", "L2", "4.25"], gov  # exactly 2.125: f"{2.125:.2f}" would give 2.12
    assert "2.13" in overall
    assert "Completeness: 22.2%" in out and "Percent to target: 47.6%" in out
