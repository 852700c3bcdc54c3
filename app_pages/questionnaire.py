"""The questionnaire: one sub-dimension per view, every answer saved the moment it is given.

Design (engineering.md §1.2, §1.4): one view of 3–5 questions at a time, stable widget keys from
question ids (``ans_<qid>``, ``na_<qid>``, ``note_<qid>``) with numeric option values, re-seeded
from the stored answers so navigation, refreshes and language switches keep every value. Each
change is saved by an on_change callback with the revision the user saw; a newer revision by
someone else is a conflict the user resolves. The question list is a fragment, so a save reruns
only the list (and the progress shown with it), and no chart is drawn on this page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.assessment_context import (
    assessment_caption,
    assessment_questionnaire,
    current_assessment,
    fmt_time,
    keep_choice,
)
from app_pages.common import actor, current_actor, engine, fmt_pct, guarded, lang, qt, tr
from questionnaires import Questionnaire
from questionnaires.schema import Question
from scoring.types import AssessmentResult
from services.assessments import (
    AnswerInputData,
    AnswerView,
    AssessmentView,
    get_assessment,
    load_answers,
    save_answer,
)
from services.errors import ConflictError, InvalidInput, ServiceError, StateError, problem_text
from services.results import assessment_result

NA = -1  # option value of "not applicable" next to the levels 0..5
OPTIONS = [0, 1, 2, 3, 4, 5, NA]
MAX_TEXT = 5000
SEEN = "q_seen"  # {assessment id: {qid: AnswerView | None}}: what the user was shown (revision base)
CONFLICTS = "q_conflicts"  # {assessment id: {qid: (Conflict, AnswerInputData)}}
ERRORS = "q_errors"  # {assessment id: {qid: [problem, …]}}
VIEW = "q_view"  # {assessment id: sub-dimension id}: the view to return to
APPLIED = "q_sub_applied"  # {assessment id: sub-dimension id}: the last view shown, to spot a new ?sub= link
CROSSWALKS = ("nist_ai_rmf", "iso42001", "tc260", "eu_ai_act")


def _store(name: str, aid: int) -> dict[Any, Any]:
    return st.session_state.setdefault(name, {}).setdefault(aid, {})


def _jump_key(aid: int) -> str:
    """The jump menu's widget key: one per assessment, so one assessment's view never leaks into another's."""
    return f"q_jump_{aid}"


# --- widget state <-> stored answers -------------------------------------------------------------------

def _widget_value(level: int | None, na: bool) -> int | None:
    return NA if na else level


def _seed(qid: str, level: int | None, na: bool, justification: str, note: str) -> None:
    st.session_state[f"ans_{qid}"] = _widget_value(level, na)
    st.session_state[f"na_{qid}"] = justification
    st.session_state[f"note_{qid}"] = note


def _sync(aid: int, questions: list[Question], answers: dict[str, AnswerView]) -> None:
    """Load stored answers into the widgets where the user has not seen the stored revision yet."""
    seen = _store(SEEN, aid)
    conflicts = _store(CONFLICTS, aid)
    for x in questions:
        stored = answers.get(x.id)
        missing = f"ans_{x.id}" not in st.session_state
        if x.id in conflicts:
            if missing:  # the widgets were dropped while a conflict waited: show the user's own value
                mine: AnswerInputData = conflicts[x.id][1]
                _seed(x.id, mine.level, mine.na, mine.justification, mine.note)
            continue
        before = seen.get(x.id)
        if missing or (before.revision if before else 0) != (stored.revision if stored else 0):
            if stored is None:
                _seed(x.id, None, False, "", "")
            else:
                _seed(x.id, stored.level, stored.na, stored.justification, stored.note)
            seen[x.id] = stored
        else:
            keep_choice(f"ans_{x.id}")  # the option labels change with the language


def _from_widgets(aid: int, qid: str) -> AnswerInputData | None:
    """The answer the widgets describe, or None when nothing needs saving.

    N/A without a justification is not saved (it would be refused); the stored answer stays and
    only the note, if it changed, is saved with it, so nothing the user typed elsewhere is lost.
    """
    value = st.session_state.get(f"ans_{qid}")
    justification = (st.session_state.get(f"na_{qid}") or "").strip()
    note = (st.session_state.get(f"note_{qid}") or "").strip()
    if value == NA and not justification:
        before: AnswerView | None = _store(SEEN, aid).get(qid)
        if (before.note if before else "") == note:
            return None
        if before is None:
            return AnswerInputData(qid, note=note)
        return AnswerInputData(qid, before.level, before.na, before.justification, note)
    if value == NA:
        return AnswerInputData(qid, None, True, justification, note)
    return AnswerInputData(qid, value, False, "", note)


