"""The questionnaire data: the shipped one validates, broken copies fail with located messages,
and the loader never raises anything but its own validation error."""

from __future__ import annotations

import contextlib
import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.main import main as aigov
from problems import Problem
from questionnaires import QuestionnaireError, get_questionnaire, parse_documents
from questionnaires.loader import ROOT, read_folder

SHIPPED = ROOT / "caict-aigov" / "1.1.0"
MINI = Path(__file__).parent / "fixtures" / "mini"


def _texts(folder: Path = SHIPPED) -> dict[str, str]:
    return read_folder(folder)


def _problems(texts: dict[str, str]) -> list[Problem]:
    with pytest.raises(QuestionnaireError) as info:
        parse_documents(texts)
    return info.value.problems


def _edit(texts: dict[str, str], name: str, fn: Any) -> dict[str, str]:
    data = yaml.safe_load(texts[name])
    fn(data)
    return {**texts, name: yaml.safe_dump(data, allow_unicode=True, sort_keys=False)}


def _first_question(data: dict) -> dict:
    return data["subdimensions"][0]["questions"][0]


# --- the shipped questionnaire ------------------------------------------------------------------------

def test_shipped_questionnaire_validates() -> None:
    q = get_questionnaire()
    assert q.id == "caict-aigov"
    assert re.fullmatch(r"\d+\.\d+\.\d+", q.version)
    assert q.languages == ["zh", "en"]


def test_content_counts_follow_the_framework() -> None:
    q = get_questionnaire()
    assert [d.id for d in q.dimensions] == ["GOV", "IDE", "ASM", "RES"]
    for d in q.dimensions:
        assert 3 <= len(d.subdimensions) <= 5, d.id
        for s in d.subdimensions:
            assert len(s.questions) >= 3, s.id
            assert any(x.core for x in s.questions), f"{s.id} has no core question"
    questions = q.questions()
    assert len(questions) >= 60
    assert sum(x.critical for x in questions) / len(questions) <= 0.20
    assert all(x.weight > 0 for x in questions)
    # The CAICT system-governance elements are sub-dimensions of the governance dimension.
    gov_names = {s.name["zh"] for s in q.dimensions[0].subdimensions}
    assert {"制度完善", "文化建设", "外部协作"} <= gov_names


def test_every_principle_stage_and_role_is_covered() -> None:
    q = get_questionnaire()
    questions = q.questions()
    assert {p for x in questions for p in x.principles} == set(q.meta.principles)
    assert {s for x in questions for s in x.stages} == set(q.meta.stages)
    rule_fields = {f for x in questions if x.applies_if for f in x.applies_if.fields()}
    assert {"ai_roles", "genai_public", "high_impact"} <= rule_fields


@pytest.mark.parametrize("version", ["1.0.0", "1.1.0"])
def test_crosswalk_ids_belong_to_the_reference_list(version: str) -> None:
    """Every cited id is in questionnaires/frameworks.yml, read here without the loader: an EU paragraph must be one
    its article really has (the article's paragraph count), not just match a pattern."""
    ref = yaml.safe_load((ROOT / "frameworks.yml").read_text(encoding="utf-8"))
    for scheme in ("nist_ai_rmf", "iso42001", "tc260", "eu_ai_act"):
        assert ref[scheme]["source"]["document"] and ref[scheme]["source"]["url"], scheme
    known = {s: {str(i["id"]) for i in ref[s]["items"]} | {str(g) for g in ref[s].get("groups", [])}
             for s in ("nist_ai_rmf", "iso42001", "tc260")}
    assert len([i for i in ref["nist_ai_rmf"]["items"]]) == 72 and len(ref["iso42001"]["items"]) == 38
    articles = ref["eu_ai_act"]["articles"]
    assert sorted(articles) == list(range(1, 114))
    mapped = 0
    for x in get_questionnaire(version=version).questions():
        for scheme in ("nist_ai_rmf", "iso42001", "tc260"):
            for ref_id, _ in x.crosswalk.refs(scheme):
                assert ref_id in known[scheme], (x.id, ref_id)
                mapped += 1
        for ref_id, _ in x.crosswalk.refs("eu_ai_act"):
            m = re.fullmatch(r"Art\. (\d+)(?:\((\d+)\))?", ref_id)
            assert m and int(m.group(1)) in articles, (x.id, ref_id)
            if m.group(2):
                assert 1 <= int(m.group(2)) <= (articles[int(m.group(1))]["paragraphs"] or 1) > 1, (x.id, ref_id)
        assert x.crosswalk.nist_ai_rmf, f"{x.id} has no NIST AI RMF mapping"
    assert mapped > 100


