"""Framework readiness: what one assessment says about each external framework, derived from the crosswalk alone.

For every item of NIST AI RMF 1.0, ISO/IEC 42001 Annex A, TC260 1.0 and the EU AI Act (the items of
questionnaires/frameworks.yml) it tells which questions cite the item, whether they cover it fully (a question
``equal`` to or a ``superset`` of the item) or only partly (``subset``/``intersect``), and at what level:

- a fully covering question answers for the whole item, so the item's level is the highest level among the
  answered fully covering questions;
- partial questions each answer for a part, so without a fully covering answer the item's level is the lowest
  level among them (the item is only as far as its weakest part), and it is marked partial;
- only a fully covering answer at level 3 or more makes an item ``ready``: a level of 3 or more that comes from
  partial questions says that the cited parts are ready, not the item (``parts_ready``), since the crosswalk
  does not say that the parts add up to the whole.

Questions that do not apply (profile, short form) or are N/A are left out; items no question cites are listed as
not covered. Pure computation (no database, no UI): the results page, the Excel summary and reports format it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from questionnaires.frameworks import FULL_COVER, SCHEMES, frameworks
from questionnaires.schema import Questionnaire

READY_LEVEL = 3  # "Defined": an organisation-wide standard is in place for the practice
BANDS = ("ready", "parts_ready", "in_progress", "not_started", "unanswered", "not_applicable", "not_covered")
LISTED_BANDS = BANDS[:-1]  # the bands a summary lists beside the coverage counts (not covered is one of those)


@dataclass(frozen=True)
class Citation:
    question_id: str
    relation: str
    level: int | None   # None: unanswered, N/A or not applicable
    state: str          # "answered", "unanswered", "na", "not_applicable"


@dataclass(frozen=True)
class ItemReadiness:
    id: str
    title: str
    title_en: str
    coverage: str        # "full", "partial" or "none" (from the crosswalk alone)
    level: int | None    # the item's level derived from the answers (None when not assessed)
    band: str            # one of BANDS
    citations: tuple[Citation, ...]


@dataclass(frozen=True)
class ReadinessSummary:
    items: int
    covered_fully: int
    covered_partly: int
    not_covered: int
    counts: dict[str, int]           # band → number of items
    ready_share: float | None        # ready items / items with a level (None when no item has one); parts_ready
                                     # items have a level but are not ready


@dataclass(frozen=True)
class FrameworkReadiness:
    scheme: str
    name: dict[str, str]
    source: dict[str, str]
    items: tuple[ItemReadiness, ...]
    summary: ReadinessSummary


def _band(level: int, fully: bool) -> str:
    """The band of an item's level; ``fully``: the level comes from a fully covering answer."""
    if level >= READY_LEVEL:
        return "ready" if fully else "parts_ready"
    return "in_progress" if level >= 1 else "not_started"


def framework_readiness(q: Questionnaire, answers: Mapping[str, Any], applicable: Iterable[str]) -> tuple[
        FrameworkReadiness, ...]:
    """Readiness per framework. ``answers``: question id → object with ``level`` and ``na`` (e.g. AnswerInput);
    ``applicable``: the ids that apply to this assessment (profile and form), e.g. ``AssessmentResult.applicable``."""
    applies = set(applicable)
    out = []
    for scheme in SCHEMES:
        fw = frameworks()[scheme]
        cited: dict[str, list[tuple[str, str]]] = {}
        for x in q.questions():
            for ref, rel in x.crosswalk.refs(scheme):
                item = fw.item_of(ref)
                if item is not None:
                    # an EU paragraph covers only a part of its article
                    rel = rel if item == ref else ("subset" if rel in FULL_COVER else rel)
                    cited.setdefault(item, []).append((x.id, rel))
        items = []
        for it in fw.items:
            cites = []
            for qid, rel in cited.get(it.id, []):
                a = answers.get(qid)
                if qid not in applies:
                    cites.append(Citation(qid, rel, None, "not_applicable"))
                elif a is None or (not a.na and a.level is None):
                    cites.append(Citation(qid, rel, None, "unanswered"))
                elif a.na:
                    cites.append(Citation(qid, rel, None, "na"))
                else:
                    cites.append(Citation(qid, rel, int(a.level), "answered"))
            coverage = "none" if not cites else ("full" if any(c.relation in FULL_COVER for c in cites) else "partial")
            full = [c.level for c in cites if c.state == "answered" and c.relation in FULL_COVER]
            part = [c.level for c in cites if c.state == "answered" and c.relation not in FULL_COVER]
            level = max(full) if full else (min(part) if part else None)  # type: ignore[type-var]
            if not cites:
                band = "not_covered"
            elif level is not None:
                band = _band(level, bool(full))
            elif any(c.state == "unanswered" for c in cites):
                band = "unanswered"
            else:
                band = "not_applicable"
            items.append(ItemReadiness(it.id, it.title, it.title_en, coverage, level, band, tuple(cites)))
        counts = {b: sum(i.band == b for i in items) for b in BANDS}
        levelled = sum(counts[b] for b in ("ready", "parts_ready", "in_progress", "not_started"))
        summary = ReadinessSummary(len(items), sum(i.coverage == "full" for i in items),
                                   sum(i.coverage == "partial" for i in items), counts["not_covered"], counts,
                                   counts["ready"] / levelled if levelled else None)
        out.append(FrameworkReadiness(scheme, fw.name, fw.source, tuple(items), summary))
    return tuple(out)
