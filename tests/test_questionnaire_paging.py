"""Pages of the questionnaire: whole sub-dimensions of one dimension, a sensible amount each."""

from __future__ import annotations

from itertools import pairwise

import pytest

from app_pages.paging import MAX_PER_PAGE, next_unanswered, page_of, question_pages
from questionnaires import get_questionnaire


def _shown(form: str) -> set[str]:
    return {x.id for x in get_questionnaire().questions() if form == "full" or x.core}


@pytest.mark.parametrize("form", ["core", "full"])
def test_every_shown_question_once_in_questionnaire_order_on_pages_of_one_dimension(form: str) -> None:
    q = get_questionnaire()
    pages = question_pages(q, _shown(form))
    assert [x for p in pages for x in p.question_ids] == [x.id for x in q.questions() if x.id in _shown(form)]
    for p in pages:
        assert {q.dimension_of(x)[0].id for x in p.question_ids} == {p.dimension.id}
        assert len(p.question_ids) <= MAX_PER_PAGE or len(p.sections) == 1


def test_the_short_form_is_a_handful_of_pages_not_one_per_sub_dimension() -> None:
    q = get_questionnaire()
    pages = question_pages(q, _shown("core"))
    subs_with_core = sum(any(x.core for x in s.questions) for d in q.dimensions for s in d.subdimensions)
    assert len(pages) <= len(q.dimensions) < subs_with_core  # 24 questions: one page per dimension
    assert min(len(p.question_ids) for p in pages) >= 3
    full = question_pages(q, _shown("full"))
    # fewest pages under the cap: no two neighbouring pages of one dimension would fit on one page
    for a, b in pairwise(full):
        if a.dimension.id == b.dimension.id:
            assert len(a.question_ids) + len(b.question_ids) > MAX_PER_PAGE


def test_a_sub_dimension_link_opens_the_page_holding_it_and_next_unanswered_wraps() -> None:
    q = get_questionnaire()
    pages = question_pages(q, _shown("full"))
    for p in pages:
        for s in p.sub_ids:
            assert page_of(pages, s) == p.id
    assert page_of(pages, "NOPE") is None
    every = {x for p in pages for x in p.question_ids}
    first_of_2 = pages[1].question_ids[0]
    assert next_unanswered(pages, pages[1].id, every - {first_of_2}) == (pages[1].id, first_of_2)
    last = pages[0].question_ids[-1]
    assert next_unanswered(pages, pages[-1].id, every - {last}) == (pages[0].id, last)
    assert next_unanswered(pages, pages[0].id, every) is None
