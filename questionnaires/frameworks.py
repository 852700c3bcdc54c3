"""The crosswalk reference list (questionnaires/frameworks.yml): which framework items exist, with their sources.

Every crosswalk id a question cites must be in this list; EU AI Act ids are checked against the real
article/paragraph list of Regulation (EU) 2024/1689, not a pattern. The framework-readiness view
(scoring/readiness.py) reports on each framework's ``items``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from problems import Problem, shown
from questionnaires.located import Source, Unreadable, read_yaml, shape_problems
from questionnaires.schema import QuestionnaireError

REFERENCE = Path(__file__).resolve().parent / "frameworks.yml"
SCHEMES = ("nist_ai_rmf", "iso42001", "tc260", "eu_ai_act")
# How a question relates to a framework item (as in CISO Assistant's mappings): the question asks for
# exactly the item (equal), for all of it and more (superset), for a part of it (subset), or the two overlap
# (intersect). The first two cover the item fully.
FULL_COVER = ("equal", "superset")
_EU_ID = re.compile(r"^Art\. (\d{1,3})(?:\((\d{1,2})\))?$")


@dataclass(frozen=True)
class Item:
    """One assessable item of a framework (a NIST subcategory, an ISO control, a TC260 section, an EU article)."""

    scheme: str
    id: str
    title: str
    title_en: str


@dataclass(frozen=True)
class Framework:
    scheme: str
    name: dict[str, str]
    source: dict[str, str]
    items: tuple[Item, ...]
    citable: frozenset[str]

    def item_of(self, ref: str) -> str | None:
        """The readiness item a cited id belongs to (an EU paragraph belongs to its article), or None."""
        if self.scheme == "eu_ai_act":
            m = _EU_ID.match(ref)
            ref = f"Art. {int(m.group(1))}" if m else ref
        return ref if any(i.id == ref for i in self.items) else None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _as_text(value: Any) -> Any:
    """YAML reads an unquoted 5.4 as a number; the section number is what was meant."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class _ItemDoc(_Strict):
    id: Annotated[str, BeforeValidator(_as_text)]
    title: str
    title_en: str | None = None


class _ArticleDoc(_Strict):
    title: str
    paragraphs: Annotated[int, Field(ge=1)] | None = None  # None: not verified one by one, cite the article only
    readiness: bool = False


class _SchemeDoc(_Strict):
    name: dict[str, str]
    source: dict[str, Annotated[str, BeforeValidator(_as_text)]]
    groups: list[Annotated[str, BeforeValidator(_as_text)]] = Field(default_factory=list)
    items: list[_ItemDoc] = Field(default_factory=list)
    articles: dict[int, _ArticleDoc] = Field(default_factory=dict)  # the EU AI Act: article number → article


class _ReferenceDoc(_Strict):
    nist_ai_rmf: _SchemeDoc
    iso42001: _SchemeDoc
    tc260: _SchemeDoc
    eu_ai_act: _SchemeDoc


def check_reference(source: Source) -> tuple[dict[str, Framework] | None, list[Problem]]:
    """The reference list in ``source`` as frameworks, or None and every problem, located in the file."""
    if not isinstance(source.data, dict):
        return None, [source.at("top_not_mapping", (), {"fields": ", ".join(f"{s}:" for s in SCHEMES)})]
    doc, found = shape_problems(_ReferenceDoc, source)
    if doc is None:
        return None, found
    out: dict[str, Framework] = {}
    for scheme in SCHEMES:
        spec: _SchemeDoc = getattr(doc, scheme)
        if scheme == "eu_ai_act":
            if not spec.articles:
                found.append(source.at("framework_no_items", (scheme,), {"scheme": scheme, "key": "articles"}))
            citable = {f"Art. {n}" for n in spec.articles}
            citable |= {f"Art. {n}({p})" for n, art in spec.articles.items() if (art.paragraphs or 1) > 1
                        for p in range(1, (art.paragraphs or 1) + 1)}
            items = [Item(scheme, f"Art. {n}", art.title, art.title) for n, art in spec.articles.items() if art.readiness]
        else:
            if not spec.items:
                found.append(source.at("framework_no_items", (scheme,), {"scheme": scheme, "key": "items"}))
            ids = [i.id for i in spec.items]
            found += [source.at("framework_item_twice", (scheme, "items", n, "id"), {"id": shown(i), "scheme": scheme})
                      for n, i in enumerate(ids) if i in ids[:n]]
            items = [Item(scheme, i.id, i.title, i.title_en or i.title) for i in spec.items]
            citable = set(ids) | set(spec.groups)
        out[scheme] = Framework(scheme, dict(spec.name), dict(spec.source), tuple(items), frozenset(citable))
    return (None, found) if found else (out, [])


@lru_cache(maxsize=1)
def frameworks() -> dict[str, Framework]:
    """The reference list, validated and parsed once (:class:`QuestionnaireError` listing every problem if broken)."""
    name = "questionnaires/frameworks.yml"
    try:
        source = read_yaml(name, REFERENCE.read_text(encoding="utf-8"))
    except Unreadable as exc:
        raise QuestionnaireError([exc.problem]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionnaireError([Problem("yaml_unreadable", {"error": type(exc).__name__}, file=name)]) from exc
    out, found = check_reference(source)
    if out is None:
        raise QuestionnaireError(found)
    return out


def known(scheme: str, ref: str) -> bool:
    """Whether ``ref`` is a citable id of ``scheme`` in the reference list."""
    fw = frameworks().get(scheme)
    return fw is not None and ref in fw.citable
