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

import yaml

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


@lru_cache(maxsize=1)
def frameworks() -> dict[str, Framework]:
    """The reference list, parsed once."""
    with open(REFERENCE, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    out: dict[str, Framework] = {}
    for scheme in SCHEMES:
        spec = raw[scheme]
        if scheme == "eu_ai_act":
            citable: set[str] = set()
            items = []
            for number, art in spec["articles"].items():
                citable.add(f"Art. {number}")
                for p in range(1, (art.get("paragraphs") or 1) + 1) if (art.get("paragraphs") or 1) > 1 else ():
                    citable.add(f"Art. {number}({p})")
                if art.get("readiness"):
                    items.append(Item(scheme, f"Art. {number}", str(art["title"]), str(art["title"])))
        else:
            items = [Item(scheme, str(i["id"]), str(i["title"]), str(i.get("title_en", i["title"])))
                     for i in spec["items"]]
            citable = {i.id for i in items} | {str(g) for g in spec.get("groups", [])}
        out[scheme] = Framework(scheme, dict(spec["name"]), {k: str(v) for k, v in spec["source"].items()},
                                tuple(items), frozenset(citable))
    return out


def known(scheme: str, ref: str) -> bool:
    """Whether ``ref`` is a citable id of ``scheme`` in the reference list."""
    fw = frameworks().get(scheme)
    return fw is not None and ref in fw.citable
