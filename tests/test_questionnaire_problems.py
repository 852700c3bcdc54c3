"""Every rule of the questionnaire files and version mappings has its own catalogue code, located in its file.

Each case writes a broken copy of the mini questionnaire (tests/fixtures/mini) to a temporary folder and
checks that loading it reports exactly that code, at the expected YAML path and on the line where that path
is written, in both languages: the place in each language's words and the message and fix from each
language's catalog (never pydantic's English).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel, Field, field_validator

from cli.main import main as aigov
from i18n import t
from problems import Problem
from questionnaires import QuestionnaireError, get_questionnaire, load_questionnaire
from questionnaires import loader as loader_module
from questionnaires.frameworks import REFERENCE, check_reference
from questionnaires.located import Source, read_yaml, shape_problems
from questionnaires.migration import MigrationError, get_migration, validate_mapping

MINI = Path(__file__).parent / "fixtures" / "mini"
Q = "subdimensions[0].questions[0]"  # ALP-ONE-01 in dimensions/ALP.yml


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "q"
    shutil.copytree(MINI, folder, ignore=shutil.ignore_patterns("golden"))
    return folder


def _edit(folder: Path, name: str, change: Callable[[Any], object]) -> None:
    path = folder / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)  # edits in place (what it returns, e.g. a popped value, is not the document)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _q(d: dict, n: int = 0) -> dict:
    return d["subdimensions"][0]["questions"][n]


def _problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(folder)
    return info.value.problems


def _said_in_both_languages(p: Problem) -> None:
    """The place and the message in each language's own words, from the catalog."""
    values = p.values
    for lang in ("en", "zh"):
        text = p.text(lang)
        assert t(f"questionnaire_problem.{p.code}", lang, **values) in text
        assert t(f"questionnaire_fix.{p.code}", lang, **values) in text
        if p.path:
            assert t("problem_where.path", lang, path=p.path) in text
        if p.line:
            assert t("problem_where.line", lang, line=p.line) in text
    assert p.text("zh") != p.text("en")
    assert str(p) == p.text("en")


def _line_of(folder: Path, file: str, line: int) -> str:
    return (folder / file).read_text(encoding="utf-8").splitlines()[line - 1]


def _add_field(d: dict) -> None:
    d["fields"].append({"id": "extra", "type": "multi", "label": {"zh": "额外", "en": "Extra"}, "default": []})


def _presets_copy(d: dict) -> None:
    d["presets"].append(dict(d["presets"][0]))


def _no_core(d: dict) -> None:
    for q in d["subdimensions"][0]["questions"]:
        q["core"] = False


def _all_critical(folder: Path) -> None:
    for dim in ("ALP", "BET"):
        _edit(folder, f"dimensions/{dim}.yml",
              lambda d: [q.update(critical=True) for s in d["subdimensions"] for q in s["questions"]])