def test_eu_paragraph_that_does_not_exist_is_refused() -> None:
    """Art. 9 has ten paragraphs and Art. 4 none: Art. 9(11) and Art. 4(1) are refused although they match the pattern."""
    for bad in ("Art. 9(11)", "Art. 4(1)", "Art. 114"):
        problems = _problems(_edit(_texts(), "dimensions/GOV.yml",
                                   lambda d, bad=bad: _first_question(d)["crosswalk"].update(eu_ai_act={bad: "subset"})))
        assert any(p.code == "unknown_crosswalk_id" and bad in p and "crosswalk.eu_ai_act" in p.path
                   for p in problems), bad



# Quantity and frequency qualifiers: a level descriptor must not differ from its neighbour only by these.
# Chinese has no word boundaries, so longer words come first (大部分 before 部分); English words are matched
# whole, so "all" is not cut out of "small".
QUALIFIERS = {
    "zh": re.compile(r"大部分|部分|全部|所有|大多数|多数|少数|个别|一些|某些|若干|偶尔|有时|经常|通常|总是|始终|完全"),
    "en": re.compile(r"\b(?:partly|partially|mostly|largely|fully|entirely|completely|all|some|most|many|few|several|"
                     r"every|each|often|usually|sometimes|occasionally|always|rarely|generally|mainly)\b", re.I),
}
# Neighbouring descriptors, qualifiers removed, must be less similar than this difflib ratio (Chinese compared
# character by character, English word by word). Two descriptors that differ only by qualifiers score 1.0; the
# shipped questionnaire's most similar neighbours score about 0.43 (zh) and 0.36 (en), so 0.70 leaves a wide margin.
# docs/questionnaire.md ("The maturity scale") documents this rule.
MAX_NEIGHBOUR_SIMILARITY = 0.70


def _descriptor_similarity(a: str, b: str, lang: str) -> float:
    def tokens(text: str) -> list[str]:
        text = QUALIFIERS[lang].sub(" ", text)
        return list(re.sub(r"\s+", "", text)) if lang == "zh" else re.findall(r"\w+", text.lower())

    return difflib.SequenceMatcher(None, tokens(a), tokens(b), autojunk=False).ratio()


def test_descriptor_similarity_catches_qualifier_only_differences() -> None:
    pairs = [("部分AI系统有书面程序和责任人。", "全部AI系统有书面程序和责任人。", "zh"),
             ("多数项目偶尔留有评审记录。", "少数项目经常留有评审记录。", "zh"),
             ("Some AI systems have a written procedure and an owner.",
              "All AI systems have a written procedure and an owner.", "en"),
             ("Reviews are partly documented and usually minuted.", "Reviews are fully documented and always minuted.",
              "en")]
    for a, b, lang in pairs:
        assert _descriptor_similarity(a, b, lang) >= MAX_NEIGHBOUR_SIMILARITY, (a, b)
    # Whole words only: "all" is not cut out of "small".
    assert QUALIFIERS["en"].sub("", "small firms") == "small firms"


def test_level_descriptors_differ_by_more_than_qualifiers() -> None:
    for x in get_questionnaire().questions():
        for lang in ("zh", "en"):
            texts = [x.levels[i][lang] for i in range(1, 6)]
            assert all(len(t) >= 15 for t in texts), f"{x.id} ({lang}) has a thin descriptor"
            for i in range(4):
                ratio = _descriptor_similarity(texts[i], texts[i + 1], lang)
                assert ratio < MAX_NEIGHBOUR_SIMILARITY, (
                    f"{x.id} ({lang}): levels {i + 1} and {i + 2} are {ratio:.2f} similar once qualifiers are removed; "
                    "make each level add a new kind of evidence")


