"""The action plan: gaps become actions with owner, due date and status, which carry into the next assessment.

Service rules first, then the results page (AppTest): create from a gap, assign, complete, and see
the action beside its question in the next assessment's questionnaire.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from streamlit.testing.v1 import AppTest

from db.engine import read_session
from db.models import EventLog
from enums import AnswerSource
from services.access import Actor
from services.actions import ActionView, create_action, list_actions, prefill_from, update_action
from services.assessments import (
    AnswerInputData,
    assessment_state,
    create_assessment,
    save_answers_bulk,
    submit,
)
from services.errors import Forbidden, InvalidInput, NotFound, Problem
from services.results import assessment_result
from tests.ui_flow import Member, msg, new_assessment, open_page, org_admin, q, respondent

QIDS = [x.id for x in q().questions()]


def problem_codes(exc: InvalidInput) -> list[str]:
    """The message codes of the problems (each a translatable Problem)."""
    return [p.code if isinstance(p, Problem) else p for p in exc.problems]


def _answered(engine: Engine, member: Member, levels: int = 1) -> int:
    aid = new_assessment(engine, member)
    save_answers_bulk(engine, member.actor(engine), aid, [
        AnswerInputData(x.id, level=levels) for x in q().questions()], source=AnswerSource.CLI)
    return aid


def test_action_from_a_gap_records_the_gap_and_its_recommendation(engine: Engine) -> None:
    alice = org_admin(engine)
    rita = respondent(engine, alice)
    aid = _answered(engine, alice)
    gap = assessment_result(engine, alice.actor(engine), aid).gaps[0]
    pre = prefill_from(assessment_result(engine, alice.actor(engine), aid), gap.question_id, "en")
    question = q().question(gap.question_id)
    assert pre.level == gap.level == 1 and pre.target == gap.target
    assert question.recommendations[1]["en"] in pre.title and pre.notes == question.text["en"]
    made = create_action(engine, rita.actor(engine), alice.org_id, title=pre.title, question_ids=[gap.question_id],
                         owner_id=rita.user_id, due_date=date(2027, 3, 31), from_assessment=aid)
    assert (made.origin_level, made.origin_target, made.owner_name) == (1, gap.target, "rita")
    assert made.status == "planned" and made.question_ids == (gap.question_id,)
    with read_session(engine) as s:
        assert s.scalar(select(EventLog.action).where(EventLog.object_type == "action")) == "action_created"


def test_bad_action_input_is_refused_with_every_problem_and_nothing_stored(engine: Engine) -> None:
    alice = org_admin(engine)
    outsider = org_admin(engine, "mallory", "Other Ltd")
    aid = _answered(engine, alice, levels=5)  # no gaps at level 5
    with pytest.raises(InvalidInput) as err:
        create_action(engine, alice.actor(engine), alice.org_id, title=" ", question_ids=["NOPE-01"],
                      owner_id=outsider.user_id, notes="x\x00y")
    codes = set(problem_codes(err.value))
    assert codes == {"action_title", "action_question", "action_owner", "action_control_notes"}
    with pytest.raises(InvalidInput) as err:
        create_action(engine, alice.actor(engine), alice.org_id, title="t", question_ids=[QIDS[0]],
                      from_assessment=aid)
    assert problem_codes(err.value) == ["action_not_a_gap"]
    assert list_actions(engine, alice.actor(engine), alice.org_id) == []


def test_action_problems_name_the_field_in_the_users_language(engine: Engine) -> None:
    """A Chinese user reads "行动备注", never "行动notes": every field name is part of the translated text."""
    alice = org_admin(engine)
    with pytest.raises(InvalidInput) as err:
        create_action(engine, alice.actor(engine), alice.org_id, title="a\x07b", notes="x" * 20_001)
    problems = [p for p in err.value.problems if isinstance(p, Problem)]
    made = create_action(engine, alice.actor(engine), alice.org_id, title="Write the AI policy")
    with pytest.raises(InvalidInput) as err:
        update_action(engine, alice.actor(engine), made.id, status="dropped", drop_reason="y\x00z")
    problems += [p for p in err.value.problems if isinstance(p, Problem)]
    assert {p.field for p in problems} == {"title", "notes", "drop_reason"}
    for p in problems:
        zh_text = p.text("zh").split("：")[0]
        assert not any(c.isascii() and c.isalpha() for c in zh_text), zh_text
        assert p.text("en").startswith(f"action {p.field.replace('_', ' ')}"), p.text("en")


def test_status_rules_completion_drop_reason_and_overdue(engine: Engine) -> None:
    alice = org_admin(engine)
    rita = respondent(engine, alice)
    who = rita.actor(engine)
    a = create_action(engine, who, alice.org_id, title="写明AI治理牵头人", due_date=date(2026, 1, 1))
    assert a.overdue(date(2026, 1, 2)) and not a.overdue(date(2026, 1, 1))
    with pytest.raises(InvalidInput) as err:
        update_action(engine, who, a.id, status="dropped")
    assert problem_codes(err.value) == ["action_drop_reason"]
    done = update_action(engine, who, a.id, status="done")
    assert done.completed_at is not None and not done.overdue(date(2030, 1, 1))
    again = update_action(engine, who, a.id, status="in_progress")
    assert again.completed_at is None
    dropped = update_action(engine, who, a.id, status="dropped", drop_reason="集团统一处理")
    assert dropped.drop_reason == "集团统一处理"
    with pytest.raises(Forbidden):  # respondents drop actions; deleting is for administrators
        from services.actions import delete_action

        delete_action(engine, who, a.id)
    with pytest.raises(NotFound):
        update_action(engine, who, 2**70, status="done")


def _done_since(engine: Engine, who: Actor, assessment_id: int) -> dict[str, list[ActionView]]:
    """What the questionnaire shows beside each question: read with its answers (services.assessments)."""
    extras = assessment_state(engine, who, assessment_id).extras
    assert extras is not None
    return extras.done_since


def test_done_actions_show_in_the_next_assessment_only(engine: Engine) -> None:
    alice = org_admin(engine)
    who = alice.actor(engine)
    first = _answered(engine, alice)
    gap = assessment_result(engine, who, first).gaps[0].question_id
    before = create_action(engine, who, alice.org_id, title="done before the first submission", question_ids=[gap])
    update_action(engine, who, before.id, status="done")
    submit(engine, who, first)
    after = create_action(engine, who, alice.org_id, title="done between the assessments", question_ids=[gap])
    update_action(engine, who, after.id, status="done")
    still_open = create_action(engine, who, alice.org_id, title="not done", question_ids=[gap])
    nxt = create_assessment(engine, who, alice.org_id, carry_forward_from=first).id
    shown = _done_since(engine, who, nxt)
    assert [v.title for v in shown[gap]] == ["done between the assessments"]
    assert still_open.id not in {v.id for v in shown[gap]}


def _button(at: AppTest, key: str) -> Any:
    return next(b for b in at.button if b.key == key)


def test_results_page_create_from_gap_assign_complete_and_see_it_next_time(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    rita = respondent(engine, alice)
    aid = _answered(engine, alice)
    gap = assessment_result(engine, alice.actor(engine), aid).gaps[0].question_id
    at = open_page(alice, "results", assessment=aid)
    assert msg("actions.heading") in [h.value for h in at.subheader]
    assert at.selectbox(key="action_gap").value == gap  # the first gap is offered first
    title = at.text_input(key=f"action_gap_title_{gap}").value
    assert title.startswith(f"{gap}: ")
    at.selectbox(key="action_gap_owner").set_value(rita.user_id)
    at.date_input(key="action_gap_due").set_value(date.today() - timedelta(days=3))
    _button(at, "action_gap_create").click().run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if msg("actions.col_owner") in df.value.columns)
    row = table.iloc[0]
    assert row[msg("actions.col_title")] == title and row[msg("actions.col_owner")] == "rita"
    assert row[msg("actions.col_status")].startswith(msg("actions.overdue"))  # said in words, not only colour
    assert any(msg("actions.overdue_count", n=1) in w.value for w in at.warning)

    at.selectbox(key="action_edit_pick").set_value(int(row[msg("actions.col_id")]))
    action_id = int(row[msg("actions.col_id")])
    at.selectbox(key=f"action_edit_status_{action_id}").set_value("done")
    _button(at, "action_edit_save").click().run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if msg("actions.col_owner") in df.value.columns)
    assert table.iloc[0][msg("actions.col_status")] == msg("actions.status.done")

    submit(engine, alice.actor(engine), aid)
    nxt = create_assessment(engine, alice.actor(engine), alice.org_id, carry_forward_from=aid).id
    shown = _done_since(engine, alice.actor(engine), nxt)
    assert shown == {}, "completed before the previous submission: it belongs to that assessment"
    update_action(engine, alice.actor(engine), action_id, status="in_progress")
    update_action(engine, alice.actor(engine), action_id, status="done")
    sub = q().dimension_of(gap)[1].id
    page = open_page(alice, "questionnaire", assessment=nxt, query={"sub": sub})
    texts = [t.value for t in page.text]
    assert any(title in line for line in texts), texts
    assert msg("actions.done_since_heading") in [c.value for c in page.caption]


def test_action_plan_sheet_in_the_excel_summary(engine: Engine) -> None:
    import io

    import openpyxl

    from services.exports import summary_xlsx

    alice = org_admin(engine)
    rita = respondent(engine, alice)
    aid = _answered(engine, alice)
    gap = assessment_result(engine, alice.actor(engine), aid).gaps[0].question_id
    late = create_action(engine, alice.actor(engine), alice.org_id, title="任命AI治理负责人", question_ids=[gap],
                         owner_id=rita.user_id, due_date=date(2020, 1, 31))
    wb = openpyxl.load_workbook(io.BytesIO(summary_xlsx(engine, alice.actor(engine), aid, "en")))
    ws = wb["Action plan"]
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert row["#"] == late.id and row["Action"] == "任命AI治理负责人" and row["Questions"] == gap
    assert row["Owner"] == "rita" and row["Status"] == "Planned" and row["Overdue"] == "Yes"
    assert row["Due"].date() == date(2020, 1, 31)


def test_an_action_by_hand_uses_the_question_ids_of_the_organisations_questionnaire_version(engine: Engine) -> None:
    """An organisation still on an older version writes actions for its questions, not the newest version's."""
    from db.engine import write_session
    from db.models import Assessment

    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    with write_session(engine) as s:  # an organisation still assessing with version 1.0.0
        s.get(Assessment, aid).questionnaire_version = "1.0.0"
    old_only = "GOV-INS-01"  # in 1.0.0, not in the newest version
    assert old_only not in {x.id for x in q().questions()}
    made = create_action(engine, alice.actor(engine), alice.org_id, title="Name the AI governance lead",
                         question_ids=[old_only])
    assert made.question_ids == (old_only,)
    with pytest.raises(InvalidInput) as err:
        update_action(engine, alice.actor(engine), made.id, question_ids=["GOV-INS-05"])  # newest version only
    assert problem_codes(err.value) == ["action_question"]
