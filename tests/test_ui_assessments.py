"""The assessments page: list with scores, start (form, carry-forward), submit, reopen, delete."""

from __future__ import annotations

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from enums import AnswerSource
from services.access import Actor
from services.assessments import AnswerInputData, get_assessment, list_assessments, save_answers_bulk, submit
from services.errors import NotFound
from services.results import assessment_result
from tests.ui_flow import msg, new_assessment, open_page, org_admin, q, respondent, stored, texts


def _click(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_the_list_shows_each_assessment_with_its_engine_score(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    first = new_assessment(engine, alice, title="2024 自评")
    save_answers_bulk(engine, alice.actor(engine), first, [AnswerInputData(x.id, 2) for x in q().questions()[:9]],
                      source=AnswerSource.CLI)
    second = new_assessment(engine, alice, title="2025 自评", form="core")
    at = open_page(alice, "assessments")
    table = next(df.value for df in at.dataframe if msg("assessments.col_title") in df.value.columns)
    assert list(table["id"]) == [second, first]  # newest first
    assert list(table[msg("assessments.col_title")]) == ["2025 自评", "2024 自评"]
    assert list(table[msg("assessments.col_form")]) == [msg("common.core_form"), msg("common.full_form")]
    score = assessment_result(engine, Actor.system(), first).overall.score
    assert list(table[msg("common.score")]) == [msg("common.not_scored"), f"{score:.2f}"]


def test_start_a_short_form_assessment_carrying_the_last_answers_forward(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    old = new_assessment(engine, alice, title="上一轮")
    save_answers_bulk(engine, alice.actor(engine), old,
                      [AnswerInputData(x.id, 4, note="沿用") for x in q().questions()[:6]], source=AnswerSource.CLI)
    newer = new_assessment(engine, alice, title="试填")  # a later, empty one: the choice is not only the latest
    at = open_page(alice, "assessments")
    options = at.selectbox(key="new_carry").options  # none, then every earlier assessment, newest first
    assert options[0] == msg("assessments.carry_none") and len(options) == 3
    assert options[1].startswith(f"#{newer}") and options[2].startswith(f"#{old}")
    assert at.selectbox(key="new_carry").value is None
    at.text_input(key="new_title").input("第二轮")
    at.radio(key="new_form").set_value("core")
    at.selectbox(key="new_carry").set_value(old)
    _click(at, msg("assessments.start"))
    assert newer != old
    views = list_assessments(engine, Actor.system(), alice.org_id)
    new = views[0]
    assert (new.title, new.form, new.status) == ("第二轮", "core", "draft")
    assert at.session_state["assessment_id"] == new.id
    assert {k: (a.level, a.note) for k, a in stored(engine, new.id).items()} == {
        k: (a.level, a.note) for k, a in stored(engine, old).items()}


def test_submit_asks_first_then_locks_and_an_admin_can_reopen(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    at = open_page(alice, "assessments")
    _click(at, msg("assessments.submit"))
    open_count = len(assessment_result(engine, Actor.system(), aid).to_answer)
    assert msg("assessments.confirm_submit", n=open_count) in texts(at)
    _click(at, msg("common.cancel"))
    assert get_assessment(engine, Actor.system(), aid).status == "draft"

    _click(at, msg("assessments.submit"))
    _click(at, msg("assessments.confirm_submit_button"))
    assert get_assessment(engine, Actor.system(), aid).status == "submitted"
    assert msg("assessments.submitted", id=aid) in texts(at)

    _click(at, msg("assessments.reopen"))
    assert get_assessment(engine, Actor.system(), aid).status == "draft"
    assert msg("assessments.reopened", id=aid) in texts(at)


def test_deleting_a_draft_needs_a_confirmation(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    keep = new_assessment(engine, alice, title="保留")
    doomed = new_assessment(engine, alice, title="删除我")
    at = open_page(alice, "assessments")
    at.selectbox(key="assess_pick").set_value(doomed).run()
    _click(at, msg("assessments.delete"))
    assert msg("assessments.confirm_delete", id=doomed, title="删除我") in texts(at)
    assert [a.id for a in list_assessments(engine, Actor.system(), alice.org_id)] == [doomed, keep]
    _click(at, msg("assessments.confirm_delete_button"))
    assert [a.id for a in list_assessments(engine, Actor.system(), alice.org_id)] == [keep]
    try:
        get_assessment(engine, Actor.system(), doomed)
        raise AssertionError("the draft should be gone")
    except NotFound:
        pass
    assert msg("assessments.deleted", id=doomed) in texts(at)


def test_a_respondent_can_submit_but_not_delete_or_reopen(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    rita = respondent(engine, alice)
    draft = new_assessment(engine, alice, title="草稿")
    at = open_page(rita, "assessments")
    labels = [b.label for b in at.button]
    assert msg("assessments.submit") in labels
    assert msg("assessments.delete") not in labels
    assert msg("assessments.admin_only") in texts(at)
    submit(engine, alice.actor(engine), draft)
    at = open_page(rita, "assessments")
    assert msg("assessments.reopen") not in [b.label for b in at.button]