# Questions that ask for two or more practices an organisation can do one without the other, and the level whose
# text states how partial fulfilment is rated ("with only one of them, the rating is at most level N"). The list and
# the rule chosen for each are in docs/questionnaire.md ("Questions that name more than one practice").
PARTIAL_RULES = {
    "GOV-INS-02": 3, "GOV-CUL-03": 2, "GOV-CUL-04": 3, "GOV-CHN-02": 3, "GOV-CHN-03": 3, "GOV-CHN-04": 3,
    "IDE-TEC-05": 2, "IDE-APP-05": 2, "IDE-DYN-03": 2, "IDE-DYN-04": 2, "IDE-DYN-05": 3,
    "ASM-ANA-03": 2, "ASM-ANA-04": 2,
    "RES-TEC-01": 3, "RES-TEC-02": 3, "RES-TEC-04": 1, "RES-INC-02": 2, "RES-INC-03": 2, "RES-DIS-01": 2,
    "RES-DIS-02": 2, "RES-DIS-03": 3,
}
CAP = {"en": re.compile(r"at most level (\d)"), "zh": re.compile(r"最高评(\d)级")}


def test_questions_naming_several_practices_say_how_partial_fulfilment_is_rated() -> None:
    """An assessor rating an organisation that does only one of the parts finds the answer in the level texts, the
    same cap in both languages, never above the level that states it; no other question carries such a rule."""
    questions = {x.id: x for x in get_questionnaire().questions()}
    docs = (Path(__file__).resolve().parent.parent / "docs" / "questionnaire.md").read_text(encoding="utf-8")
    for qid, level in PARTIAL_RULES.items():
        texts = questions[qid].levels[level]
        caps = {lang: sorted(int(n) for n in CAP[lang].findall(texts[lang])) for lang in ("en", "zh")}
        assert caps["en"] and caps["en"] == caps["zh"], (qid, caps)
        assert max(caps["en"]) <= level, (qid, caps)
        assert f"| {qid} |" in docs, f"{qid} is not listed in docs/questionnaire.md"
    stated = {(x.id, n) for x in questions.values() for n, t in x.levels.items() if CAP["en"].search(t["en"])}
    assert stated == set(PARTIAL_RULES.items())


# Level 4 is measured process and level 5 yearly improvement from that data; neither may require tooling an SME
# would have to buy or reporting to a board (docs/questionnaire.md, "Level 4 and 5 without bought tooling"). Such
# tools may appear only as an example ("... is an example, not a requirement"), a dashboard only beside a report.
EXAMPLE = re.compile(r"[（(][^（）()]*(?:example|示例)[^（）()]*[)）]")
BOUGHT = {"en": re.compile(r"\b(?:automatic(?:ally)?|board)\b", re.I), "zh": re.compile(r"自动|董事会")}
DASHBOARD = {"en": re.compile(r"dashboard", re.I), "zh": re.compile(r"看板|仪表盘")}
OR_REPORT = {"en": re.compile(r"dashboard or|or (?:a )?dashboard", re.I), "zh": re.compile(r"(?:看板|仪表盘)或|或(?:看板|仪表盘)")}


def test_level_four_and_the_next_steps_to_four_and_five_need_no_bought_tooling() -> None:
    for x in get_questionnaire().questions():
        for where, text in (("level 4", x.levels[4]), ("recommendation 3", x.recommendations[3]),
                            ("recommendation 4", x.recommendations[4])):
            for lang in ("zh", "en"):
                required = EXAMPLE.sub("", text[lang])
                assert not BOUGHT[lang].search(required), f"{x.id} {where} ({lang}) requires automation or the board"
                assert not DASHBOARD[lang].search(required) or OR_REPORT[lang].search(required), (
                    f"{x.id} {where} ({lang}) requires a dashboard; accept a regular report too")


def test_targets_and_default_rule() -> None:
    q = get_questionnaire()
    assert {p.id for p in q.targets.presets} >= {"baseline", "established", "leading"}
    base = q.default_profile()
    assert q.default_preset({**base, "ai_roles": ["user"], "size": "small"}) == "baseline"
    assert q.default_preset({**base, "ai_roles": ["tech_provider"], "high_impact": True}) == "leading"
    assert q.default_preset({**base, "ai_roles": ["app_provider"]}) == "established"
    # Established: any one of its conditions is enough (as its description says).
    user_sme = {**base, "ai_roles": ["user"], "genai_public": False, "high_impact": False, "size": "micro"}
    assert q.default_preset(user_sme) == "baseline"
    for change in ({"ai_roles": ["tech_provider"]}, {"ai_roles": ["user", "app_provider"]}, {"genai_public": True},
                   {"high_impact": True}, {"size": "medium"}, {"size": "large"}):
        assert q.default_preset({**user_sme, **change}) == "established", change
    for p in q.targets.presets:
        assert p.critical >= max(p.levels.values())


