"""How the questionnaire is cut into pages: whole sub-dimensions of one dimension, about a screenful each.

Pure (no streamlit): the questionnaire page and its tests share it. One sub-dimension per page made
the 24-question short form 15 pages of one or two questions; a whole dimension per page makes the
full form pages of 15–17 questions. A page therefore holds consecutive sub-dimensions of one
dimension with at most ``MAX_PER_PAGE`` shown questions (a larger sub-dimension stays whole on its
own page): the fewest pages under that cap, and among those the most even split.

A page is named by its first sub-dimension's id, so links to any sub-dimension (``?sub=``) keep
working: they open the page that holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise

from questionnaires import Questionnaire
from questionnaires.schema import Dimension, SubDimension

MAX_PER_PAGE = 8


@dataclass(frozen=True)
class Section:
    """One sub-dimension on a page: its shown questions and how many of its questions are hidden."""

    sub: SubDimension
    question_ids: tuple[str, ...]
    hidden: int


@dataclass(frozen=True)
class QuestionPage:
    dimension: Dimension
    sections: tuple[Section, ...]

    @property
    def id(self) -> str:
        return self.sections[0].sub.id

    @property
    def question_ids(self) -> tuple[str, ...]:
        return tuple(qid for s in self.sections for qid in s.question_ids)

    @property
    def sub_ids(self) -> tuple[str, ...]:
        return tuple(s.sub.id for s in self.sections)


def _split(sizes: Sequence[int], cap: int) -> list[tuple[int, int]]:
    """Contiguous (start, end) groups: fewest groups within ``cap`` (a single oversized item may stand
    alone), then the smallest largest group. Dimensions have a handful of sub-dimensions, so every
    split is tried."""
    n = len(sizes)
    best: tuple[int, int, list[tuple[int, int]]] | None = None
    for k in range(n):
        for cuts in combinations(range(1, n), k):
            bounds = [0, *cuts, n]
            groups = list(pairwise(bounds))
            totals = [sum(sizes[a:b]) for a, b in groups]
            if any(t > cap and b - a > 1 for t, (a, b) in zip(totals, groups, strict=True)):
                continue
            key = (len(groups), max(totals), groups)
            if best is None or key[:2] < best[:2]:
                best = key
        if best is not None:
            return best[2]
    return [(i, i + 1) for i in range(n)]


def question_pages(q: Questionnaire, shown: set[str], cap: int = MAX_PER_PAGE) -> list[QuestionPage]:
    """The pages of an assessment whose shown (applicable, in-form) questions are ``shown``."""
    pages: list[QuestionPage] = []
    for d in q.dimensions:
        sections = []
        for s in d.subdimensions:
            ids = tuple(x.id for x in s.questions if x.id in shown)
            if ids:
                sections.append(Section(s, ids, len(s.questions) - len(ids)))
        for a, b in _split([len(s.question_ids) for s in sections], cap):
            pages.append(QuestionPage(d, tuple(sections[a:b])))
    return pages


def page_of(pages: Sequence[QuestionPage], sub_or_page_id: str) -> str | None:
    """The id of the page that holds a sub-dimension (or is named so), or None."""
    for p in pages:
        if sub_or_page_id in p.sub_ids:
            return p.id
    return None


def next_unanswered(pages: Sequence[QuestionPage], current: str, answered: set[str]) -> tuple[str, str] | None:
    """(page id, question id) of the first unanswered question after the current page's start, wrapping
    around to the beginning; None when every shown question is answered."""
    order = [(p.id, qid) for p in pages for qid in p.question_ids]
    start = next((i for i, (pid, _) in enumerate(order) if pid == current), 0)
    for pid, qid in order[start:] + order[:start]:
        if qid not in answered:
            return pid, qid
    return None
