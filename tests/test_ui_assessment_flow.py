"""The assessment experience end to end in AppTest: profile → assessment → answers → results.

What a user would notice: the organisation they created, every answer kept (autosave, new
sessions, language switch), N/A refused without a reason, the same numbers as the scoring
engine, and another organisation's assessment never shown.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from enums import AnswerSource
from services.access import Actor
from services.assessments import AnswerInputData, save_answers_bulk, submit
from services.organisations import get_organisation, list_organisations
from services.results import assessment_result
from tests.support.apptest import app_test
from tests.ui_flow import (
    PASSWORD,
    answer_keys,
    expected,
    gap_frame,
    msg,
    new_assessment,
    open_page,
    org_admin,
    q,
    stored,
    texts,
)

NA = -1


def _profile_choice() -> dict[str, Any]:
    """A profile different from the defaults, built from the questionnaire's own fields."""
    out: dict[str, Any] = {}
    for f in q().profile.fields:
        ids = f.option_ids()
        if f.type == "multi":
            out[f.id] = ids[:2]
        elif f.type == "bool":
            out[f.id] = not bool(f.default)
        else:
            out[f.id] = ids[-1] if f.default != ids[-1] else ids[0]
    return out


def test_profile_to_results_then_language_switch_keeps_every_answer(app_db: str, engine: Engine) -> None:
    from services.accounts import create_user

    user = create_user(engine, "founder", PASSWORD)
    at = app_test(user.id)
    at.run()
    at.switch_page("app_pages/profile.py").run()
    assert msg("profile.no_org_intro") in texts(at)

    # 1. Create the organisation from the generated profile form.
    profile = _profile_choice()
    at.text_input(key="new_name").input("星河智能科技有限公司")
    for f in q().profile.fields:
        widget = {"multi": at.multiselect, "single": at.selectbox, "bool": at.toggle}[f.type]
        widget(key=f"new_{f.id}").set_value(profile[f.id])
    at.run()
    at.button(key="profile_create").click().run()
    assert not at.exception
    orgs = list_organisations(engine, Actor.system())
    assert [(o.name, o.profile, o.target_preset) for o in orgs] == [("星河智能科技有限公司", profile, None)]
    assert msg("profile.created", name="星河智能科技有限公司") in texts(at)
    org_id = orgs[0].id
    assert at.session_state["org_id"] == org_id

    # 2. Start a full-form assessment on the assessments page.
    at.switch_page("app_pages/assessments.py").run()
    at.text_input(key="new_title").input("2025 年度自评估")
    at.radio(key="new_form").set_value("full")
    next(b for b in at.button if b.label == msg("assessments.start")).click().run()
    assert not at.exception
    aid = at.session_state["assessment_id"]
    at.switch_page("app_pages/questionnaire.py").run()
    assert at.query_params["assessment"] == str(aid)

    # 3. Answer the whole first view: one N/A with a reason, one level with a note, the rest levels.
    qids = answer_keys(at)
    assert len(qids) >= 3
    first = q().dimension_of(qids[0])[1]
    assert at.subheader[0].value == f"{first.id} {first.name['zh']}"
    at.radio(key=f"ans_{qids[0]}").set_value(NA).run()
    at.text_input(key=f"na_{qids[0]}").input("本组织不自行训练模型").run()
    at.radio(key=f"ans_{qids[1]}").set_value(2).run()
    at.text_area(key=f"note_{qids[1]}").input("证据：AI 管理制度 v1.2（2025-03 批准）").run()
    for i, qid in enumerate(qids[2:]):
        at.radio(key=f"ans_{qid}").set_value((i + 3) % 6).run()
    assert not at.exception
    saved = stored(engine, aid)
    assert set(saved) == set(qids)
    assert (saved[qids[0]].na, saved[qids[0]].level, saved[qids[0]].justification) == (True, None, "本组织不自行训练模型")
    assert (saved[qids[1]].level, saved[qids[1]].note) == (2, "证据：AI 管理制度 v1.2（2025-03 批准）")
    assert [saved[x].level for x in qids[2:]] == [(i + 3) % 6 for i in range(len(qids) - 2)]

    # 4. The results page shows the engine's numbers for exactly these answers.
    want = expected(engine, aid, profile)
    at.switch_page("app_pages/results.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[msg("results.overall_score")] == f"{want.overall.score:.2f}"
    assert metrics[msg("results.completeness")] == f"{want.completeness * 100:.1f}%"
    assert metrics[msg("results.percent_to_target")] == f"{want.percent_to_target * 100:.1f}%"
    assert metrics[msg("results.target_preset")] == q().preset(q().default_preset(profile)).name["zh"]
    level = want.overall.level
    names = {x.level: x.name["zh"] for x in q().meta.scale}
    assert metrics[msg("results.overall_level")].startswith(f"{level} {names[level]}" if level else "")
    if want.overall.score > level:  # between two levels: "part of the way" to the next one is said
        assert metrics[msg("results.overall_level")].endswith(
            msg("common.level_partial", level=f"{level + 1} {names[level + 1]}"))
    assert want.gaps, "the answers above must leave at least one gap"
    gap_table = gap_frame(at)
    assert gap_table.iloc[0][msg("results.col_question_id")] == want.gaps[0].question_id
    assert list(gap_table[msg("results.col_question_id")]) == [g.question_id for g in want.gaps]

    # 5. Switch to English: the answers are all still there, in an English page.
    at.radio(key="lang_switch").set_value("en").run()
    at.switch_page("app_pages/questionnaire.py").run()
    assert not at.exception
    assert at.title[0].value == msg("questionnaire.title", "en")
    assert at.radio(key=f"ans_{qids[0]}").value == NA
    assert at.text_input(key=f"na_{qids[0]}").value == "本组织不自行训练模型"
    assert at.radio(key=f"ans_{qids[1]}").value == 2
    assert at.text_area(key=f"note_{qids[1]}").value == "证据：AI 管理制度 v1.2（2025-03 批准）"
    assert [at.radio(key=f"ans_{x}").value for x in qids[2:]] == [(i + 3) % 6 for i in range(len(qids) - 2)]
    assert q().question(qids[1]).text["en"] in at.radio(key=f"ans_{qids[1]}").label
    assert stored(engine, aid) == saved  # switching language saved nothing new


def test_every_answer_survives_a_new_session(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    at = open_page(alice, "questionnaire", assessment=aid)
    qids = answer_keys(at)
    for i, qid in enumerate(qids):
        at.radio(key=f"ans_{qid}").set_value(i % 6).run()
    at.text_area(key=f"note_{qids[-1]}").input("会议纪要 2025-04").run()
    del at  # the browser tab is closed: nothing is kept but the database

    again = open_page(alice, "questionnaire", assessment=aid)
    assert answer_keys(again) == qids
    assert [again.radio(key=f"ans_{x}").value for x in qids] == [i % 6 for i in range(len(qids))]
    assert again.text_area(key=f"note_{qids[-1]}").value == "会议纪要 2025-04"
    assert {x: (a.level, a.revision) for x, a in stored(engine, aid).items()} == {
        x: (i % 6, 1 if x != qids[-1] else 2) for i, x in enumerate(qids)}


def test_na_without_reason_is_refused_with_a_message_and_nothing_else_is_lost(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    at = open_page(alice, "questionnaire", assessment=aid)
    a, b, c = answer_keys(at)[:3]
    at.radio(key=f"ans_{a}").set_value(3).run()
    at.text_area(key=f"note_{b}").input("负责人：张三").run()

    at.radio(key=f"ans_{a}").set_value(NA).run()  # N/A over a stored level, no reason yet
    at.radio(key=f"ans_{c}").set_value(NA).run()  # N/A on an unanswered question, no reason
    shown = texts(at)
    assert msg("questionnaire.na_needs_justification", stored=f"3 {q().meta.scale[3].name['zh']}") in shown
    assert msg("questionnaire.na_needs_justification", stored=msg("questionnaire.no_answer")) in shown
    saved = stored(engine, aid)
    assert (saved[a].level, saved[a].na) == (3, False)
    assert saved[b].note == "负责人：张三"
    assert c not in saved

    # A note typed while the N/A waits for its reason is saved with the stored answer.
    at.text_area(key=f"note_{a}").input("制度待更新").run()
    saved = stored(engine, aid)
    assert (saved[a].level, saved[a].na, saved[a].note) == (3, False, "制度待更新")

    # Giving the reason stores the N/A; the message goes away.
    at.text_input(key=f"na_{a}").input("该系统已下线").run()
    saved = stored(engine, aid)
    assert (saved[a].level, saved[a].na, saved[a].justification, saved[a].note) == (None, True, "该系统已下线", "制度待更新")
    assert msg("questionnaire.na_needs_justification", stored=f"3 {q().meta.scale[3].name['zh']}") not in texts(at)
    assert saved[b].note == "负责人：张三"


def test_another_organisations_assessment_id_shows_not_found_and_none_of_its_data(
        app_db: str, engine: Engine) -> None:
    alice = org_admin(engine, "alice", "Alpha Ltd")
    bob = org_admin(engine, "bobby", "保密科技有限公司")
    secret = new_assessment(engine, bob, title="绝密评估-2025")
    save_answers_bulk(engine, bob.actor(engine), secret,
                      [AnswerInputData(x.id, 4, note="董事会纪要-机密") for x in q().questions()[:8]], source=AnswerSource.CLI)
    new_assessment(engine, alice, title="Alpha review")
    for page in ("questionnaire", "results"):
        for raw in (str(secret), "abc", "999999"):
            at = open_page(alice, page, query={"assessment": raw})
            shown = texts(at)
            assert msg("errors.not_found") in shown
            for leak in ("绝密评估-2025", "保密科技有限公司", "董事会纪要-机密", "Alpha review"):
                assert leak not in shown
            assert not answer_keys(at)
            assert not at.metric
            assert "assessment_id" not in at.session_state or at.session_state["assessment_id"] != secret


def test_two_people_answering_at_once_see_a_conflict_and_choose(app_db: str, engine: Engine) -> None:
    from tests.ui_flow import respondent

    alice = org_admin(engine)
    rita = respondent(engine, alice)
    aid = new_assessment(engine, alice)
    at_a = open_page(alice, "questionnaire", assessment=aid)
    at_r = open_page(rita, "questionnaire", assessment=aid)
    qid = answer_keys(at_a)[0]

    at_a.radio(key=f"ans_{qid}").set_value(2).run()
    at_r.radio(key=f"ans_{qid}").set_value(4).run()  # Rita still sees the unanswered question
    conflict = msg("questionnaire.conflict", author="alice", theirs=f"2 {q().meta.scale[2].name['zh']}",
                   their_note="—", mine=f"4 {q().meta.scale[4].name['zh']}")
    assert conflict in texts(at_r)
    assert (stored(engine, aid)[qid].level, stored(engine, aid)[qid].updated_by) == (2, "alice")

    at_r.button(key=f"mine_{qid}").click().run()
    assert (stored(engine, aid)[qid].level, stored(engine, aid)[qid].updated_by) == (4, "rita")
    assert conflict not in texts(at_r)

    at_a.radio(key=f"ans_{qid}").set_value(1).run()  # Alice saw her own 2, Rita has since saved 4
    assert stored(engine, aid)[qid].level == 4
    at_a.button(key=f"keep_{qid}").click().run()
    assert at_a.radio(key=f"ans_{qid}").value == 4
    assert stored(engine, aid)[qid].level == 4


def _pages(engine: Engine, member: Any, aid: int) -> list[Any]:
    from app_pages.paging import question_pages

    return question_pages(q(), set(assessment_result(engine, member.actor(engine), aid).applicable))


def _title(page: Any) -> str:
    return f"{page.dimension.id} {page.dimension.name['zh']}"


def test_pages_follow_previous_next_jump_and_the_sub_link(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    pages = _pages(engine, alice, aid)
    at = open_page(alice, "questionnaire", assessment=aid)
    assert at.header[0].value == _title(pages[0])
    assert [h.value for h in at.subheader] == [f"{s.sub.id} {s.sub.name['zh']}" for s in pages[0].sections]
    assert answer_keys(at) == list(pages[0].question_ids)
    at.button(key="q_next").click().run()
    assert answer_keys(at) == list(pages[1].question_ids)
    assert at.query_params["sub"] == pages[1].id
    at.button(key="q_prev").click().run()
    assert answer_keys(at) == list(pages[0].question_ids)
    at.selectbox(key=f"q_jump_{aid}").set_value(pages[-1].id).run()
    assert at.header[0].value == _title(pages[-1])
    assert at.button(key="q_next").disabled

    # The results page's "to answer" links carry the sub-dimension; following one opens the page holding it.
    subs = [s.sub for p in pages for s in p.sections]
    res = open_page(alice, "results", assessment=aid)
    links = [el.proto for el in res.get("page_link") if "sub=" in el.proto.query_string]
    assert {link.query_string for link in links} == {f"assessment={aid}&sub={s.id}" for s in subs}
    holder = next(p for p in pages if len(p.sections) > 1)
    linked = open_page(alice, "questionnaire", query={"assessment": str(aid), "sub": holder.sections[1].sub.id})
    assert answer_keys(linked) == list(holder.question_ids)


def test_next_unanswered_goes_to_the_first_open_question_from_the_current_page_on(
        app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice, form="core")
    pages = _pages(engine, alice, aid)
    skipped = pages[0].question_ids[1]
    answered = [x for p in pages[:2] for x in p.question_ids if x != skipped]
    save_answers_bulk(engine, alice.actor(engine), aid, [AnswerInputData(x, 2) for x in answered], source=AnswerSource.CLI)
    at = open_page(alice, "questionnaire", assessment=aid)
    at.button(key="q_next_open").click().run()  # from page 1: the skipped question on this page
    assert at.selectbox(key=f"q_jump_{aid}").value == pages[0].id
    at.selectbox(key=f"q_jump_{aid}").set_value(pages[1].id).run()
    at.button(key="q_next_open").click().run()  # from page 2 (all answered): page 3 comes first
    assert answer_keys(at) == list(pages[2].question_ids)
    save_answers_bulk(engine, alice.actor(engine), aid,
                      [AnswerInputData(x, 1) for p in pages[2:] for x in p.question_ids], source=AnswerSource.CLI)
    at.selectbox(key=f"q_jump_{aid}").set_value(pages[-1].id).run()
    at.button(key="q_next_open").click().run()  # from the last page: wraps around to the skipped one
    assert answer_keys(at) == list(pages[0].question_ids)
    save_answers_bulk(engine, alice.actor(engine), aid, [AnswerInputData(skipped, 3)], source=AnswerSource.CLI)
    at.run()
    assert at.button(key="q_next_open").disabled  # nothing left to answer


def test_only_applicable_questions_and_core_questions_of_the_short_form_are_shown(
        app_db: str, engine: Engine) -> None:
    profile = q().default_profile()
    hidden = [x.id for x in q().questions() if not q().applies(x, profile)]
    assert hidden, "the default profile must make some questions inapplicable for this test"
    alice = org_admin(engine, profile=profile)
    for form in ("full", "core"):
        aid = new_assessment(engine, alice, form=form)
        at = open_page(alice, "questionnaire", assessment=aid)
        seen = answer_keys(at)
        while not at.button(key="q_next").disabled:
            at.button(key="q_next").click().run()
            seen += answer_keys(at)
        want = [x.id for x in q().questions() if q().applies(x, profile) and (form == "full" or x.core)]
        assert seen == want
        assert not set(seen) & set(hidden)


def test_changing_the_profile_hides_questions_but_keeps_their_answers(app_db: str, engine: Engine) -> None:
    conditional = next(x for x in q().questions() if x.applies_if is not None)
    profile_on = _profile_making(conditional, applies=True)
    profile_off = _profile_making(conditional, applies=False)
    alice = org_admin(engine, profile=profile_on)
    aid = new_assessment(engine, alice)
    sub = q().dimension_of(conditional.id)[1].id
    at = open_page(alice, "questionnaire", query={"assessment": str(aid), "sub": sub})
    at.radio(key=f"ans_{conditional.id}").set_value(4).run()

    page = open_page(alice, "profile")
    for f in q().profile.fields:
        widget = {"multi": page.multiselect, "single": page.selectbox, "bool": page.toggle}[f.type]
        widget(key=f"prof_{f.id}").set_value(profile_off[f.id])
    page.run()
    page.button(key="profile_save").click().run()
    assert get_organisation(engine, Actor.system(), alice.org_id).profile == profile_off

    at = open_page(alice, "questionnaire", query={"assessment": str(aid), "sub": sub})
    assert conditional.id not in answer_keys(at)
    assert stored(engine, aid)[conditional.id].level == 4
    assert conditional.id not in assessment_result(engine, Actor.system(), aid).applicable

    page = open_page(alice, "profile")
    for f in q().profile.fields:
        widget = {"multi": page.multiselect, "single": page.selectbox, "bool": page.toggle}[f.type]
        widget(key=f"prof_{f.id}").set_value(profile_on[f.id])
    page.run()
    page.button(key="profile_save").click().run()
    at = open_page(alice, "questionnaire", query={"assessment": str(aid), "sub": sub})
    assert at.radio(key=f"ans_{conditional.id}").value == 4


def _profile_making(question: Any, *, applies: bool) -> dict[str, Any]:
    """A valid profile under which ``question`` applies (or not), searched over the fields' options."""
    import itertools

    fields = q().profile.fields
    choices: list[list[Any]] = []
    for f in fields:
        ids = f.option_ids()
        choices.append([[i] for i in ids] + [ids] if f.type == "multi" else ids)
    for combo in itertools.product(*choices):
        profile = dict(zip([f.id for f in fields], combo, strict=True))
        if q().applies(question, profile) == applies:
            return profile
    raise AssertionError(f"no profile makes {question.id} applies={applies}")


def test_a_submitted_assessment_is_shown_read_only(app_db: str, engine: Engine) -> None:

    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    save_answers_bulk(engine, alice.actor(engine), aid, [AnswerInputData(x.id, 3) for x in q().questions()[:4]],
                      source=AnswerSource.CLI)
    submit(engine, alice.actor(engine), aid)
    at = open_page(alice, "questionnaire", assessment=aid)
    assert msg("questionnaire.read_only") in texts(at)
    radios = [r for r in at.radio if r.key and r.key.startswith("ans_")]
    assert radios and all(r.disabled for r in radios)
    assert [r.value for r in radios] == [3 if r.key[4:] in {x.id for x in q().questions()[:4]} else None
                                         for r in radios]


def test_switching_language_on_the_questionnaire_keeps_the_view_and_the_answers(app_db: str,
                                                                                 engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    at = open_page(alice, "questionnaire", assessment=aid)
    at.button(key="q_next").click().run()
    qids = answer_keys(at)
    at.radio(key=f"ans_{qids[0]}").set_value(4).run()
    at.radio(key=f"ans_{qids[1]}").set_value(NA).run()
    at.text_input(key=f"na_{qids[1]}").input("不适用于本组织").run()
    view = at.header[0].value
    page_id = at.selectbox(key=f"q_jump_{aid}").value

    at.radio(key="lang_switch").set_value("en").run()
    assert not at.exception
    dim = q().dimension_of(qids[0])[0]
    assert at.header[0].value == f"{dim.id} {dim.name['en']}" != view
    assert at.radio(key=f"ans_{qids[0]}").value == 4
    assert at.radio(key=f"ans_{qids[1]}").value == NA
    assert at.text_input(key=f"na_{qids[1]}").value == "不适用于本组织"
    assert at.selectbox(key=f"q_jump_{aid}").value == page_id
    at.button(key="q_next").click().run()  # navigation still works after the labels changed
    assert at.selectbox(key=f"q_jump_{aid}").value != page_id
    assert {x: (a.level, a.na) for x, a in stored(engine, aid).items()} == {qids[0]: (4, False),
                                                                          qids[1]: (None, True)}


def test_a_change_made_after_someone_else_submitted_is_reported_not_lost_and_the_page_turns_read_only(
        app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice)
    at = open_page(alice, "questionnaire", assessment=aid)
    qids = answer_keys(at)
    at.radio(key=f"ans_{qids[0]}").set_value(2).run()
    submit(engine, alice.actor(engine), aid)  # e.g. a colleague in another tab submits

    at.radio(key=f"ans_{qids[1]}").set_value(4).run()  # this screen still offered the question
    assert not at.exception
    assert {x: a.level for x, a in stored(engine, aid).items()} == {qids[0]: 2}
    assert msg("questionnaire.read_only") in texts(at)
    assert msg("questionnaire.not_saved_submitted", mine=f"4 {q().meta.scale[4].name['zh']}", note="—") \
        in [e.value for e in at.error]
    radios = [r for r in at.radio if r.key and r.key.startswith("ans_")]
    assert radios and all(r.disabled for r in radios)
    assert at.radio(key=f"ans_{qids[0]}").value == 2


def test_each_assessment_keeps_its_own_view_and_a_sub_link_always_opens_that_sub_dimension(
        app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    first, second = new_assessment(engine, alice, title="A"), new_assessment(engine, alice, title="B")
    pages = _pages(engine, alice, second)

    def show(aid: int, page: str = "questionnaire", sub: str | None = None) -> None:
        at.query_params.clear()
        at.query_params.update({"assessment": str(aid), **({"sub": sub} if sub else {})})
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception

    at = open_page(alice, "questionnaire", assessment=second)
    at.selectbox(key=f"q_jump_{second}").set_value(pages[1].id).run()  # B: left on the second page
    show(first, sub=pages[0].id)  # A: opened through a link to the first page
    assert answer_keys(at) == list(pages[0].question_ids)
    show(second, page="results")
    show(second, sub=pages[0].id)  # B's "to answer" link to the page A showed last
    assert answer_keys(at) == list(pages[0].question_ids)
    assert at.selectbox(key=f"q_jump_{second}").value == pages[0].id
    show(first)  # A without a link: where A was, not where B is
    assert answer_keys(at) == list(pages[0].question_ids)
