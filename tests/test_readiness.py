"""Framework readiness uses each crosswalk reference's relationship type (docs/questionnaire.md, "Framework readiness").

The golden values below were worked out by hand from the 1.1.0 crosswalk and the documented rule, not from the
code: an item is covered fully when a question is ``equal`` to it or a ``superset`` of it, partly when every citing
question is a ``subset`` or ``intersect`` (or cites only one paragraph of an EU article); its level is the highest
answered fully covering question, else the lowest answered partial one; only a fully covering answer at level 3 or
more makes the item ready (a partial level of 3 or more is "parts ready"). Questions that do not apply or are N/A are
left out.
"""

from __future__ import annotations

import pytest

from questionnaires import get_questionnaire
from scoring import AnswerInput
from scoring.readiness import FrameworkReadiness, ItemReadiness, framework_readiness

# The citing questions and their relationships, as read in questionnaires/caict-aigov/1.1.0/dimensions/*.yml:
#   ISO A.10.2 Allocating responsibilities  GOV-EXT-02 equal, GOV-CHN-01 equal, GOV-CHN-04 superset
#   ISO A.10.3 Suppliers                     GOV-EXT-01 subset, GOV-EXT-03 subset, GOV-CHN-03 intersect
#   NIST MEASURE 2.11 fairness and bias      IDE-TEC-02 intersect, IDE-APP-03 superset, RES-TEC-09 superset
#   EU Art. 86 right to explanation          RES-DIS-04 superset (the whole article)
#   EU Art. 50 transparency obligations      IDE-APP-04 intersect (article), RES-TEC-04 superset of 50(2) and
#                                            intersect with 50(4), RES-DIS-01 superset of 50(1)
#   NIST MEASURE 2.12 environmental impact   no question
ANSWERS = {
    "GOV-EXT-02": 1, "GOV-CHN-01": 2, "GOV-CHN-04": 4,
    "GOV-EXT-01": 3, "GOV-EXT-03": 4, "GOV-CHN-03": 0,
    "IDE-TEC-02": 1,                      # IDE-APP-03 is N/A, RES-TEC-09 unanswered (below)
    "RES-DIS-04": 3,
    "IDE-APP-04": 5, "RES-TEC-04": 2, "RES-DIS-01": 4,
}


def _views(applicable_except: set[str]) -> dict[str, dict[str, ItemReadiness]]:
    q = get_questionnaire(version="1.1.0")
    answers = {qid: AnswerInput(level=lv, na=False) for qid, lv in ANSWERS.items()}
    answers["IDE-APP-03"] = AnswerInput(level=None, na=True)
    applicable = [x.id for x in q.questions() if x.id not in applicable_except]
    views: tuple[FrameworkReadiness, ...] = framework_readiness(q, answers, applicable)
    return {fw.scheme: {i.id: i for i in fw.items} for fw in views}


@pytest.fixture(scope="module")
def views() -> dict[str, dict[str, ItemReadiness]]:
    # GOV-CHN-03 is for application providers and users: here the organisation is neither
    return _views({"GOV-CHN-03"})


def test_full_cover_takes_the_highest_fully_covering_answer(views: dict[str, dict[str, ItemReadiness]]) -> None:
    a102 = views["iso42001"]["A.10.2"]
    assert (a102.coverage, a102.level, a102.band) == ("full", 4, "ready")       # max(1, 2, 4)
    assert [(c.question_id, c.relation, c.level) for c in a102.citations] == [
        ("GOV-EXT-02", "equal", 1), ("GOV-CHN-01", "equal", 2), ("GOV-CHN-04", "superset", 4)]
    art86 = views["eu_ai_act"]["Art. 86"]
    assert (art86.coverage, art86.level, art86.band) == ("full", 3, "ready")


def test_partial_cover_takes_the_weakest_part_and_ignores_what_does_not_apply(
        views: dict[str, dict[str, ItemReadiness]]) -> None:
    a103 = views["iso42001"]["A.10.3"]
    # two subsets at 3 and 4; the intersecting GOV-CHN-03 does not apply, so its 0 is left out: min(3, 4); the
    # parts are ready, but nothing says they are the whole supplier process
    assert (a103.coverage, a103.level, a103.band) == ("partial", 3, "parts_ready")
    assert {c.question_id: c.state for c in a103.citations}["GOV-CHN-03"] == "not_applicable"
    # when it applies, the intersecting answer at 0 is the weakest part: min(3, 4, 0)
    again = _views(set())["iso42001"]["A.10.3"]
    assert (again.coverage, again.level, again.band) == ("partial", 0, "not_started")


