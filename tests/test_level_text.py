"""A unit's level in words: 0.93 must not read as "nothing done" (level 0, 未开展) to a manager."""

from __future__ import annotations

from questionnaires import get_questionnaire
from scoring.display import level_text


def _names(lang: str) -> dict[int, str]:
    q = get_questionnaire()
    return {s.level: q.t(s.name, lang) for s in q.meta.scale}


def test_a_score_between_levels_says_how_far_it_got() -> None:
    zh, en = _names("zh"), _names("en")
    assert level_text(0.93, 0, zh, "zh", "未评分") == f"部分达到 1 {zh[1]}"
    assert zh[0] not in level_text(0.93, 0, zh, "zh", "未评分")  # never "未开展" for answers at 1–2
    assert level_text(2.4, 2, zh, "zh", "未评分") == f"2 {zh[2]}，部分达到 3 {zh[3]}"
    assert level_text(2.4, 2, en, "en", "Not scored") == f"2 {en[2]}, part of the way to 3 {en[3]}"


def test_a_whole_score_is_its_level_and_none_is_not_scored() -> None:
    zh = _names("zh")
    assert level_text(3.0, 3, zh, "zh", "未评分") == f"3 {zh[3]}"
    assert level_text(0.0, 0, zh, "zh", "未评分") == f"0 {zh[0]}"
    assert level_text(5.0, 5, zh, "zh", "未评分") == f"5 {zh[5]}"
    assert level_text(None, None, zh, "zh", "未评分") == "未评分"
