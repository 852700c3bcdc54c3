"""UI message catalogs: ``i18n/locales/<lang>/*.yml``, flat dotted keys, looked up with :func:`t`.

Each area of the app has its own catalog file (common.yml, results.yml, …) so that features do
not edit the same file; all files of a language are merged and must not repeat a key. Questionnaire
text is not here: it comes from the questionnaire data.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

LOCALES = Path(__file__).resolve().parent / "locales"
LANGUAGES: tuple[str, ...] = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}


class CatalogError(ValueError):
    """A catalog file is malformed or repeats a key."""


def _flatten(prefix: str, node: object, out: dict[str, str], origin: str) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out, origin)
    elif isinstance(node, str):
        if prefix in out:
            raise CatalogError(f"{origin}: key '{prefix}' is defined twice; keep one definition.")
        out[prefix] = node
    else:
        raise CatalogError(f"{origin}: key '{prefix}' must be a text, got {type(node).__name__}.")


@lru_cache(maxsize=len(LANGUAGES))
def catalog(lang: str) -> dict[str, str]:
    """All messages of one language, flattened to dotted keys."""
    out: dict[str, str] = {}
    for file in sorted((LOCALES / lang).glob("*.yml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        _flatten("", data, out, f"{lang}/{file.name}")
    return out


def normalise_language(lang: str | None) -> str:
    """A supported language code for ``lang`` ("en-US" → "en"), else the default."""
    if lang:
        base = lang.split("-")[0].split("_")[0].lower()
        if base in LANGUAGES:
            return base
    return DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """The message ``key`` in ``lang`` with ``{name}`` placeholders filled.

    Falls back to Chinese, then to the key itself, so a missing message is visible but never fatal;
    ``tests/test_i18n.py`` guarantees that every key exists in every language.
    """
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    return text.format(**values) if values else text
