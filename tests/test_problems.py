"""One Problem type and one catalogue of codes (problems.py).

Every code the source can raise is in the catalogue, every catalogue code says itself in zh and in
en with the same placeholders, and a problem carries its place from the moment it is made, so no
caller reads the message to find the field, the sheet or the cell.
"""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

import pytest

from cli.commands.problems import reference_markdown, template
from cli.commands.score import _TYPE_CODES as ENTRY_TYPE_CODES
from excel.reader import _RULE_MESSAGES
from i18n import LANGUAGES, catalog, t
from problems import CATALOGUE, Problem
from questionnaires import get_questionnaire
from questionnaires.answer_rule import CODES as ANSWER_RULE_CODES
from questionnaires.located import _YAML_MISTAKES, PYDANTIC_CODES
from questionnaires.migration import _SIDE_CODES as MAPPING_SIDE_CODES
from questionnaires.schema import QuestionnaireError
from services.imports import CONFLICT

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _source_files() -> list[Path]:
    skip = {".venv", "tests", "perf"}
    return [p for p in sorted(ROOT.rglob("*.py")) if not skip & set(p.relative_to(ROOT).parts)]


def _raised_codes() -> dict[str, str]:
    """code → "file:line" of every literal problem code in the source: the first argument of a Problem
    (or of the Excel safety check's Finding, which becomes one; of a questionnaire file's ``source.at``;
    of a schema validator's PydanticCustomError), the second of a questionnaire check's ``c.add(source, code …)``,
    the ``problem=`` code a caller hands to the text helpers (services/text.py) that raise it, and the
    ``reason=`` of a StateError (either branch of a conditional)."""
    found: dict[str, str] = {}
    for path in _source_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):  # def clean_name(…, problem="name_length")
                params = [*node.args.posonlyargs, *node.args.args]
                pairs = [*zip(params[len(params) - len(node.args.defaults):], node.args.defaults, strict=True),
                         *zip(node.args.kwonlyargs, node.args.kw_defaults, strict=True)]
                for param, default in pairs:
                    if param.arg == "problem" and isinstance(default, ast.Constant) and isinstance(default.value, str):
                        found.setdefault(default.value, f"{path.relative_to(ROOT)}:{node.lineno}")
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            literals = []
            if name in {"Problem", "ServiceProblem", "Finding", "at", "PydanticCustomError", "problem"} and node.args:
                literals.append(node.args[0])
            if name == "add" and len(node.args) > 1:
                literals.append(node.args[1])
            literals += [kw.value for kw in node.keywords if kw.arg == "problem"]
            for kw in node.keywords:
                if kw.arg == "reason":
                    literals += [kw.value.body, kw.value.orelse] if isinstance(kw.value, ast.IfExp) else [kw.value]
            if name == "Detected" and len(node.args) > 1:  # an evidence file's refusal: evidence_<code>
                arg = node.args[1]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(f"evidence_{arg.value}", f"{path.relative_to(ROOT)}:{node.lineno}")
            for arg in literals:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    found.setdefault(arg.value, f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_scan_finds_the_producers_of_every_layer() -> None:
    """The scan must see services, Excel, the questionnaire profile and the command line, or it proves nothing."""
    codes = _raised_codes()
    assert {"username_taken", "formula", "profile_choose_one", "not_found_file", "zip_bomb", "title_control",
            "evidence_unknown_type", "action_status", "round_closed", "round_already_open"} <= set(codes)
    assert len(codes) > 60


def test_every_code_raised_is_in_the_catalogue() -> None:
    unknown = {code: where for code, where in _raised_codes().items() if code not in CATALOGUE}
    unknown.update({code: "computed" for code in _computed_codes() if code not in CATALOGUE})
    assert not unknown, f"problem codes missing from problems.CATALOGUE: {unknown}"


def _computed_codes() -> set[str]:
    """Codes a producer takes from a table or builds rather than writing them as a literal argument."""
    zip_findings = {f"evidence_{code}" for code in ("zip_bomb", "encrypted", "macros")}  # services/filetypes.py
    return {*ANSWER_RULE_CODES, CONFLICT, *zip_findings, *PYDANTIC_CODES.values(), "invalid_value",  # located.py
            *(code for _, code in _YAML_MISTAKES), "yaml_syntax",  # read_yaml: a listed mistake, or any other
            *(code for codes in MAPPING_SIDE_CODES.values() for code in codes), *ENTRY_TYPE_CODES.values(),
            *(make("Q", "text", {"max": 1, "char": "U+0000", "level": 7})[0] for make in _RULE_MESSAGES.values())}


def test_every_catalogue_code_is_raised_somewhere() -> None:
    """A code nobody raises is a message nobody sees: the catalogue holds exactly what the source can report."""
    raised = set(_raised_codes()) | _computed_codes()
    assert sorted(set(CATALOGUE) - raised) == []


def test_the_reference_documents_every_code_in_both_languages() -> None:
    """docs/problems.md is generated from the catalogue (`aigov problems --markdown`): it is up to date, and it
    names every code with its English and Chinese text (message and fix)."""
    doc = (ROOT / "docs" / "problems.md").read_text(encoding="utf-8")
    assert doc == reference_markdown(), "docs/problems.md is stale: run `aigov problems --markdown > docs/problems.md`"
    for code, entry in CATALOGUE.items():
        row = next(line for line in doc.splitlines() if line.startswith(f"| `{code}` |"))
        assert template(entry, "zh").replace("|", "\\|") in row and template(entry, "en").replace("|", "\\|") in row
    for entry in CATALOGUE.values():
        if entry.fix_key:  # a family that keeps its fix apart: the fix is documented with the message
            assert all(catalog(lang)[entry.fix_key].replace("{{", "{").replace("}}", "}") in doc for lang in LANGUAGES)


def test_every_catalogue_code_says_itself_in_every_language_with_the_same_values() -> None:
    for code, entry in CATALOGUE.items():
        texts = {lang: catalog(lang).get(entry.key, "") for lang in LANGUAGES}
        assert all(texts.values()), f"{code}: {entry.key} has no text in {[k for k, v in texts.items() if not v]}"
        placeholders = {lang: set(PLACEHOLDER.findall(text)) for lang, text in texts.items()}
        assert len({frozenset(p) for p in placeholders.values()}) == 1, f"{code}: {placeholders}"
        assert entry.meaning


def test_a_code_outside_the_catalogue_is_refused_where_it_is_raised() -> None:
    with pytest.raises(KeyError, match="not in the catalogue"):
        Problem("no_such_code")


def test_a_problem_keeps_its_place_and_says_it_in_each_language() -> None:
    p = Problem("answer_rule", {"message": Problem("na_justification", question="GOV-INS-01",
                                                      field="justification")}, sheet="答题", cell="G14")
    assert (p.sheet, p.cell, p.code) == ("答题", "G14", "answer_rule")
    assert p == "Sheet 答题, cell G14: GOV-INS-01: N/A needs a written justification (why the practice does not apply)"
    assert p.text("zh").startswith(t("excel.where.cell", "zh", sheet="答题", cell="G14"))
    assert p.text("zh") != p.text("en")  # the quoted services problem is said in Chinese too

    rule = Problem("not_a_level", {"level": "7"}, question="GOV-INS-01", field="level")
    placed = rule.at(sheet="答题", cell="F14")
    assert (placed.field, placed.question, placed.sheet, placed.cell) == ("level", "GOV-INS-01", "答题", "F14")
    assert placed == "Sheet 答题, cell F14: " + rule
    assert pickle.loads(pickle.dumps(placed)).place == placed.place  # crosses a process (the import worker) intact


def test_profile_problems_name_their_field_and_fix_without_parsing() -> None:
    q = get_questionnaire()
    problems = q.profile_problems({**q.default_profile(), "sector": "space", "colour": "red"})
    assert [(p.code, p.field) for p in problems] == [("profile_choose_one", "sector"),
                                                     ("profile_unknown_field", "colour")]
    assert problems[0].fix("en") == "choose one of " + ", ".join(q.profile_field("sector").option_ids())
    assert problems[0].text("zh") != problems[0].text("en")


def test_a_questionnaire_problem_is_placed_in_its_file_and_says_its_fix_apart(tmp_path: Path) -> None:
    from questionnaires import load_questionnaire

    with pytest.raises(QuestionnaireError) as exc:
        load_questionnaire(tmp_path)
    assert [p.code for p in exc.value.problems] == ["file_missing"] * 3
    p = exc.value.problems[0]
    assert p.file == "meta.yml" and p.fix("en") == "create meta.yml (docs/questionnaire.md shows its fields)."
    assert p == f"[meta.yml] the file meta.yml is missing. Fix: {p.fix('en')}"
    assert p.text("zh") == f"[meta.yml] 缺少文件 meta.yml。修正：{p.fix('zh')}"


def test_the_command_line_lists_the_catalogue_in_either_language(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main

    assert main(["problems", "--lang", "zh"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CATALOGUE)
    assert "unknown_crosswalk_id: “{ref}”不在 {scheme} 的参考清单中。修正：请使用 questionnaires/frameworks.yml" in "\n".join(lines)