def _save(aid: int, data: AnswerInputData, expected: int | None) -> None:
    """Save one answer; a conflict or a refusal is kept for the question to show, nothing is dropped."""
    who = current_actor()
    if who is None:
        return
    errors = _store(ERRORS, aid)
    conflicts = _store(CONFLICTS, aid)
    try:
        saved = save_answer(engine(), who, aid, data, expected_revision=expected, source="ui")
    except ConflictError as exc:
        conflicts[data.question_id] = (exc.conflict, data)
        return
    except InvalidInput as exc:
        errors[data.question_id] = exc.problems  # shown in the language of the moment
        return
    except StateError:  # submitted by someone else meanwhile: say what was not saved; the fragment turns read only
        q = assessment_questionnaire(get_assessment(engine(), who, aid))
        errors[data.question_id] = [tr("questionnaire.not_saved_submitted",
                                       mine=_answer_text(q, data.level, data.na, data.justification),
                                       note=data.note or "—")]
        return
    except ServiceError as exc:
        errors[data.question_id] = [tr(exc.key)]
        return
    errors.pop(data.question_id, None)
    conflicts.pop(data.question_id, None)
    _store(SEEN, aid)[data.question_id] = saved


def _on_change(aid: int, qid: str) -> None:
    """Autosave: called by every widget of a question as soon as its value changes."""
    data = _from_widgets(aid, qid)
    conflicts = _store(CONFLICTS, aid)
    if qid in conflicts:  # the user chooses between the two values first; "mine" is the latest input
        if data is not None:
            conflicts[qid] = (conflicts[qid][0], data)
        return
    if data is None:
        return
    before: AnswerView | None = _store(SEEN, aid).get(qid)
    _save(aid, data, before.revision if before else None)


def _keep_theirs(aid: int, qid: str) -> None:
    conflict, _ = _store(CONFLICTS, aid).pop(qid)
    _seed(qid, conflict.their_level, conflict.their_na, conflict.their_justification, conflict.their_note)
    _store(SEEN, aid)[qid] = AnswerView(qid, conflict.their_level, conflict.their_na,
                                        conflict.their_justification, conflict.their_note,
                                        conflict.their_revision, None, conflict.their_author)


def _overwrite(aid: int, qid: str) -> None:
    conflict, mine = _store(CONFLICTS, aid)[qid]
    _save(aid, mine, conflict.their_revision)


# --- rendering -------------------------------------------------------------------------------------------

def _option_label(q: Questionnaire, question: Question, value: int | None) -> str:
    if value == NA:
        return tr("questionnaire.na_option")
    scale = {s.level: s for s in q.meta.scale}[value]
    descriptor = qt(scale.description) if value == 0 else qt(question.levels[value])  # type: ignore[index]
    return f"**{value} {qt(scale.name)}** — {descriptor}"


def _answer_text(q: Questionnaire, level: int | None, na: bool, justification: str = "") -> str:
    if na:
        return tr("questionnaire.na_with_reason", reason=justification) if justification else tr("common.na")
    if level is None:
        return tr("questionnaire.no_answer")
    scale = {s.level: s for s in q.meta.scale}[level]
    return f"{level} {qt(scale.name)}"


def _details(q: Questionnaire, x: Question) -> None:
    """Guidance, evidence examples and crosswalk references, folded away until asked for."""
    with st.expander(tr("questionnaire.details")):
        st.markdown(f"**{tr('questionnaire.guidance')}**")
        st.write(qt(x.guidance))
        evidence = x.evidence.get(lang()) or next(iter(x.evidence.values()))
        st.markdown(f"**{tr('questionnaire.evidence')}**")
        st.markdown("\n".join(f"- {e}" for e in evidence))
        refs = [(tr(f"questionnaire.crosswalk_{k}"), getattr(x.crosswalk, k)) for k in CROSSWALKS]
        refs = [(name, ids) for name, ids in refs if ids]
        if refs:
            st.markdown(f"**{tr('questionnaire.crosswalk')}**")
            st.markdown("\n".join(f"- {name}: {', '.join(ids)}" for name, ids in refs))
            st.caption(tr("questionnaire.crosswalk_note"))