def test_applicability_follows_the_profile() -> None:
    q = get_questionnaire()
    base = q.default_profile()
    user_only = {x.id for x in q.questions() if q.applies(x, {**base, "ai_roles": ["user"]})}
    provider = {x.id for x in q.questions() if q.applies(x, {**base, "ai_roles": ["tech_provider"], "genai_public": True,
                                                             "high_impact": True})}
    assert user_only < provider | user_only
    training = [x for x in q.questions() if x.applies_if and x.applies_if.conditions.get("ai_roles") == ["tech_provider"]]
    assert training and all(x.id not in user_only for x in training)


# --- broken copies fail with a message naming the place ------------------------------------------------

def test_duplicate_question_id() -> None:
    def dup(d: dict) -> None:
        d["subdimensions"][0]["questions"][1]["id"] = _first_question(d)["id"]

    problems = _problems(_edit(_texts(), "dimensions/GOV.yml", dup))
    assert any(p.code == "duplicate_id" and p.file == "dimensions/GOV.yml" and p.values["id"] == "GOV-INS-05"
               and p.path == "subdimensions[0].questions[1].id" for p in problems)


def test_missing_translation() -> None:
    problems = _problems(_edit(_texts(), "dimensions/IDE.yml", lambda d: _first_question(d)["text"].pop("en")))
    assert any(p.code == "text_language_missing" and p.file == "dimensions/IDE.yml" and p.question == "IDE-TEC-01"
               and p.path == "subdimensions[0].questions[0].text" and p.values["missing"] == "en" for p in problems)


def test_four_level_descriptors() -> None:
    problems = _problems(_edit(_texts(), "dimensions/ASM.yml", lambda d: _first_question(d)["levels"].pop(5)))
    assert any(p.code == "levels_not_five" and p.question == "ASM-CTX-01" and p.path.endswith(".levels")
               and "1, 2, 3, 4 and 5" in p and "Fix: give exactly five level descriptors" in p for p in problems)
    assert not any(p.code == "invalid_value" for p in problems)


def test_four_recommendations() -> None:
    problems = _problems(_edit(_texts(), "dimensions/ASM.yml",
                               lambda d: _first_question(d)["recommendations"].pop(4)))
    assert any(p.code == "recommendations_not_five" and p.question == "ASM-CTX-01"
               and p.path.endswith(".recommendations") and "Fix: give exactly five recommendations" in p
               for p in problems)


def test_unknown_tag() -> None:
    problems = _problems(_edit(_texts(), "dimensions/RES.yml",
                               lambda d: _first_question(d)["principles"].append("fairness")))
    assert any(p.code == "unknown_tag" and p.question == "RES-PLN-01" and ".principles[" in p.path
               and "fairness" in p and "controllable" in p for p in problems)


def test_bad_weight() -> None:
    problems = _problems(_edit(_texts(), "dimensions/GOV.yml", lambda d: _first_question(d).update(weight=0)))
    assert any(p.code == "out_of_range" and p.question == "GOV-INS-05" and p.path.endswith(".weight")
               and "(> 0)" in p for p in problems)


def test_unknown_profile_field_in_applicability() -> None:
    problems = _problems(_edit(_texts(), "dimensions/GOV.yml",
                               lambda d: _first_question(d).update(applies_if={"employees": [50]})))
    assert any(p.code == "rule_unknown_field" and p.question == "GOV-INS-05" and p.path.endswith(".applies_if.employees")
               and "'employees' is not a profile field" in p for p in problems)


def test_unknown_crosswalk_id() -> None:
    problems = _problems(_edit(_texts(), "dimensions/GOV.yml",
                               lambda d: _first_question(d)["crosswalk"].update(nist_ai_rmf=["GOVERN 9.9"])))
    assert any(p.code == "unknown_crosswalk_id" and "GOVERN 9.9" in p and p.path.endswith("crosswalk.nist_ai_rmf[0]")
               and "never invent" in p for p in problems)