# (code, file it is in, how to break the mini questionnaire, the YAML path, the text on the problem's line)
CASES: list[tuple[str, str, Callable[[Path], object], str, str | None]] = [
    ("file_missing", "profile.yml", lambda f: (f / "profile.yml").unlink(), "", None),
    ("yaml_duplicate_key", "meta.yml", lambda f: (f / "meta.yml").write_text(
        (f / "meta.yml").read_text(encoding="utf-8") + "\nversion: 0.2.0\n", encoding="utf-8"), "", "version: 0.2.0"),
    ("file_not_utf8", "targets.yml", lambda f: (f / "targets.yml").write_bytes("default: 基础".encode("gbk")), "", None),
    ("top_not_mapping", "profile.yml", lambda f: (f / "profile.yml").write_text("- ai_roles\n"), "", "- ai_roles"),
    ("yaml_syntax", "dimensions/ALP.yml",
     lambda f: (f / "dimensions/ALP.yml").write_text("id: ALP\nname: *alpha\norder: 1\n"), "", "name: *alpha"),
    ("yaml_tab", "dimensions/ALP.yml",
     lambda f: (f / "dimensions/ALP.yml").write_text("id: ALP\nname:\n\tzh: 甲\n"), "", "\tzh"),
    ("yaml_colon_in_text", "dimensions/ALP.yml",
     lambda f: (f / "dimensions/ALP.yml").write_text("id: ALP\ndescription: Note: alpha\n"), "", "Note: alpha"),
    ("yaml_indentation", "dimensions/ALP.yml",
     lambda f: (f / "dimensions/ALP.yml").write_text("id: ALP\nsubdimensions:\n  - id: ALP-ONE\n  name: x\n"), "",
     "  name: x"),
    ("yaml_unclosed", "dimensions/ALP.yml",
     lambda f: (f / "dimensions/ALP.yml").write_text("id: ALP\nname: {zh: 甲, en: [Alpha}\norder: 1\n"), "",
     "name: {zh"),
    ("dimension_file_missing", "meta.yml", lambda f: (f / "dimensions/BET.yml").unlink(), "dimensions[1]", "BET"),
    ("dimension_file_unlisted", "dimensions/GAM.yml",
     lambda f: shutil.copy(f / "dimensions/BET.yml", f / "dimensions/GAM.yml"), "", None),
    ("field_missing", "dimensions/ALP.yml", lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).pop("text")),
     f"{Q}.text", "- id: ALP-ONE-01"),
    ("field_unknown", "dimensions/ALP.yml", lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(colour=1)),
     f"{Q}.colour", "colour:"),
    ("not_text", "meta.yml", lambda f: _edit(f, "meta.yml", lambda d: d.update(id=5)), "id", "id: 5"),
    ("id_format", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(id="alp-one-01")), f"{Q}.id", "alp-one-01"),
    ("not_a_choice", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["levels"].update({6: {"zh": "六", "en": "six"}})),
     f"{Q}.levels.6", "6:"),
    ("not_a_whole_number", "dimensions/ALP.yml", lambda f: _edit(f, "dimensions/ALP.yml", lambda d: d.update(order="x")),
     "order", "order: x"),
    ("not_a_number", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(weight="heavy")), f"{Q}.weight", "heavy"),
    ("not_yes_no", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(critical="maybe")), f"{Q}.critical", "maybe"),
    ("not_a_mapping", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(text="just text")), f"{Q}.text", "just text"),
    ("not_a_list", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(principles="accountable")), f"{Q}.principles",
     "principles: accountable"),
    ("not_a_date", "meta.yml", lambda f: _edit(f, "meta.yml", lambda d: d.update(published="someday")), "published",
     "someday"),
    ("out_of_range", "targets.yml", lambda f: _edit(f, "targets.yml", lambda d: d["presets"][0]["levels"].update(ALP=7)),
     "presets[0].levels.ALP", "ALP: 7"),
    ("too_few_entries", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(principles=[])), f"{Q}.principles", "principles"),
    ("levels_not_five", "dimensions/ALP.yml", lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["levels"].pop(5)),
     f"{Q}.levels", "levels:"),
    ("recommendations_not_five", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["recommendations"].pop(4)), f"{Q}.recommendations",
     "recommendations:"),
    ("text_language_missing", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["text"].pop("en")), f"{Q}.text", "text:"),
    ("text_language_unknown", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["guidance"].update(fr="Conseils.")), f"{Q}.guidance",
     "guidance:"),
    ("rule_unknown_field", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(applies_if={"employees": [50]})),
     f"{Q}.applies_if.employees", "employees:"),
    ("rule_unknown_value", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(applies_if={"sector": ["space"]})),
     f"{Q}.applies_if.sector", "sector:"),
    ("scale_levels", "meta.yml", lambda f: _edit(f, "meta.yml", lambda d: d["scale"].pop()), "scale", "scale:"),
    ("dimension_listed_twice", "meta.yml", lambda f: _edit(f, "meta.yml", lambda d: d["dimensions"].append("ALP")),
     "dimensions[2]", "- ALP"),
    ("duplicate_profile_field", "profile.yml",
     lambda f: _edit(f, "profile.yml", lambda d: d["fields"].append(dict(d["fields"][4]))), "fields[5].id", "id: size"),
    ("options_missing", "profile.yml", lambda f: _edit(f, "profile.yml", _add_field), "fields[5].type", "type: multi"),
    ("duplicate_option", "profile.yml",
     lambda f: _edit(f, "profile.yml", lambda d: d["fields"][4]["options"].append(dict(d["fields"][4]["options"][0]))),
     "fields[4].options[4].id", "id: micro"),
    ("profile_default_invalid", "profile.yml",
     lambda f: _edit(f, "profile.yml", lambda d: d["fields"][4].update(default="huge")), "fields[4].default", "huge"),
    ("duplicate_preset", "targets.yml", lambda f: _edit(f, "targets.yml", _presets_copy), "presets[2].id", "baseline"),
    ("preset_dimensions", "targets.yml", lambda f: _edit(f, "targets.yml", lambda d: d["presets"][0]["levels"].pop("BET")),
     "presets[0].levels", "levels:"),
    ("critical_below_target", "targets.yml", lambda f: _edit(f, "targets.yml", lambda d: d["presets"][0].update(critical=1)),
     "presets[0].critical", "critical: 1"),
    ("unknown_preset", "targets.yml", lambda f: _edit(f, "targets.yml", lambda d: d.update(default="nope")), "default",
     "default: nope"),
    ("dimension_id_mismatch", "dimensions/ALP.yml", lambda f: _edit(f, "dimensions/ALP.yml", lambda d: d.update(id="ALX")),
     "id", "id: ALX"),
    ("dimension_order", "dimensions/ALP.yml", lambda f: _edit(f, "dimensions/ALP.yml", lambda d: d.update(order=2)),
     "order", "order: 2"),
    ("duplicate_id", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d, 1).update(id=_q(d)["id"])),
     "subdimensions[0].questions[1].id", "ALP-ONE-01"),
    ("id_prefix", "dimensions/ALP.yml", lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d).update(id="ALP-ZZZ-01")),
     f"{Q}.id", "ALP-ZZZ-01"),
    ("no_core_question", "dimensions/ALP.yml", lambda f: _edit(f, "dimensions/ALP.yml", _no_core),
     "subdimensions[0].questions", "questions:"),
    ("too_many_critical", "dimensions/*.yml", _all_critical, "", None),
    ("evidence_language_missing", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["evidence"].update(en=[])), f"{Q}.evidence", "evidence:"),
    ("evidence_count_mismatch", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["evidence"]["en"].append("Minutes")), f"{Q}.evidence",
     "evidence:"),
    ("unknown_tag", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["principles"].append("fairness")), f"{Q}.principles[2]",
     "- fairness"),
    ("unknown_crosswalk_id", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["crosswalk"].update(nist_ai_rmf=["GOVERN 1", "GOVERN 9.9"])),
     f"{Q}.crosswalk.nist_ai_rmf[1]", "GOVERN 9.9"),
    ("crosswalk_relation_unknown", "dimensions/ALP.yml",
     lambda f: _edit(f, "dimensions/ALP.yml", lambda d: _q(d)["crosswalk"].update(tc260={"5.4": "not_related"})),
     f"{Q}.crosswalk.tc260['5.4']", "not_related"),
]


