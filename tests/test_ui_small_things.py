"""Small things users hit: a reused draft id, the newest round after opening it, the home page's own URL,
the template selector after an import, a greeting by name."""

from __future__ import annotations

from sqlalchemy import Engine

from services.assessments import create_assessment, delete_assessment
from services.rounds import list_rounds
from tests.support.apptest import app_test
from tests.support.benchmark_data import cohort
from tests.ui_flow import answer_keys, msg, new_assessment, open_page, org_admin, texts


def test_a_new_assessment_that_reuses_a_deleted_drafts_id_starts_blank(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    old = new_assessment(engine, alice, title="草稿")
    at = open_page(alice, "questionnaire", assessment=old)
    first = answer_keys(at)[0]
    at.radio(key=f"ans_{first}").set_value(3).run()
    at.button(key="q_next").click().run()  # left on page 2 of the old draft
    delete_assessment(engine, alice.actor(engine), old)
    new = create_assessment(engine, alice.actor(engine), alice.org_id, title="新评估").id
    assert new == old  # SQLite gives the highest id again: the case this test is about
    at.query_params.clear()
    at.query_params.update({"assessment": str(new)})
    at.switch_page("app_pages/questionnaire.py").run()
    assert not at.exception
    assert answer_keys(at)[0] == first  # page 1, not the old draft's page 2
    assert at.radio(key=f"ans_{first}").value is None  # not the deleted draft's answer


def test_switching_between_two_drafts_never_shows_one_drafts_choices_in_the_other(app_db: str,
                                                                                   engine: Engine) -> None:
    alice = org_admin(engine)
    a, b = new_assessment(engine, alice, title="A"), new_assessment(engine, alice, title="B")
    at = open_page(alice, "questionnaire", assessment=a)
    first = answer_keys(at)[0]
    at.radio(key=f"ans_{first}").set_value(4).run()
    for aid, want in ((b, None), (a, 4), (b, None)):
        at.query_params.clear()
        at.query_params.update({"assessment": str(aid)})
        at.switch_page("app_pages/questionnaire.py").run()
        assert at.radio(key=f"ans_{first}").value == want, aid


def test_the_new_round_is_selected_after_opening_it(app_db: str, engine: Engine) -> None:
    c = cohort(engine, admin="admin-one")
    at = app_test(c.admin_user_id, lang="en", query={"round": str(c.round_id)}).run()
    at.switch_page("app_pages/association.py").run()
    assert at.selectbox(key="round_pick").value == c.round_id
    at.text_input(key="round_name").input("Second round")
    next(b for b in at.button if b.label == msg("benchmark.assoc.open_button", lang="en")).click().run()
    (new,) = [r.round.id for r in list_rounds(engine, c.admin(), c.association_id) if r.round.name == "Second round"]
    assert at.selectbox(key="round_pick").value == new
    at.run()
    assert at.selectbox(key="round_pick").value == new


def test_home_greets_by_display_name(app_db: str, engine: Engine) -> None:
    from services.accounts import create_user

    user = create_user(engine, "wangli", "long-enough-password-1", display_name="王丽")
    at = app_test(user.id).run()
    assert msg("home.welcome", user="王丽") in texts(at)


def test_the_template_selector_keeps_its_choice_after_an_import(app_db: str, engine: Engine) -> None:
    from questionnaires import get_questionnaire
    from tests.support.excel_workbooks import filled_template

    alice = org_admin(engine)
    draft = new_assessment(engine, alice, title="草稿")
    at = open_page(alice, "import_export")
    assert at.selectbox(key="excel_prefill").value is None  # blank template by default
    at.selectbox(key="excel_prefill").set_value(draft).run()
    first = get_questionnaire().questions()[0].id
    at.file_uploader(key="excel_upload_0").set_value(
        ("filled.xlsx", filled_template({first: (3, "", "")}),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")).run()
    at.button(key="excel_import").click().run()  # a new draft is created and listed first
    assert not at.exception
    assert at.selectbox(key="excel_prefill").value == draft  # still the draft the user chose
    assert at.selectbox(key="excel_target").value is None  # the import target back to "a new assessment"