def test_malformed_yaml_names_the_line() -> None:
    texts = {**_texts(), "dimensions/GOV.yml": "id: GOV\nsubdimensions: [\n  - id: x\n"}
    problems = _problems(texts)
    assert any(p.startswith("[dimensions/GOV.yml, line") and "not valid YAML" in p for p in problems)
    # No second, misleading message about the same file's shape.
    assert [p.code for p in problems if p.file == "dimensions/GOV.yml"] == ["yaml_syntax"]


def test_a_file_without_a_mapping_gets_a_readable_fix() -> None:
    problems = _problems({**_texts(), "profile.yml": "- ai_roles\n"})
    assert any(p.startswith("[profile.yml, line 1]") and "top-level" in p and "fields:" in p for p in problems)
    assert not any("fields of see" in p for p in problems)


def test_duplicate_yaml_key_is_refused() -> None:
    texts = {**_texts(), "targets.yml": _texts()["targets.yml"] + "\ndefault: leading\n"}
    lines = texts["targets.yml"].splitlines()
    [p] = [p for p in _problems(texts) if p.file == "targets.yml"]
    assert (p.code, p.values["key"]) == ("yaml_duplicate_key", "default") and p.line == len(lines)
    assert "'default' appears twice" in p and "“default”出现了两次" in p.text("zh")


def test_target_out_of_range() -> None:
    problems = _problems(_edit(_texts(), "targets.yml", lambda d: d["presets"][0]["levels"].update(GOV=7)))
    assert any(p.code == "out_of_range" and p.file == "targets.yml" and p.part == "baseline"
               and p.path == "presets[0].levels.GOV" and p.line for p in problems)


def _duplicate_second_id(d: dict) -> None:
    d["subdimensions"][0]["questions"][1]["id"] = _first_question(d)["id"]


def test_every_problem_is_reported_at_once() -> None:
    # A shape error in one file does not stop the content checks of the others.
    texts = _edit(_texts(), "dimensions/GOV.yml", lambda d: _first_question(d).update(weight=0))
    texts = _edit(texts, "dimensions/IDE.yml", _duplicate_second_id)
    texts = _edit(texts, "dimensions/RES.yml", lambda d: _first_question(d).update(applies_if={"employees": [50]}))
    problems = _problems(texts)
    assert any(p.startswith("[dimensions/GOV.yml, GOV-INS-05, at subdimensions[0].questions[0].weight, line ")
               and p.code == "out_of_range" for p in problems)
    assert any(p.startswith("[dimensions/IDE.yml, IDE-TEC-01, at subdimensions[0].questions[1].id, line ")
               and p.code == "duplicate_id" for p in problems)
    assert any(p.startswith("[dimensions/RES.yml, RES-PLN-01, at subdimensions[0].questions[0].applies_if.employees")
               and p.code == "rule_unknown_field" for p in problems)
    assert len(problems) == 3, problems


def test_content_checks_run_when_meta_is_broken() -> None:
    # meta.yml fails its shape check: the dimension files are still checked, minus the checks needing meta.
    texts = {**_texts(), "meta.yml": _texts()["meta.yml"].replace("version: 1.1.0", "version: one")}
    texts = _edit(texts, "dimensions/IDE.yml", _duplicate_second_id)
    texts = _edit(texts, "targets.yml", lambda d: d["default_rules"][0]["when"].update(employees=[50]))
    problems = _problems(texts)
    assert any(p.startswith("[meta.yml, at version, line ") and p.code == "id_format" for p in problems)
    assert any(p.code == "duplicate_id" and p.file == "dimensions/IDE.yml" for p in problems)
    assert any(p.code == "rule_unknown_field" and p.file == "targets.yml" and p.path == "default_rules[0].when.employees"
               for p in problems)
    assert len(problems) == 3, problems


# --- the loader never raises anything but its own error ---------------------------------------------------

def _mutations() -> st.SearchStrategy:
    junk = st.one_of(st.none(), st.booleans(), st.integers(-3, 9), st.floats(allow_nan=True), st.text(max_size=5),
                     st.lists(st.integers(0, 3), max_size=3), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
    return st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(["replace", "delete", "duplicate"]), junk),
                    min_size=1, max_size=4)