@pytest.mark.parametrize(("code", "file", "breaks", "path", "on_line"), CASES, ids=[c[0] for c in CASES])
def test_a_broken_file_gets_its_own_code_at_its_place(tmp_path: Path, code: str, file: str,
                                                      breaks: Callable[[Path], object], path: str,
                                                      on_line: str | None) -> None:
    folder = _copy(tmp_path)
    load_questionnaire(folder)  # the unbroken copy is valid: what follows is the breakage's doing
    breaks(folder)
    problems = _problems_of(folder)
    assert {p.code for p in problems} == {code}, [p.text("en") for p in problems]
    p = problems[0]
    assert (p.file, p.path) == (file, path)
    if on_line is None:
        assert p.line is None
    else:
        assert p.line is not None and on_line in _line_of(folder, file, p.line), p
    _said_in_both_languages(p)


def test_a_question_problem_names_its_question(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "dimensions/ALP.yml", lambda d: _q(d)["crosswalk"].update(nist_ai_rmf=["GOVERN 9.9"]))
    [p] = _problems_of(folder)
    assert (p.question, p.part) == ("ALP-ONE-01", "ALP-ONE-01")
    assert p.text("en").startswith(f"[dimensions/ALP.yml, ALP-ONE-01, at {Q}.crosswalk.nist_ai_rmf[0], line ")
    assert p.text("zh").startswith(f"[dimensions/ALP.yml，ALP-ONE-01，位置 {Q}.crosswalk.nist_ai_rmf[0]，第 ")
    assert p.text("zh").endswith("切勿自行编造。")


