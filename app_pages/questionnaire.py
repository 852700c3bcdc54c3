"""The questionnaire: a page of whole sub-dimensions at a time, every answer saved the moment it is given.

Pages (app_pages/paging.py) hold up to about eight questions of one dimension; "previous", "next",
the jump list and "next unanswered" bring the new page's title (or the open question) to the top
of the screen. Notes and justifications are committed while the user types (TEXT_AUTOSAVE_JS), not
only when the field loses focus. Stable widget keys from
question ids (``ans_<qid>``, ``na_<qid>``, ``note_<qid>``) with numeric option values, re-seeded
from the stored answers so navigation, refreshes and language switches keep every value. Each
change is saved by an on_change callback with the revision the user saw; a newer revision by
someone else is a conflict the user resolves. The question list is a fragment, so a save reruns
only the list (and the progress shown with it), and no chart is drawn on this page.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app_pages.answer_extras import QuestionExtras, load_extras
from app_pages.assessment_context import (
    assessment_caption,
    assessment_questionnaire,
    current_assessment,
    fmt_time,
    keep_choice,
    keep_state,
    page_state,
)
from app_pages.common import (
    RELATION_KEYS,
    actor,
    current_actor,
    engine,
    fmt_pct,
    guarded,
    lang,
    page_script,
    problem_markdown,
    qt,
    tr,
    tr_plain,
)
from app_pages.paging import QuestionPage, next_unanswered, page_of, question_pages
from enums import AnswerSource, AssessmentForm, AssessmentStatus
from problems import Problem
from questionnaires import Questionnaire
from questionnaires.schema import Question
from scoring.types import AssessmentResult
from services.assessments import (
    AnswerInputData,
    AnswerView,
    AssessmentView,
    confirm_carried,
    save_answer_and_read,
)
from services.errors import ConflictError, DatabaseBusy, InvalidInput, ServiceError, StateError

NA = -1  # option value of "not applicable" next to the levels 0..5
OPTIONS = [0, 1, 2, 3, 4, 5, NA]
MAX_TEXT = 5000
SEEN = "q_seen"  # {assessment id: {qid: AnswerView | None}}: what the user was shown (revision base)
CONFLICTS = "q_conflicts"  # {assessment id: {qid: (Conflict, AnswerInputData)}}
ERRORS = "q_errors"  # {assessment id: {qid: [Problem or message from tr(), …]}}
VIEW = "q_view"  # {assessment id: sub-dimension id}: the view to return to
APPLIED = "q_sub_applied"  # {assessment id: sub-dimension id}: the last view shown, to spot a new ?sub= link
SCROLL = "q_scroll"  # {assessment id: (nonce, element key)}: where the next run brings the screen
IDENTITY = "q_identity"  # {assessment id: creation time}: tells a reused id from the assessment it had
SHOWN = "q_shown"  # (id, creation time) of the assessment whose answers the widgets hold
TOP = "q_top"  # the page header's container key: the target of "previous", "next" and the jump list
CROSSWALKS = ("nist_ai_rmf", "iso42001", "tc260", "eu_ai_act")
AUTOSAVE_DELAY_MS = 800
# Notes and justifications are committed by Streamlit only on blur or Ctrl+Enter (Enter for one line),
# so text typed before a reload or a closed tab was lost. This script, installed once per browser tab,
# commits such a field by sending it that key press when typing pauses (never during IME composition),
# and at once when the tab is hidden, closed or reloaded; the usual on_change callback then saves it.
# No '<' anywhere: st.html's sanitiser would escape it and the script would not run.
TEXT_AUTOSAVE_JS = (
    "if(!window.aigovTextAutosave){window.aigovTextAutosave=1;"
    "var pending=new Map(),composing=false,"
    "SEL='[class*=\"st-key-note_\"] textarea,[class*=\"st-key-na_\"] input';"
    "function commit(el){clearTimeout(pending.get(el));pending.delete(el);"
    "el.dispatchEvent(new KeyboardEvent('keydown',{key:'Enter',code:'Enter',keyCode:13,which:13,"
    "ctrlKey:el.tagName==='TEXTAREA',bubbles:true,cancelable:true}));}"
    "function later(el){clearTimeout(pending.get(el));pending.set(el,setTimeout(function(){"
    f"if(composing){{later(el);return}}commit(el);}},{AUTOSAVE_DELAY_MS}));}}"
    "document.addEventListener('compositionstart',function(){composing=true},true);"
    "document.addEventListener('compositionend',function(){composing=false},true);"
    "document.addEventListener('input',function(e){var el=e.target;"
    "if(el&&el.matches&&el.matches(SEL))later(el);},true);"
    "function flush(){Array.from(pending.keys()).forEach(commit);}"
    "window.addEventListener('pagehide',flush);window.addEventListener('beforeunload',flush);"
    "document.addEventListener('visibilitychange',function(){if(document.visibilityState==='hidden')flush();});}"
)


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
        state = save_answer_and_read(engine(), who, aid, data, expected_revision=expected, source=AnswerSource.UI)
    except ConflictError as exc:
        conflicts[data.question_id] = (exc.conflict, data)
        return
    except InvalidInput as exc:
        errors[data.question_id] = exc.problems  # shown in the language of the moment
        return
    except StateError:  # submitted by someone else meanwhile: say what was not saved; the fragment turns read only
        q = assessment_questionnaire(page_state(who, aid).view)
        errors[data.question_id] = [tr("questionnaire.not_saved_submitted",
                                       mine=_answer_text(q, data.level, data.na, data.justification),
                                       note=data.note or "—")]
        return
    except DatabaseBusy:  # other writers held the database past its wait (one overloaded SQLite process)
        # The level shows what is stored again, so no unsaved choice looks made; typed texts stay in their
        # fields (the next save carries them) and the message names the choice that was not saved.
        q = assessment_questionnaire(page_state(who, aid).view)
        before = _store(SEEN, aid).get(data.question_id)
        st.session_state[f"ans_{data.question_id}"] = _widget_value(before.level, before.na) if before else None
        errors[data.question_id] = [tr("questionnaire.not_saved_busy",
                                       mine=_answer_text(q, data.level, data.na, data.justification))]
        return
    except ServiceError as exc:
        errors[data.question_id] = [exc.problem if isinstance(exc, StateError) and exc.problem else tr(exc.key)]
        return
    keep_state(state)  # the page drawn next in this run shows the saved state without reading it again
    errors.pop(data.question_id, None)
    conflicts.pop(data.question_id, None)
    _store(SEEN, aid)[data.question_id] = state.answers[data.question_id]


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

def _option_label(q: Questionnaire, question: Question, value: int) -> str:
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
        refs = [(tr(f"questionnaire.crosswalk_{k}"), x.crosswalk.refs(k)) for k in CROSSWALKS]
        refs = [(name, ids) for name, ids in refs if ids]
        if refs:
            st.markdown(f"**{tr('questionnaire.crosswalk')}**")
            lines = [f"- {name}: " + ", ".join(f"{ref} ({tr(RELATION_KEYS[rel])})" for ref, rel in ids)
                     for name, ids in refs]
            st.markdown("\n".join(lines))
            st.caption(tr("questionnaire.crosswalk_note"))


def _question(q: Questionnaire, aid: int, x: Question, stored: AnswerView | None, read_only: bool,
              extras: QuestionExtras | None = None) -> None:
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
            # A service's Problem is worded here, in the language of the moment; the page's own messages
            # (not saved because submitted meanwhile, a refused save) were worded by tr() when kept.
            st.error(problem_markdown(problem) if isinstance(problem, Problem) else problem)
        _conflict(q, aid, qid)
        if stored is not None:
            st.caption(tr("questionnaire.saved", at=fmt_time(stored.updated_at), by=stored.updated_by or "—"))
        if extras is not None:
            extras.render(qid, read_only)
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


# --- navigation --------------------------------------------------------------------------------------------

def _current_page(aid: int, pages: list[QuestionPage]) -> str:
    """The page to show: a new ?sub= link first, then the jump menu, then where the user was."""
    jump = _jump_key(aid)
    ids = [p.id for p in pages]
    requested = page_of(pages, st.query_params.get("sub") or "")
    if requested is not None and st.query_params.get("sub") != st.session_state.setdefault(APPLIED, {}).get(aid):
        st.session_state[jump] = requested
    else:
        keep_choice(jump)  # the menu's labels carry live answer counts
    remembered = page_of(pages, st.session_state.setdefault(VIEW, {}).get(aid) or "")
    if st.session_state.get(jump) not in ids:
        st.session_state[jump] = remembered or ids[0]
    return st.session_state[jump]


def _scroll_to(aid: int, target: str) -> None:
    """Ask the next run to bring ``target`` (an element key) to the top of the screen, once."""
    nonce = st.session_state.get(SCROLL, {}).get(aid, (0, ""))[0] + 1
    st.session_state.setdefault(SCROLL, {})[aid] = (nonce, target)


def _step(aid: int, ids: list[str], delta: int) -> None:
    jump = _jump_key(aid)
    current = st.session_state.get(jump)
    i = (ids.index(current) if current in ids else 0) + delta
    st.session_state[jump] = ids[max(0, min(len(ids) - 1, i))]
    _scroll_to(aid, TOP)


def _to_unanswered(aid: int, target: tuple[str, str]) -> None:
    st.session_state[_jump_key(aid)] = target[0]
    _scroll_to(aid, f"qbox_{target[1]}")


def _nav_buttons(aid: int, ids: list[str], current: str) -> None:
    i = ids.index(current)
    prev_col, info_col, next_col = st.columns([1, 2, 1], vertical_alignment="center")
    prev_col.button(tr("questionnaire.previous"), key="q_prev", on_click=_step, args=(aid, ids, -1),
                    disabled=i == 0, icon=":material/arrow_back:", width="stretch")
    info_col.markdown(f"<div style='text-align:center'>{tr('questionnaire.page_of', n=i + 1, total=len(ids))}</div>",
                      unsafe_allow_html=True)
    next_col.button(tr("questionnaire.next"), key="q_next", on_click=_step, args=(aid, ids, 1),
                    disabled=i == len(ids) - 1, icon=":material/arrow_forward:", width="stretch", type="primary")


def _header(q: Questionnaire, view: AssessmentView, result: AssessmentResult, read_only: bool) -> None:
    """Title, which assessment, the saving rule, progress: a few lines, so the first question is on screen."""
    st.title(tr("questionnaire.title"), anchor=False)
    lines = [assessment_caption(view)]
    if view.form == AssessmentForm.CORE:
        lines.append(tr("questionnaire.core_note"))
    if not read_only:
        lines.append(tr("questionnaire.autosave_note"))
    st.caption("  \n".join(lines))
    if read_only:
        st.info(tr("questionnaire.read_only"))
    carried_notice(view)
    overall = result.overall
    names = q.unit_labels(lang())
    per_dimension = " · ".join(tr("questionnaire.dimension_progress", name=names[("dimension", u.id)], answered=u.answered,
                                  applicable=u.applicable) for u in result.dimensions)
    st.progress(overall.completeness or 0.0,
                text=tr("questionnaire.progress", answered=overall.answered, applicable=overall.applicable,
                        pct=fmt_pct(overall.completeness)) + "  \n" + per_dimension)


def _menu(q: Questionnaire, aid: int, pages: list[QuestionPage], current: str, done: set[str]) -> None:
    """The jump list, "next unanswered" and the rating rule, side by side (one row of the header)."""
    names = q.unit_labels(lang())

    def label(p: QuestionPage) -> str:
        subs = ("、" if lang() == "zh" else ", ").join(names[("subdimension", s.sub.id)] for s in p.sections)
        return tr_plain("questionnaire.jump_option", n=pages.index(p) + 1, label=names[("dimension", p.dimension.id)],
                  subs=subs, answered=sum(i in done for i in p.question_ids), total=len(p.question_ids))
    menu = {p.id: label(p) for p in pages}
    left, right, rule = st.columns([7, 2, 2], vertical_alignment="bottom")
    left.selectbox(tr("questionnaire.jump"), list(menu), key=_jump_key(aid), format_func=menu.__getitem__,
                   on_change=_scroll_to, args=(aid, TOP), label_visibility="collapsed")
    target = next_unanswered(pages, current, done)
    right.button(tr("questionnaire.next_unanswered"), key="q_next_open", icon=":material/skip_next:",
                 width="stretch", disabled=target is None, on_click=_to_unanswered, args=(aid, target),
                 help=tr("questionnaire.next_unanswered_help"))
    with rule:
        rating_rule(q)


def _scroll(aid: int) -> None:
    """Bring the element asked for by the last navigation to the top of the screen (once per request).

    Streamlit replaces a page's elements in place and keeps the scroll position, so "next" pressed
    at the bottom would open the next page below its first questions. The script runs in the page
    (st.html with JavaScript), waits until the element is drawn and scrolls it into view under
    Streamlit's top bar. The nonce makes each request a new element, so it runs exactly once.
    """
    request = st.session_state.get(SCROLL, {}).get(aid)
    if request is None:
        return
    nonce, target = request
    page_script(f"/*{nonce}*/var n=0;(function go(){{var el=document.querySelector('.st-key-{target}');"
                "if(!el){if(60>n++)setTimeout(go,50);return}"
                "el.style.scrollMarginTop='4rem';el.scrollIntoView({block:'start'});})();")
    st.session_state[SCROLL].pop(aid, None)


def _forget_other_assessments(view: AssessmentView, q: Questionnaire) -> None:
    """Start from the stored answers whenever this tab shows another assessment than last time.

    The answer widgets are keyed by question id, and the page's memory (what was seen, the page, a
    pending conflict) by assessment id. A draft deleted and a new one given the same id (SQLite reuses
    the highest id) must not show the old draft's choices or page; neither may switching between two
    assessments carry one's unsaved widget values into the other. An assessment is known by its id
    and creation time, so a reused id is a different assessment.
    """
    identity = (view.id, view.created_at.isoformat())
    known = st.session_state.setdefault(IDENTITY, {})
    if known.get(view.id) not in (None, identity[1]):  # the same id, another assessment
        for name in (SEEN, CONFLICTS, ERRORS, VIEW, APPLIED, SCROLL):
            st.session_state.get(name, {}).pop(view.id, None)
        st.session_state.pop(_jump_key(view.id), None)
    known[view.id] = identity[1]
    if st.session_state.get(SHOWN) != identity:
        for x in q.questions():
            for prefix in ("ans_", "na_", "note_"):
                st.session_state.pop(f"{prefix}{x.id}", None)
        st.session_state.get(SEEN, {}).pop(view.id, None)  # re-seed every widget from the stored answers
        st.session_state[SHOWN] = identity


@st.fragment
def _body(view: AssessmentView, read_only: bool) -> None:
    """Everything that changes while answering: progress, the page menu, the questions, previous/next.

    A fragment: an answer saved by its callback reruns only this, not the page and the sidebar.
    Someone may submit or reopen the assessment between two answers: then the whole page reruns
    with the new state (read only, or editable again) instead of offering edits that would be refused.
    """
    state = page_state(actor(), view.id)  # read once per run; a full run reuses main()'s read
    if state.view.status != view.status:
        st.rerun(scope="app")
    q = assessment_questionnaire(view)
    _forget_other_assessments(view, q)
    result = state.result
    with st.container(key=TOP):
        _header(q, view, result, read_only)
    pages = question_pages(q, set(result.applicable))
    if not pages:
        st.warning(tr("questionnaire.nothing_applies"))
        return
    answers = state.answers
    done = {qid for qid, a in answers.items() if a.answered}
    current = _current_page(view.id, pages)
    _menu(q, view.id, pages, current, done)
    st.session_state.setdefault(VIEW, {})[view.id] = current
    sub = st.query_params.get("sub")
    page = next(p for p in pages if p.id == current)
    st.session_state.setdefault(APPLIED, {})[view.id] = sub if sub in page.sub_ids else current
    if sub not in page.sub_ids:
        st.query_params["sub"] = current
    questions = [q.question(i) for i in page.question_ids]
    if read_only:
        for x in questions:
            a = answers.get(x.id)
            _seed(x.id, a.level if a else None, bool(a and a.na), a.justification if a else "",
                  a.note if a else "")
    else:
        _sync(view.id, questions, answers)
    extras = load_extras(actor(), state)
    names = q.unit_labels(lang())
    st.header(names[("dimension", page.dimension.id)], anchor=False)
    for section in page.sections:
        st.subheader(names[("subdimension", section.sub.id)], anchor=False)
        lines = [qt(section.sub.description)]
        if section.hidden:
            lines.append(tr("questionnaire.hidden", n=section.hidden))
        st.caption("  \n".join(lines))
        for qid in section.question_ids:
            _question(q, view.id, q.question(qid), answers.get(qid), read_only, extras)
    ids = [p.id for p in pages]
    _nav_buttons(view.id, ids, current)
    if current == ids[-1] or not result.to_answer:
        st.page_link("app_pages/results.py", query_params={"assessment": str(view.id)},
                     label=tr("questionnaire.to_results"), icon=":material/radar:")
    if not read_only:
        page_script(TEXT_AUTOSAVE_JS)
    _scroll(view.id)

def main() -> None:
    who = actor()
    view = current_assessment(who, prefer_draft=True)
    if view is None:
        st.title(tr("questionnaire.title"), anchor=False)
        st.info(tr("questionnaire.no_assessment"))
        st.page_link("app_pages/assessments.py", label=tr("nav.assessments"), icon=":material/list_alt:")
        return
    _body(view, view.status != AssessmentStatus.DRAFT)


def carried_notice(view: AssessmentView) -> None:
    """Answers carried from an assessment (or a workbook) on an older version: which to confirm, which were dropped,
    which are new; and, for an assessment started from an earlier one (on any version), what happened to the
    evidence files of the carried answers."""
    report = page_state(actor(), view.id).carry  # read with the assessment, once per run
    if report is None:
        return
    files = [tr(key, **values) for key, values in report.evidence.messages()] if report.evidence is not None else []
    if report.from_version == report.to_version:
        if files:
            st.info("  \n".join(files))
        return
    intro = "questionnaire.carried_intro_workbook" if report.from_workbook else "questionnaire.carried_intro"
    lines = [tr(intro, old=report.from_version, new=report.to_version)]
    if report.to_confirm:
        lines.append(tr("questionnaire.carried_confirm", ids=", ".join(report.to_confirm)))
    if report.dropped:
        lines.append(tr("questionnaire.carried_dropped", ids=", ".join(d["question"] for d in report.dropped)))
    if report.new:
        lines.append(tr("questionnaire.carried_new", ids=", ".join(report.new)))
    st.info("  \n".join(lines + files))
    if report.to_confirm and view.status == AssessmentStatus.DRAFT and st.button(tr("questionnaire.carried_confirm_all"),
                                                                   key="confirm_carried"):
        n = confirm_carried(engine(), actor(), view.id, report.to_confirm)
        st.toast(tr("questionnaire.carried_confirmed", n=n))
        st.rerun()


def rating_rule(q: Questionnaire) -> None:
    """The questionnaire's rating rule (how to pick a level), one click away: a popover beside the jump
    list, so the header stays one row and the first question starts in the first screen."""
    if q.meta.rating_rule is None:
        return
    with st.popover(tr("questionnaire.rating_rule"), icon=":material/rule:", width="stretch"):
        st.markdown(qt(q.meta.rating_rule))


guarded(main)