def _question(q: Questionnaire, aid: int, x: Question, stored: AnswerView | None, read_only: bool) -> None:
    qid = x.id
    with st.container(border=True, key=f"qbox_{qid}"):
        tags = [qid]
        if x.critical:
            tags.append(tr("questionnaire.critical"))
        if x.core:
            tags.append(tr("questionnaire.core"))
        st.caption(" · ".join(tags) + f" · {tr('questionnaire.weight', weight=f'{x.weight:g}')}")
        labels = {v: _option_label(q, x, v) for v in OPTIONS}
        value = st.radio(f"**{qt(x.text)}**", OPTIONS, format_func=labels.__getitem__, key=f"ans_{qid}",
                         index=None, on_change=_on_change, args=(aid, qid), disabled=read_only)
        if value == NA:
            st.text_input(tr("questionnaire.justification"), key=f"na_{qid}", max_chars=MAX_TEXT,
                          placeholder=tr("questionnaire.justification_placeholder"),
                          on_change=_on_change, args=(aid, qid), disabled=read_only)
            if not read_only and not (st.session_state.get(f"na_{qid}") or "").strip():
                st.warning(tr("questionnaire.na_needs_justification",
                              stored=_answer_text(q, stored.level if stored else None,
                                                  bool(stored and stored.na))),
                           icon=":material/edit:")
        st.text_area(tr("questionnaire.note"), key=f"note_{qid}", max_chars=MAX_TEXT, height=68,
                     placeholder=tr("questionnaire.note_placeholder"), on_change=_on_change, args=(aid, qid),
                     disabled=read_only)
        for problem in _store(ERRORS, aid).get(qid, []):
            st.error(problem_text(problem, lang()))
        _conflict(q, aid, qid)
        if stored is not None:
            st.caption(tr("questionnaire.saved", at=fmt_time(stored.updated_at), by=stored.updated_by or "—"))
        _details(q, x)


def _conflict(q: Questionnaire, aid: int, qid: str) -> None:
    pending = _store(CONFLICTS, aid).get(qid)
    if pending is None:
        return
    c, mine = pending
    st.warning(tr("questionnaire.conflict", author=c.their_author or "—",
                  theirs=_answer_text(q, c.their_level, c.their_na, c.their_justification),
                  their_note=c.their_note or "—",
                  mine=_answer_text(q, mine.level, mine.na, mine.justification)), icon=":material/group:")
    left, right = st.columns(2)
    left.button(tr("questionnaire.keep_theirs"), key=f"keep_{qid}", on_click=_keep_theirs, args=(aid, qid))
    right.button(tr("questionnaire.overwrite"), key=f"mine_{qid}", on_click=_overwrite, args=(aid, qid),
                 type="primary")


def _progress(q: Questionnaire, result: AssessmentResult) -> None:
    """Overall progress and completion per dimension, from the scoring engine's own counts."""
    overall = result.overall
    st.progress(overall.completeness or 0.0,
                text=tr("questionnaire.progress", answered=overall.answered, applicable=overall.applicable,
                        pct=fmt_pct(overall.completeness)))
    cols = st.columns(len(result.dimensions))
    names = {d.id: qt(d.name) for d in q.dimensions}
    for col, unit in zip(cols, result.dimensions, strict=True):
        col.caption(tr("questionnaire.dimension_progress", name=names[unit.id], answered=unit.answered,
                       applicable=unit.applicable))


# --- navigation --------------------------------------------------------------------------------------------

def _views(q: Questionnaire, applicable: set[str]) -> list[tuple[str, str, list[str], int]]:
    """(sub-dimension id, label, visible question ids, hidden count) for sub-dimensions with questions."""
    out = []
    for d in q.dimensions:
        for s in d.subdimensions:
            shown = [x.id for x in s.questions if x.id in applicable]
            if shown:
                out.append((s.id, f"{d.id} {qt(d.name)} › {qt(s.name)}", shown, len(s.questions) - len(shown)))
    return out


def _current_view(aid: int, ids: list[str]) -> str:
    """The sub-dimension to show: a new ?sub= link first, then the jump menu, then where the user was."""
    jump = _jump_key(aid)
    requested = st.query_params.get("sub")
    if requested in ids and requested != st.session_state.setdefault(APPLIED, {}).get(aid):
        st.session_state[jump] = requested
    else:
        keep_choice(jump)  # the menu's labels carry live answer counts
    remembered = st.session_state.setdefault(VIEW, {}).get(aid)
    if st.session_state.get(jump) not in ids:
        st.session_state[jump] = remembered if remembered in ids else ids[0]
    return st.session_state[jump]


