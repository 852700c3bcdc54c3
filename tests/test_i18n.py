"""UI catalogs: both languages complete, placeholders consistent, every key used in code defined."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from i18n import LANGUAGES, LOCALES, CatalogError, _flatten, catalog, normalise_language, t

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"\{(\w+)\}")
KEY_IN_CODE = re.compile(r"""\btr\(\s*["']([a-z0-9_]+(?:\.[a-z0-9_]+)+)["']""")


def test_languages_have_the_same_keys() -> None:
    zh, en = catalog("zh"), catalog("en")
    assert sorted(set(zh) - set(en)) == [], "keys missing in English"
    assert sorted(set(en) - set(zh)) == [], "keys missing in Chinese"


def test_catalog_files_mirror_each_other() -> None:
    names = {lang: sorted(p.name for p in (LOCALES / lang).glob("*.yml")) for lang in LANGUAGES}
    assert names["zh"] == names["en"]


@pytest.mark.parametrize("key", sorted(catalog("zh")))
def test_placeholders_match(key: str) -> None:
    assert set(PLACEHOLDER.findall(catalog("zh")[key])) == set(PLACEHOLDER.findall(catalog("en")[key])), key


def test_no_empty_messages() -> None:
    for lang in LANGUAGES:
        assert [k for k, v in catalog(lang).items() if not v.strip()] == [], lang


def test_every_literal_key_used_in_pages_exists() -> None:
    used: set[str] = set()
    for file in [ROOT / "app.py", *sorted((ROOT / "app_pages").glob("*.py"))]:
        used |= set(KEY_IN_CODE.findall(file.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in catalog("zh"))
    assert missing == [], f"keys used in pages but not defined: {missing}"


def test_chinese_is_the_default_and_english_complete() -> None:
    assert t("nav.home") == "概览"
    assert t("nav.home", "en") == "Overview"
    assert t("auth.locked", "en", seconds=30) == "Too many attempts; try again in 30 seconds."
    assert normalise_language("en-US") == "en" and normalise_language("fr") == "zh" and normalise_language(None) == "zh"


def test_duplicate_key_across_files_is_an_error() -> None:
    out: dict[str, str] = {}
    _flatten("", {"a": {"b": "x"}}, out, "one.yml")
    with pytest.raises(CatalogError, match="defined twice"):
        _flatten("", {"a": {"b": "y"}}, out, "two.yml")


SERVICE_PROBLEM = re.compile(r"""\bServiceProblem\(f?["']([a-z_{}]+)["']""")
PLAIN_PROBLEM = re.compile(r"""\bProblem\(f?["']([a-z_{}]+)["']""")
PROBLEM_ARGUMENT = re.compile(r"""\bproblem(?::\s*str\s*)?=\s*["']([a-z_]+)["']""")  # clean_name(..., problem="…")


def test_every_service_problem_has_a_message_in_every_language() -> None:
    from questionnaires.answer_rule import CODES

    codes: set[str] = set(CODES)  # the answer rule's catalogue of codes
    for file in sorted((ROOT / "services").glob("*.py")):
        text = file.read_text(encoding="utf-8")
        # ``Problem`` is services.errors.Problem where that module's is imported under its own name
        # (an Excel problem, excel.problems.Problem, has its own catalog: excel.problem.*).
        own = re.search(r"^from services\.errors import [^\n]*\bProblem\b(?! as)", text, re.M) is not None
        found = SERVICE_PROBLEM.findall(text) + PROBLEM_ARGUMENT.findall(text) + (
            PLAIN_PROBLEM.findall(text) if own else [])
        for code in found:
            # f"{name}_too_long" and the like: every field the code fills in
            codes |= {code.replace("{name}", n) for n in ("justification", "note")} if "{name}" in code else {code}
    assert {"password_short", "na_justification", "note_control", "name_length", "org_name"} <= codes
    for lang in LANGUAGES:
        missing = sorted(c for c in codes if f"problem.{c}" not in catalog(lang))
        assert missing == [], f"{lang}: problems without a message: {missing}"


def test_a_service_problem_is_english_on_the_command_line_and_translated_in_the_app() -> None:
    from services.errors import problem_text
    from services.passwords import password_problems

    [short] = password_problems("abc123", "someone")
    assert short == "password: use at least 12 characters"  # its own text: the CLI and logs
    assert problem_text(short, "zh") == "密码：至少 12 个字符"
    assert problem_text("a plain message", "zh") == "a plain message"
