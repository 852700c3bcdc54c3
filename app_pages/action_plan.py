"""The action plan section of the results page (not a page of its own; app.py routes only its registry).

Gaps become actions (prefilled with the question, level, target and the recommendation for the
current level), or actions are written by hand; each has an owner from the organisation, a due
date and a status. Overdue actions are said in words and counted, never only coloured. User text
(titles, notes, names) is shown in tables and inputs only, never as Markdown.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st

from app_pages.assessment_context import fmt_time
from app_pages.common import attempt, engine, flash, fmt_score, lang, qt, show_flash, tr, tr_plain
from enums import ActionStatus
from questionnaires import Questionnaire
from scoring.types import AssessmentResult
from services.access import Actor
from services.actions import (
    ActionView,
    Owner,
    create_action,
    delete_action,
    prefill_from,
    update_action,
)
from services.assessments import AssessmentView
from services.errors import ServiceError

STATUSES = tuple(ActionStatus)


def today() -> date:
    return datetime.now(UTC).date()


def status_text(v: ActionView, now: date) -> str:
    text = tr_plain(f"actions.status.{v.status}")
    return f"{tr_plain('actions.overdue')} · {text}" if v.overdue(now) else text


def action_rows(actions: list[ActionView], now: date) -> pd.DataFrame:
    return pd.DataFrame([{
        tr("actions.col_id"): v.id,
        tr("actions.col_title"): v.title,
        tr("actions.col_questions"): ", ".join(v.question_ids),
        tr("actions.col_owner"): v.owner_name or tr_plain("actions.no_owner"),
        tr("actions.col_due"): v.due_date.isoformat() if v.due_date else tr_plain("actions.no_date"),
        tr("actions.col_status"): status_text(v, now),
        tr("actions.col_origin"): (f"{v.origin_level} → {fmt_score(v.origin_target)}"
                                   if v.origin_level is not None else ""),
        tr("actions.col_notes"): v.drop_reason if v.status == ActionStatus.DROPPED else v.notes,
        tr("actions.col_completed"): fmt_time(v.completed_at) if v.completed_at else "",
    } for v in actions])


def _plan_table(actions: list[ActionView]) -> None:
    now = today()
    counts = {s: sum(1 for v in actions if v.status == s) for s in STATUSES}
    overdue = sum(1 for v in actions if v.overdue(now))
    st.caption(tr("actions.summary", open=sum(n for s, n in counts.items() if s.is_open), overdue=overdue,
                  done=counts[ActionStatus.DONE], dropped=counts[ActionStatus.DROPPED]))
    if overdue:
        st.warning(tr("actions.overdue_count", n=overdue), icon=":material/schedule:")
    if not actions:
        st.info(tr("actions.empty"))
        return
    st.dataframe(action_rows(actions, now), hide_index=True, width="stretch", key="action_table",
                 column_config={tr("actions.col_title"): st.column_config.TextColumn(width="large")})


def _owner_picker(owners: dict[int | None, str], key: str, index: int = 0) -> int | None:
    ids = list(owners)
    return st.selectbox(tr("actions.owner"), ids, index=index, key=key, format_func=owners.__getitem__)


def _from_gap(who: Actor, view: AssessmentView, q: Questionnaire, result: AssessmentResult,
              owners: dict[int | None, str]) -> None:
    if not result.gaps:
        return
    with st.expander(tr("actions.from_gap"), icon=":material/add_task:", key="action_from_gap_box"):
        gaps = {g.question_id: g for g in result.gaps}
        labels = {qid: tr_plain("actions.gap_option", rank=i, id=qid, level=g.level, target=fmt_score(g.target),
                          question=qt(q.question(qid).text)[:80])
                  for i, (qid, g) in enumerate(gaps.items(), 1)}
        qid = st.selectbox(tr("actions.pick_gap"), list(gaps), key="action_gap", format_func=labels.__getitem__)
        prefill = attempt(lambda: prefill_from(result, qid, lang()))
        if prefill is None:
            return
        title = st.text_input(tr("actions.title"), value=prefill.title, max_chars=200, key=f"action_gap_title_{qid}")
        notes = st.text_area(tr("actions.notes"), value=prefill.notes, key=f"action_gap_notes_{qid}")
        c1, c2 = st.columns(2)
        with c1:
            owner = _owner_picker(owners, "action_gap_owner")
        due = c2.date_input(tr("actions.due"), value=None, key="action_gap_due")
        if st.button(tr("actions.create"), key="action_gap_create", type="primary"):
            made = attempt(lambda: create_action(engine(), who, view.organisation_id, title=title, notes=notes,
                                                 question_ids=[qid], owner_id=owner, due_date=due,
                                                 from_assessment=view.id))
            if made is not None:
                flash(tr("actions.created", id=made.id), rerun=True)


def _by_hand(who: Actor, view: AssessmentView, q: Questionnaire, owners: dict[int | None, str]) -> None:
    with st.expander(tr("actions.by_hand"), icon=":material/edit:", key="action_by_hand_box"):
        title = st.text_input(tr("actions.title"), max_chars=200, key="action_new_title")
        labels = {x.id: f"{x.id} {qt(x.text)[:60]}" for x in q.questions()}
        questions = st.multiselect(tr("actions.questions"), list(labels), key="action_new_questions",
                                   format_func=labels.__getitem__)
        notes = st.text_area(tr("actions.notes"), key="action_new_notes")
        c1, c2 = st.columns(2)
        with c1:
            owner = _owner_picker(owners, "action_new_owner")
        due = c2.date_input(tr("actions.due"), value=None, key="action_new_due")
        if st.button(tr("actions.create"), key="action_new_create"):
            made = attempt(lambda: create_action(engine(), who, view.organisation_id, title=title, notes=notes,
                                                 question_ids=questions, owner_id=owner, due_date=due))
            if made is not None:
                flash(tr("actions.created", id=made.id), rerun=True)


def _edit(who: Actor, actions: list[ActionView], owners: dict[int | None, str]) -> None:
    if not actions:
        return
    with st.expander(tr("actions.edit"), icon=":material/task_alt:", key="action_edit_box"):
        by_id = {v.id: v for v in actions}
        # Option labels are formatted now, in this run's language (a format_func that read the language
        # later, outside the run, would label options in the default language).
        picks = {i: tr_plain("actions.action_option", id=i, title=v.title[:80]) for i, v in by_id.items()}
        aid = st.selectbox(tr("actions.pick_action"), list(by_id), key="action_edit_pick",
                           format_func=picks.__getitem__)
        v = by_id[aid]
        statuses = {s: tr_plain(f"actions.status.{s}") for s in STATUSES}
        status = st.selectbox(tr("actions.status_field"), STATUSES, index=STATUSES.index(v.status),
                              key=f"action_edit_status_{aid}", format_func=statuses.__getitem__)
        c1, c2 = st.columns(2)
        with c1:
            ids = list(owners)
            owner = _owner_picker(owners, f"action_edit_owner_{aid}",
                                  ids.index(v.owner_id) if v.owner_id in ids else 0)
        due = c2.date_input(tr("actions.due"), value=v.due_date, key=f"action_edit_due_{aid}")
        notes = st.text_area(tr("actions.notes"), value=v.notes, key=f"action_edit_notes_{aid}")
        reason = st.text_input(tr("actions.drop_reason"), value=v.drop_reason, key=f"action_edit_reason_{aid}")
        left, right = st.columns(2)
        if left.button(tr("actions.save"), key="action_edit_save", type="primary"):
            saved = attempt(lambda: update_action(engine(), who, aid, status=status, owner_id=owner, due_date=due,
                                                  notes=notes, drop_reason=reason))
            if saved is not None:
                flash(tr("actions.saved", id=aid), rerun=True)
        if who.can_admin_org(v.organisation_id) and right.button(tr("actions.delete"), key="action_edit_delete"):
            try:
                delete_action(engine(), who, aid)
            except ServiceError as exc:
                from app_pages.common import show_error

                show_error(exc)
            else:
                flash(tr("actions.deleted", id=aid), rerun=True)


def render_action_plan(who: Actor, view: AssessmentView, q: Questionnaire, result: AssessmentResult,
                       actions: list[ActionView], assignable: list[Owner]) -> None:
    """The organisation's action plan (``actions``, owners from ``assignable``: read with the page) with
    creation from this assessment's gaps."""
    st.subheader(tr("actions.heading"))
    st.caption(tr("actions.intro"))
    show_flash()  # "created", "saved", "deleted" from the action's run
    _plan_table(actions)
    owners: dict[int | None, str] = {None: tr_plain("actions.no_owner")}
    owners.update({o.user_id: o.label for o in assignable})
    _from_gap(who, view, q, result, owners)
    _by_hand(who, view, q, owners)
    _edit(who, actions, owners)


def done_since_lines(done: dict[str, list[ActionView]]) -> dict[str, list[str]]:
    """Per question: one plain-text line per action completed since the previous assessment."""
    out: dict[str, list[str]] = {}
    for qid, actions in done.items():
        out[qid] = [tr_plain("actions.done_since_line", id=v.id, title=v.title, at=fmt_time(v.completed_at)[:10],
                       owner=tr_plain("actions.done_since_owner", owner=v.owner_name) if v.owner_name else "")
                    for v in actions]
    return out


def show_done_since(lines: list[str]) -> None:
    """The "actions done since the last assessment" note beside a question (plain text, never Markdown)."""
    if not lines:
        return
    with st.container(border=True):
        st.caption(tr("actions.done_since_heading"))
        for line in lines:
            st.text(line)
