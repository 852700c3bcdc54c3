"""UI message catalogs: ``i18n/locales/<lang>/*.yml``, flat dotted keys, looked up with :func:`t`.

Each area of the app has its own catalog file (common.yml, results.yml, …) so that features do
not edit the same file; all files of a language are merged and must not repeat a key. Questionnaire
text is not here: it comes from the questionnaire data.
"""

from __future__ import annotations

import re
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


# --- Markdown -------------------------------------------------------------------------------------
# Streamlit renders GitHub-flavoured Markdown (plus its own :color[...], :material/...: and $math$) in
# st.markdown, st.write, titles, captions, alerts, toasts and every widget label. A value typed by a user
# of another tenant (a round, association or organisation name, an assessment title, a file name, a
# note, a display name) must reach that Markdown as text: otherwise a round name such as
# "[verify](https://evil.example) ![](https://evil.example/p.png)" shows a live phishing link to every
# member and makes each of their browsers fetch the image.

_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")  # every ASCII punctuation character
_LINE_BREAK = re.compile(r"\s*(?:\r\n|\r|\n)\s*")
# GFM "autolink literals" (https://…, www.…, a@b.c, mailto:…) are found in the text after escapes are
# resolved (remark-gfm, which Streamlit uses, works that way), so a backslash does not stop them. An
# invisible WORD JOINER (U+2060) where the pattern needs two characters side by side does.
_AUTOLINK_JOINTS = re.compile(
    r"(?i)(?:(?<=http)|(?<=https)|(?<=ftp)|(?<=mailto)|(?<=xmpp))(?=:)|(?<=www)(?=\.)|(?<=@)")
WORD_JOINER = "\u2060"


class Trusted(str):
    """A value written by the code, not typed by a user, that :func:`markdown_message` inserts as it is:
    a message already formatted by :func:`markdown_message`, or Markdown the code composed on purpose.

    Wrap only values no user can influence; anything else is escaped, which is the safe default.
    """


def file_size(n: int) -> str:
    """A file's size in bytes as people read it (KB below one megabyte, else MB; the same in every language)."""
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{max(n / 1024, 0.1):.1f} KB"


def escape_markdown(text: str) -> str:
    """``text`` shown literally by any CommonMark/GFM renderer (Streamlit's included).

    The one escaping rule for user-supplied values in Markdown: every ASCII punctuation character gets
    a backslash (CommonMark allows that for all of them, and the backslash itself is not shown), so no
    link, image, emphasis, heading, list, quote, table, code, HTML tag or entity, Streamlit colour, icon
    or math can start inside it; an invisible word joiner (U+2060) goes after ``http``/``https``/``ftp``/
    ``mailto``/``xmpp`` before ``:``, after ``www`` before ``.`` and after ``@``, so no autolink either
    (those are found after escapes are resolved); line breaks become spaces, so the value cannot begin a
    block of its own. Chinese text and letters are unchanged, and what the reader sees is the value.

    Used by :func:`markdown_message` for every interpolated value; other outputs (action plans, reports)
    that build Markdown from user values call this same function.
    """
    text = _AUTOLINK_JOINTS.sub(WORD_JOINER, _LINE_BREAK.sub(" ", text))
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def markdown_message(key: str, lang: str = DEFAULT_LANGUAGE, /, **values: object) -> str:
    """The message ``key`` for a Markdown renderer: every str value escaped by :func:`escape_markdown`,
    except :class:`Trusted` ones. Numbers and dates are inserted as :func:`t` inserts them.

    Plain-text outputs (the command line, workbooks, CSV, option lists of select boxes, table cells,
    text that is stored) use :func:`t`, where an escape would show as a stray backslash.
    """
    safe = {k: escape_markdown(v) if isinstance(v, str) and not isinstance(v, Trusted) else v
            for k, v in values.items()}
    return t(key, lang, **safe)