def _step(aid: int, ids: list[str], delta: int) -> None:
    jump = _jump_key(aid)
    current = st.session_state.get(jump)
    i = (ids.index(current) if current in ids else 0) + delta
    st.session_state[jump] = ids[max(0, min(len(ids) - 1, i))]


def _nav_buttons(aid: int, ids: list[str], current: str) -> None:
    i = ids.index(current)
    prev_col, info_col, next_col = st.columns([1, 2, 1], vertical_alignment="center")
    prev_col.button(tr("questionnaire.previous"), key="q_prev", on_click=_step, args=(aid, ids, -1),
                    disabled=i == 0, icon=":material/arrow_back:", width="stretch")
    info_col.markdown(f"<div style='text-align:center'>{tr('questionnaire.page_of', n=i + 1, total=len(ids))}</div>",
                      unsafe_allow_html=True)
    next_col.button(tr("questionnaire.next"), key="q_next", on_click=_step, args=(aid, ids, 1),
                    disabled=i == len(ids) - 1, icon=":material/arrow_forward:", width="stretch", type="primary")


@st.fragment
def _body(view: AssessmentView, read_only: bool) -> None:
    """Everything that changes while answering: progress, the view menu, the questions, previous/next.

    A fragment: an answer saved by its callback reruns only this, not the page and the sidebar.
    Someone may submit or reopen the assessment between two answers: then the whole page reruns
    with the new state (read only, or editable again) instead of offering edits that would be refused.
    """
    if get_assessment(engine(), actor(), view.id).status != view.status:
        st.rerun(scope="app")
    q = assessment_questionnaire(view)
    result = assessment_result(engine(), actor(), view.id)
    views = _views(q, set(result.applicable))
    if not views:
        st.warning(tr("questionnaire.nothing_applies"))
        return
    answers = load_answers(engine(), actor(), view.id)
    _progress(q, result)
    ids = [v[0] for v in views]
    labels = {v[0]: v[1] for v in views}
    done = {qid for qid, a in answers.items() if a.answered}
    counts = {v[0]: (sum(i in done for i in v[2]), len(v[2])) for v in views}
    current = _current_view(view.id, ids)
    menu = {s: tr("questionnaire.jump_option", label=labels[s], answered=counts[s][0], total=counts[s][1])
            for s in ids}
    st.selectbox(tr("questionnaire.jump"), ids, key=_jump_key(view.id), format_func=menu.__getitem__)
    st.session_state.setdefault(VIEW, {})[view.id] = current
    st.session_state.setdefault(APPLIED, {})[view.id] = current
    if st.query_params.get("sub") != current:
        st.query_params["sub"] = current
    _, _, qids, hidden = next(v for v in views if v[0] == current)
    d, s = q.dimension_of(qids[0])
    st.header(qt(s.name), anchor=False)
    st.caption(f"{d.id} {qt(d.name)} › {s.id}")
    st.write(qt(s.description))
    if hidden:
        st.caption(tr("questionnaire.hidden", n=hidden))
    questions = [q.question(i) for i in qids]
    if read_only:
        for x in questions:
            a = answers.get(x.id)
            _seed(x.id, a.level if a else None, bool(a and a.na), a.justification if a else "",
                  a.note if a else "")
    else:
        _sync(view.id, questions, answers)
    for x in questions:
        _question(q, view.id, x, answers.get(x.id), read_only)
    _nav_buttons(view.id, ids, current)
    if current == ids[-1] or not result.to_answer:
        st.page_link("app_pages/results.py", query_params={"assessment": str(view.id)},
                     label=tr("questionnaire.to_results"), icon=":material/radar:")


def main() -> None:
    who = actor()
    st.title(tr("questionnaire.title"))
    view = current_assessment(who, prefer_draft=True)
    if view is None:
        st.info(tr("questionnaire.no_assessment"))
        st.page_link("app_pages/assessments.py", label=tr("nav.assessments"), icon=":material/list_alt:")
        return
    st.caption(assessment_caption(view))
    read_only = view.status != "draft"
    if read_only:
        st.info(tr("questionnaire.read_only"))
    else:
        st.caption(tr("questionnaire.autosave_note"))
    if view.form == "core":
        st.caption(tr("questionnaire.core_note"))
    _body(view, read_only)


guarded(main)