def _nodes(obj: Any, path: tuple = ()) -> list[tuple]:
    out = [path]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _nodes(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _nodes(v, (*path, i))
    return out


def _apply(doc: Any, path: tuple, op: str, value: Any) -> Any:
    if not path:
        return value if op == "replace" else doc
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if op == "replace":
        parent[key] = value
    elif op == "delete":
        del parent[key]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(key, parent[key])
    return doc


MINI_TEXTS = read_folder(MINI)
MINI_DOCS = {name: yaml.safe_load(text) for name, text in MINI_TEXTS.items()}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(sorted(MINI_DOCS)), mutations=_mutations())
def test_mutated_documents_raise_only_validation_errors(name: str, mutations: list) -> None:
    doc = json.loads(json.dumps(MINI_DOCS[name], default=str))
    for pick, op, value in mutations:
        nodes = _nodes(doc)
        doc = _apply(doc, nodes[pick % len(nodes)], op, value)
    texts = {**MINI_TEXTS, name: yaml.safe_dump(doc, allow_unicode=True)}
    try:
        parse_documents(texts)
    except QuestionnaireError as exc:
        assert exc.problems and all(p.file and p.fix("en") and p.fix("zh") for p in exc.problems)


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(MINI_TEXTS)), cut=st.integers(0, 5000), junk=st.text(max_size=20))
def test_mangled_yaml_text_raises_only_validation_errors(name: str, cut: int, junk: str) -> None:
    text = MINI_TEXTS[name]
    cut %= max(len(text), 1)
    with contextlib.suppress(QuestionnaireError):  # the only exception allowed
        parse_documents({**MINI_TEXTS, name: text[:cut] + junk + text[cut + len(junk):]})


# --- CLI ----------------------------------------------------------------------------------------------------

def test_cli_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert aigov(["questionnaire", "validate"]) == 0
    assert "caict-aigov 1.1.0" in capsys.readouterr().out


def test_cli_validate_lists_every_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    texts = _edit(_texts(), "dimensions/GOV.yml", lambda d: _first_question(d)["text"].pop("en"))
    texts = _edit(texts, "dimensions/RES.yml", lambda d: _first_question(d)["stages"].append("retire"))
    for name, text in texts.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert aigov(["questionnaire", "validate", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "INVALID — 2 problem(s)" in err and "GOV-INS-05" in err and "retire" in err


def test_cli_show_json_is_the_documented_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert aigov(["questionnaire", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"id", "version", "languages", "scale", "principles", "stages", "profile_fields", "targets",
            "dimensions"} <= set(data)
    q = data["dimensions"][0]["subdimensions"][0]["questions"][0]
    assert {"id", "weight", "critical", "core", "principles", "stages", "applies_if", "text", "guidance",
            "evidence", "levels", "recommendations", "crosswalk"} <= set(q)
    assert list(q["levels"]) == ["1", "2", "3", "4", "5"] and list(q["recommendations"]) == ["0", "1", "2", "3", "4"]
    assert sum(len(s["questions"]) for d in data["dimensions"] for s in d["subdimensions"]) == len(
        get_questionnaire().questions())


def test_cli_show_unknown_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert aigov(["questionnaire", "show", "nope", "--lang", "en"]) == 2
    assert "no shipped questionnaire" in capsys.readouterr().err
    assert aigov(["questionnaire", "show", "nope"]) == 2  # the text summary's language, Chinese by default
    assert "没有 id 为“nope”的内置问卷" in capsys.readouterr().err


def test_a_unit_is_labelled_by_one_rule_code_and_name_in_text_name_alone_on_a_chart() -> None:
    """Tables, lists and cells read "GOV 治理能力"; chart axes the name; principles and stages never carry their key."""
    q = get_questionnaire()
    d = q.dimensions[0]
    s = d.subdimensions[0]
    principle, pname = next(iter(q.meta.principles.items()))
    stage, sname = next(iter(q.meta.stages.items()))
    for lang in ("zh", "en"):
        assert q.unit_label("dimension", d.id, lang) == f"{d.id} {d.name[lang]}"
        assert q.unit_label("subdimension", s.id, lang) == f"{s.id} {s.name[lang]}"
        assert q.unit_label("dimension", d.id, lang, with_code=False) == d.name[lang]
        assert q.unit_label("principle", principle, lang) == pname[lang]
        assert q.unit_label("stage", stage, lang) == sname[lang]
        labels = q.unit_labels(lang)
        assert len(labels) == len(q.unit_names(lang)) == (
            sum(1 + len(x.subdimensions) for x in q.dimensions) + len(q.meta.principles) + len(q.meta.stages))
    with pytest.raises(KeyError):
        q.unit_label("dimension", "NOPE", "zh")