def test_a_relation_crosswalk_is_located_by_its_id(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "dimensions/ALP.yml", lambda d: _q(d)["crosswalk"].update(tc260={"5.4": "equal", "9.9": "subset"}))
    [p] = _problems_of(folder)
    assert (p.code, p.path) == ("unknown_crosswalk_id", f"{Q}.crosswalk.tc260['9.9']")
    assert "9.9" in _line_of(folder, "dimensions/ALP.yml", p.line or 0)


def test_an_unknown_relationship_is_one_problem_at_its_item(tmp_path: Path) -> None:
    """CISO Assistant's not_related, a typo or no value: one problem at the item's key (not a second one from the
    list form of the union saying the mapping is "not a list"), quoting the value, with the four types as the fix."""
    bads: tuple[str | None, ...] = ("not_related", "intersects", None)
    for bad in bads:
        folder = _copy(tmp_path / str(bad))

        def relate(d: dict, bad: str | None = bad) -> None:
            _q(d)["crosswalk"].update(iso42001={"A.2.2": "equal", "A.3.2": bad})

        _edit(folder, "dimensions/ALP.yml", relate)
        [p] = _problems_of(folder)
        assert (p.code, p.path) == ("crosswalk_relation_unknown", f"{Q}.crosswalk.iso42001['A.3.2']"), p
        assert f"'{bad}' is not a relationship type (for 'A.3.2')" in p.text("en")
        assert "equal, superset, subset or intersect" in p.text("en") and "left out of the crosswalk" in p.text("en")
        _said_in_both_languages(p)


def test_no_folder_unshipped_questionnaire_or_version(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError) as info:
        load_questionnaire(tmp_path / "nowhere")
    assert [p.code for p in info.value.problems] == ["no_such_folder"]
    with pytest.raises(QuestionnaireError) as info:
        get_questionnaire("nope")
    assert [p.code for p in info.value.problems] == ["unshipped_questionnaire"]
    with pytest.raises(QuestionnaireError) as info:
        get_questionnaire(version="9.9.9")
    assert [p.code for p in info.value.problems] == ["unshipped_version"]
    for p in info.value.problems:
        _said_in_both_languages(p)

    # A folder whose meta.yml declares another version than the folder's name.
    shutil.copytree(MINI, tmp_path / "shipped" / "mini-test" / "0.2.0", ignore=shutil.ignore_patterns("golden"))
    monkeypatch.setattr(loader_module, "ROOT", tmp_path / "shipped")
    with pytest.raises(QuestionnaireError) as info:
        loader_module.get_questionnaire.__wrapped__("mini-test", "0.2.0")
    [p] = info.value.problems
    assert (p.code, p.file, p.path) == ("folder_version_mismatch", "mini-test/0.2.0/meta.yml", "version")
    _said_in_both_languages(p)