def test_unanswered_full_cover_falls_back_to_the_partial_answers(views: dict[str, dict[str, ItemReadiness]]) -> None:
    m211 = views["nist_ai_rmf"]["MEASURE 2.11"]
    # both supersets give no level (N/A, unanswered): the item is covered fully by the crosswalk, but its level
    # comes from the one answered partial question, IDE-TEC-02 at 1
    assert (m211.coverage, m211.level, m211.band) == ("full", 1, "in_progress")
    assert {c.question_id: c.state for c in m211.citations} == {
        "IDE-TEC-02": "answered", "IDE-APP-03": "na", "RES-TEC-09": "unanswered"}


def test_a_partial_level_never_makes_a_fully_covered_item_ready(views: dict[str, dict[str, ItemReadiness]]) -> None:
    a32 = views["iso42001"]["A.3.2"]
    # GOV-INS-03 (equal) and GOV-INS-05 (subset) are unanswered; the intersecting GOV-CHN-04 at 4 is the only level
    assert (a32.coverage, a32.level, a32.band) == ("full", 4, "parts_ready")


def test_iso_summary_with_answers_counts_only_full_cover_as_ready(views: dict[str, dict[str, ItemReadiness]]) -> None:
    """ISO controls with a level under ANSWERS: A.10.2 (full, 4) and A.8.2 (RES-DIS-01 superset at 4) ready;
    A.10.3 (3), A.3.2 (4) and A.5.5 (IDE-APP-04 intersect at 5) parts ready; A.7.3 (IDE-TEC-02 superset at 1),
    A.7.4 and A.7.5 (IDE-TEC-02 intersect at 1) in progress. Ready share 2 of 8."""
    q = get_questionnaire(version="1.1.0")
    answers = {qid: AnswerInput(level=lv, na=False) for qid, lv in ANSWERS.items()}
    answers["IDE-APP-03"] = AnswerInput(level=None, na=True)
    iso = {fw.scheme: fw for fw in framework_readiness(
        q, answers, [x.id for x in q.questions() if x.id != "GOV-CHN-03"])}["iso42001"]
    bands = {b: sorted(i.id for i in iso.items if i.band == b) for b in ("ready", "parts_ready", "in_progress")}
    assert bands == {"ready": ["A.10.2", "A.8.2"], "parts_ready": ["A.10.3", "A.3.2", "A.5.5"],
                     "in_progress": ["A.7.3", "A.7.4", "A.7.5"]}
    assert iso.summary.counts["not_started"] == 0 and iso.summary.ready_share == 2 / 8


def test_an_eu_paragraph_covers_its_article_only_partly(views: dict[str, dict[str, ItemReadiness]]) -> None:
    art50 = views["eu_ai_act"]["Art. 50"]
    # RES-TEC-04 is a superset of 50(2) and RES-DIS-01 of 50(1), but a paragraph is a part of the article, so both
    # count as subsets of Art. 50; with no full cover the level is min(5, 2, 2, 4)
    assert [(c.question_id, c.relation) for c in art50.citations] == [
        ("IDE-APP-04", "intersect"), ("RES-TEC-04", "subset"), ("RES-TEC-04", "intersect"), ("RES-DIS-01", "subset")]
    assert (art50.coverage, art50.level, art50.band) == ("partial", 2, "in_progress")


def test_an_item_no_question_cites_is_not_covered(views: dict[str, dict[str, ItemReadiness]]) -> None:
    m212 = views["nist_ai_rmf"]["MEASURE 2.12"]
    assert (m212.coverage, m212.level, m212.band, m212.citations) == ("none", None, "not_covered", ())


def test_iso_summary_counts_items_by_coverage() -> None:
    """ISO/IEC 42001 Annex A, from the crosswalk alone: 16 controls cited by an equal or superset question
    (A.2.2, A.2.4, A.3.2, A.3.3, A.4.4, A.5.2-A.5.5, A.6.2.8, A.7.3, A.7.6, A.8.2, A.8.4, A.9.4, A.10.2), 8 cited by
    none (A.4.2, A.4.3, A.6.1.3, A.6.2.2, A.7.2, A.8.5, A.9.3), the other 15 only partly (A.8.3 by RES-INC-03's
    complaint channels, an intersect)."""
    q = get_questionnaire(version="1.1.0")
    iso = {fw.scheme: fw for fw in framework_readiness(q, {}, [x.id for x in q.questions()])}["iso42001"]
    s = iso.summary
    assert (s.items, s.covered_fully, s.covered_partly, s.not_covered) == (38, 16, 15, 7)
    assert {i.id for i in iso.items if i.coverage == "none"} == {
        "A.4.2", "A.4.3", "A.6.1.3", "A.6.2.2", "A.7.2", "A.8.5", "A.9.3"}
    assert s.counts["unanswered"] == 31 and s.ready_share is None  # nothing answered yet
