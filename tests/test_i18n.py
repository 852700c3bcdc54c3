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