def test_unreadable_yaml(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    (folder / "targets.yml").write_text("[" * 20_000, encoding="utf-8")  # nests deeper than the parser can go
    [p] = _problems_of(folder)
    assert (p.code, p.file) == ("yaml_unreadable", "targets.yml")
    _said_in_both_languages(p)


class _Tiny(BaseModel):
    name: str = Field(max_length=3)


class _Raises(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def _boom(cls, v: str) -> str:
        raise TypeError("not a validation error")


def test_pydantic_errors_without_their_own_code_keep_their_path() -> None:
    """An error type with no catalogue code of its own is ``invalid_value`` at its path; a validator that fails
    instead of refusing is ``not_validated``; both still name the file."""
    [p] = shape_problems(_Tiny, Source("x.yml", {"name": "long"}))[1]
    assert (p.code, p.path, p.file) == ("invalid_value", "name", "x.yml")
    _said_in_both_languages(p)
    [p] = shape_problems(_Raises, Source("x.yml", {"name": "a"}))[1]
    assert (p.code, p.file) == ("not_validated", "x.yml")
    _said_in_both_languages(p)


def test_cli_validate_prints_located_messages_in_the_chosen_language(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    folder = _copy(tmp_path)
    _edit(folder, "dimensions/ALP.yml", lambda d: _q(d)["crosswalk"].update(nist_ai_rmf=["GOVERN 9.9"]))
    _edit(folder, "targets.yml", lambda d: d.update(default="nope"))
    [crosswalk, preset] = sorted(_problems_of(folder), key=lambda p: p.file)
    for lang in ("en", "zh"):
        assert aigov(["questionnaire", "validate", str(folder), "--lang", lang]) == 1
        err = capsys.readouterr().err
        assert "INVALID — 2 problem(s)" in err
        assert f"  - {crosswalk.text(lang)} [unknown_crosswalk_id]" in err
        assert f"  - {preset.text(lang)} [unknown_preset]" in err
    assert "位置 subdimensions[0].questions[0].crosswalk.nist_ai_rmf[0]" in err


# --- version mappings -------------------------------------------------------------------------------------------

def _mini_ids() -> list[str]:
    return [q.id for q in load_questionnaire(MINI).questions()]


def _why() -> dict[str, str]:
    return {"zh": "理由", "en": "reason"}


def _identity() -> dict[str, Any]:
    return {"from": "0.1.0", "to": "0.1.0", "steps": [{"kind": "same", "from": [i], "to": [i]} for i in _mini_ids()]}


def _replace_first(step: dict[str, Any]) -> Callable[[dict], None]:
    return lambda d: d["steps"].__setitem__(0, step)


def _append(step: dict[str, Any]) -> Callable[[dict], None]:
    return lambda d: d["steps"].append(step)


FIRST, LAST = _mini_ids()[0], len(_identity()["steps"])
MAPPING_CASES: list[tuple[str, Callable[[dict], None], str, str]] = [
    ("mapping_versions", lambda d: d.update({"from": "0.0.9"}), "from", "from: 0.0.9"),
    ("mapping_from_missing", _replace_first({"kind": "new", "to": [FIRST], "why": _why()}), "steps", "steps:"),
    ("mapping_to_missing", _replace_first({"kind": "removed", "from": [FIRST], "why": _why()}), "steps", "steps:"),
    ("mapping_from_twice", _append({"kind": "removed", "from": [FIRST], "why": _why()}),
     f"steps[{LAST}].from[0]", FIRST),
    ("mapping_to_twice", _append({"kind": "new", "to": [FIRST], "why": _why()}), f"steps[{LAST}].to[0]", FIRST),
    ("mapping_from_unknown", _append({"kind": "removed", "from": ["ALP-XXX-01"], "why": _why()}),
     f"steps[{LAST}].from[0]", "ALP-XXX-01"),
    ("mapping_to_unknown", _append({"kind": "new", "to": ["ALP-XXX-01"], "why": _why()}),
     f"steps[{LAST}].to[0]", "ALP-XXX-01"),
    ("mapping_arity", _replace_first({"kind": "split", "from": [FIRST], "to": [FIRST], "why": _why()}),
     "steps[0].kind", "kind: split"),
    ("mapping_why_missing", _replace_first({"kind": "reworded", "from": [FIRST], "to": [FIRST]}), "steps[0]",
     "kind: reworded"),
    ("not_a_choice", lambda d: d["steps"][0].update(kind="moved"), "steps[0].kind", "kind: moved"),
    ("too_few_entries", lambda d: d.update(steps=[]), "steps", "steps: []"),
    ("field_unknown", lambda d: d["steps"][0].update(note="x"), "steps[0].note", "note: x"),
]


@pytest.mark.parametrize(("code", "change", "path", "on_line"), MAPPING_CASES, ids=[c[0] for c in MAPPING_CASES])
def test_a_broken_mapping_gets_its_own_code_at_its_place(tmp_path: Path, code: str, change: Callable[[dict], None],
                                                         path: str, on_line: str) -> None:
    mini = load_questionnaire(MINI)
    doc = _identity()
    validate_mapping(doc, mini, mini)  # the unbroken mapping is valid
    change(doc)
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    with pytest.raises(MigrationError) as info:
        validate_mapping(read_yaml("migrations/0.1.0-0.1.0.yml", text), mini, mini)
    problems = info.value.problems
    assert {p.code for p in problems} == {code}, [p.text("en") for p in problems]
    p = problems[0]
    assert (p.file, p.path) == ("migrations/0.1.0-0.1.0.yml", path)
    assert p.line is not None and on_line in text.splitlines()[p.line - 1], (p, text.splitlines()[p.line - 1])
    _said_in_both_languages(p)


def test_a_same_step_that_renames_is_refused() -> None:
    mini = load_questionnaire(MINI)
    doc = _identity()
    first, second = _mini_ids()[:2]
    doc["steps"][0]["to"], doc["steps"][1]["to"] = [second], [first]
    with pytest.raises(MigrationError) as info:
        validate_mapping(doc, mini, mini, "m.yml")
    assert [(p.code, p.path) for p in info.value.problems] == [("mapping_same_renames", "steps[0].to"),
                                                               ("mapping_same_renames", "steps[1].to")]
    _said_in_both_languages(info.value.problems[0])


def test_a_mapping_that_is_not_shipped(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(MigrationError) as info:
        get_migration("caict-aigov", "0.0.1", "1.1.0")
    [p] = info.value.problems
    assert p.code == "mapping_not_shipped" and p.file == "caict-aigov/migrations/0.0.1-1.1.0.yml"
    _said_in_both_languages(p)
    assert aigov(["questionnaire", "diff", "0.0.1", "1.1.0", "--lang", "zh"]) == 2
    assert "没有内置从 caict-aigov 0.0.1 到 1.1.0 的映射" in capsys.readouterr().err


# --- the crosswalk reference list (questionnaires/frameworks.yml) -----------------------------------------------

def _reference(change: Callable[[dict], object]) -> tuple[str, list[Problem]]:
    data = yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))
    change(data)
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    found = check_reference(read_yaml("questionnaires/frameworks.yml", text))
    assert found[0] is None
    return text, found[1]


def test_the_shipped_reference_list_is_valid() -> None:
    shipped, problems = check_reference(read_yaml("frameworks.yml", REFERENCE.read_text(encoding="utf-8")))
    assert problems == [] and shipped is not None and set(shipped) == {"nist_ai_rmf", "iso42001", "tc260", "eu_ai_act"}


@pytest.mark.parametrize(("code", "change", "path", "on_line"), [
    ("framework_item_twice", lambda d: d["iso42001"]["items"].append(dict(d["iso42001"]["items"][0])),
     "iso42001.items[{n}].id", "id:"),  # n: the copy's place, after the shipped items
    ("framework_no_items", lambda d: d["tc260"].update(items=[]), "tc260", "tc260:"),
    ("field_missing", lambda d: d["eu_ai_act"].pop("name"), "eu_ai_act.name", "eu_ai_act:"),
    ("not_a_whole_number", lambda d: d["eu_ai_act"]["articles"][9].update(paragraphs="ten"),
     "eu_ai_act.articles.9.paragraphs", "paragraphs: ten"),
    ("field_unknown", lambda d: d["nist_ai_rmf"]["items"][0].update(titel="x"), "nist_ai_rmf.items[0].titel", "titel"),
], ids=["framework_item_twice", "framework_no_items", "field_missing", "not_a_whole_number", "field_unknown"])
def test_a_broken_reference_list_gets_its_own_code_at_its_place(code: str, change: Callable[[dict], object], path: str,
                                                                on_line: str) -> None:
    text, problems = _reference(change)
    assert {p.code for p in problems} == {code}, [p.text("en") for p in problems]
    p = problems[0]
    shipped_items = len(yaml.safe_load(REFERENCE.read_text(encoding="utf-8"))["iso42001"]["items"])
    assert (p.file, p.path) == ("questionnaires/frameworks.yml", path.format(n=shipped_items))
    assert p.line is not None and on_line in text.splitlines()[p.line - 1]
    _said_in_both_languages(p)
