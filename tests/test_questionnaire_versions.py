"""Questionnaire 1.1.0 next to 1.0.0: the declared mapping, carrying answers forward, and the framework-readiness view.

Expected values are computed here from the data files (YAML read directly), never by the code under test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine, select

from cli.main import main as aigov
from db.engine import read_session
from db.models import Answer, Assessment, Organisation
from demo.seed import DEMO_ORG_NAME, seed_demo
from enums import AssessmentForm
from questionnaires import get_questionnaire
from questionnaires.migration import Migration, MigrationError, get_migration, validate_mapping
from scoring import AnswerInput, score_assessment
from scoring.readiness import framework_readiness
from services.access import Actor
from services.assessments import (
    AnswerInputData,
    carry_report,
    confirm_carried,
    create_assessment,
    get_assessment,
    load_answers,
    reopen,
)
from services.results import assessment_result
from services.rounds import reopen_round
from tests.support.answers import save_answer

ROOT = Path(__file__).resolve().parents[1] / "questionnaires"
FAMILY = ROOT / "caict-aigov"
MAPPING = FAMILY / "migrations" / "1.0.0-1.1.0.yml"


def _ids(version: str) -> list[str]:
    out = []
    for dim in ("GOV", "IDE", "ASM", "RES"):
        doc = yaml.safe_load((FAMILY / version / "dimensions" / f"{dim}.yml").read_text(encoding="utf-8"))
        out += [q["id"] for s in doc["subdimensions"] for q in s["questions"]]
    return out


# --- the declared mapping ---------------------------------------------------------------------------

def test_mapping_covers_every_old_and_new_question_exactly_once() -> None:
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    olds = [i for step in doc["steps"] for i in step.get("from", [])]
    news = [i for step in doc["steps"] for i in step.get("to", [])]
    assert sorted(olds) == sorted(_ids("1.0.0")) and len(olds) == len(set(olds))
    assert sorted(news) == sorted(_ids("1.1.0")) and len(news) == len(set(news))
    kinds = {step["kind"] for step in doc["steps"]}
    assert {"reworded", "split", "new"} <= kinds
    assert get_migration("caict-aigov", "1.0.0", "1.1.0").summary() == "60 reworded, 3 split, 2 new"


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["steps"].pop(0), "question GOV-INS-05 of 1.1.0 is in no step's 'to'"),   # a new id lost
    (lambda d: d["steps"].append({"kind": "removed", "from": ["GOV-INS-02"], "why": {"zh": "x", "en": "x"}}),
     "question GOV-INS-02 of 1.0.0 is in 2 steps' 'from'"),                              # an old id twice
    (lambda d: d["steps"].append({"kind": "removed", "from": ["GOV-XXX-01"], "why": {"zh": "x", "en": "x"}}),
     "'GOV-XXX-01' is not a question of 1.0.0"),
    (lambda d: d["steps"][0].update(to=["GOV-INS-05"]), "'split' one old to two or more new"),
])
def test_a_broken_mapping_is_refused_with_its_place(change, expected: str) -> None:
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    doc["steps"].sort(key=lambda s: s["kind"] != "split")  # the split step first
    change(doc)
    with pytest.raises(MigrationError) as info:
        validate_mapping(doc, get_questionnaire(version="1.0.0"), get_questionnaire(version="1.1.0"))
    assert any(expected in p for p in info.value.problems), info.value.problems


def test_cli_diff_prints_the_mapping(capsys: pytest.CaptureFixture[str]) -> None:
    assert aigov(["questionnaire", "diff", "1.0.0", "1.1.0"]) == 0
    out = capsys.readouterr().out
    assert "split     GOV-INS-01" in out and "GOV-INS-05, GOV-INS-06" in out
    assert "new       —" in out and "RES-DIS-04" in out and "RES-TEC-09" in out


def test_show_json_has_sources_and_related_crosswalks(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    assert aigov(["questionnaire", "show", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["version"] == "1.1.0" and data["rating_rule"]["en"].startswith("Levels are cumulative")
    questions = [x for d in data["dimensions"] for s in d["subdimensions"] for x in s["questions"]]
    assert all(x["source"]["framework"] and x["source"]["where"]["zh"] and x["source"]["where"]["en"]
               for x in questions)
    rsd = next(x for x in questions if x["id"] == "RES-RSD-01")
    assert {"id": "MEASURE 2.6", "relation": "intersect"} in rsd["crosswalk"]["nist_ai_rmf"]
    ext2 = next(x for x in questions if x["id"] == "GOV-EXT-02")
    assert "5.5" not in [r["id"] for r in ext2["crosswalk"]["tc260"]]
    eva5 = next(x for x in questions if x["id"] == "ASM-EVA-05")
    assert "A.6.2.6" not in [r["id"] for r in eva5["crosswalk"]["iso42001"]]
    cited = {r["id"] for x in questions for r in x["crosswalk"]["tc260"]}
    assert "4.2.3" in cited
    assert any(r["id"] == "Art. 87" for x in questions for r in x["crosswalk"]["eu_ai_act"])


# --- carrying answers forward -----------------------------------------------------------------------

def _demo_org1(engine: Engine) -> tuple[Actor, int, int]:
    seed_demo(engine)
    with read_session(engine) as s:
        org = s.scalars(select(Organisation).where(Organisation.name == DEMO_ORG_NAME)).one()
        old = s.scalars(select(Assessment).where(Assessment.organisation_id == org.id,
                                                 Assessment.questionnaire_version == "1.0.0")).one()
        return Actor(user_id=None, username="operator", is_platform_admin=True), org.id, old.id


def test_carry_forward_from_a_demo_1_0_0_assessment(engine: Engine) -> None:
    actor, org_id, old_id = _demo_org1(engine)
    old = load_answers(engine, actor, old_id)
    new = create_assessment(engine, actor, org_id, title="重新评估", carry_forward_from=old_id)
    assert new.questionnaire_version == "1.1.0"  # new assessments default to the newest version
    carried = load_answers(engine, actor, new.id)
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    expected_confirm = set()
    for step in doc["steps"]:
        given = [old[i] for i in step.get("from", []) if i in old and old[i].answered]
        if step["kind"] in ("same", "reworded", "split") and given:
            for qid in step["to"]:
                assert (carried[qid].level, carried[qid].na) == (given[0].level, given[0].na), qid
                if step["kind"] != "same":
                    expected_confirm.add(qid)
        elif step["kind"] == "new":
            assert step["to"][0] not in carried
    report = carry_report(engine, actor, new.id)
    assert report is not None and (report.from_version, report.to_version) == ("1.0.0", "1.1.0")
    assert set(report.to_confirm) == expected_confirm and "GOV-INS-05" in expected_confirm
    assert set(report.new) == {"RES-DIS-04", "RES-TEC-09"} and report.dropped == ()
    # answering it again (here: a different level) takes it off the list
    a = carried["GOV-INS-05"]
    save_answer(engine, actor, new.id, AnswerInputData("GOV-INS-05", level=((a.level or 0) + 1) % 6),
                expected_revision=a.revision)
    assert "GOV-INS-05" not in carry_report(engine, actor, new.id).to_confirm
    # confirming the rest as they are changes no answer but empties the list
    pending = carry_report(engine, actor, new.id).to_confirm
    before = load_answers(engine, actor, new.id)
    assert confirm_carried(engine, actor, new.id, pending) == len(pending) > 0
    assert carry_report(engine, actor, new.id).to_confirm == ()
    after = load_answers(engine, actor, new.id)
    assert {k: (v.level, v.na, v.note) for k, v in after.items()} == \
        {k: (v.level, v.na, v.note) for k, v in before.items()}
    assert all(after[k].revision == before[k].revision + 1 for k in pending)  # confirmed like a save



def test_a_note_without_a_level_is_carried_forward_not_lost(engine: Engine) -> None:
    """A respondent wrote notes on questions before giving their level. Carrying forward to 1.1.0 keeps
    those notes on the mapped questions (both parts of a split one) with the level left open: nothing to
    confirm, nothing lost; the carry record lists them."""
    actor, org_id, old_id = _demo_org1(engine)
    round_id = get_assessment(engine, actor, old_id).round_id
    assert round_id is not None
    reopen_round(engine, actor, round_id)  # the 2025 round (on 1.0.0), so its member's assessment can be reopened
    reopen(engine, actor, old_id)
    before = load_answers(engine, actor, old_id)
    for qid, note in (("GOV-INS-01", "伦理委员会章程起草中"), ("GOV-INS-03", "policy list being drafted")):
        save_answer(engine, actor, old_id, AnswerInputData(qid, level=None, note=note),
                    expected_revision=before[qid].revision if qid in before else None)
    new = create_assessment(engine, actor, org_id, carry_forward_from=old_id)
    carried = load_answers(engine, actor, new.id)
    for qid, note in (("GOV-INS-05", "伦理委员会章程起草中"), ("GOV-INS-06", "伦理委员会章程起草中"),
                      ("GOV-INS-03", "policy list being drafted")):
        assert (carried[qid].level, carried[qid].na, carried[qid].note) == (None, False, note), qid
    report = carry_report(engine, actor, new.id)
    assert report is not None and not {"GOV-INS-05", "GOV-INS-06", "GOV-INS-03"} & set(report.to_confirm)
    lines = {x.question_id: x for x in report.carried}
    assert lines["GOV-INS-06"].note_only and lines["GOV-INS-06"].from_ids == ("GOV-INS-01",)
    assert not [x for x in report.carried if x.note_only and x.question_id not in {"GOV-INS-05", "GOV-INS-06",
                                                                                  "GOV-INS-03"}]


@dataclass
class _Old:
    """An old answer as the mapping reads it."""

    level: int | None
    na: bool = False
    justification: str = ""
    note: str = ""


def _variant_mapping() -> Migration:
    """The shipped 1.0.0→1.1.0 mapping removes, merges and keeps 'same' nothing, so this variant exercises those
    kinds: RES-DIS-03 removed (its 1.1.0 namesake declared new), GOV-CUL-03 + GOV-CUL-04 merged into GOV-CUL-03,
    GOV-EXT-01 declared 'same'."""
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    why = {"zh": "测试", "en": "test"}
    doc["steps"] = [st for st in doc["steps"] if not set(st.get("from", [])) & {"RES-DIS-03", "GOV-CUL-03", "GOV-CUL-04"}]
    doc["steps"] = [{"kind": "same", "from": st["from"], "to": st["to"]} if st.get("from") == ["GOV-EXT-01"] else st
                    for st in doc["steps"]]
    doc["steps"] += [{"kind": "removed", "from": ["RES-DIS-03"], "why": why},
                     {"kind": "new", "to": ["RES-DIS-03"], "why": why},
                     {"kind": "merged", "from": ["GOV-CUL-03", "GOV-CUL-04"], "to": ["GOV-CUL-03"], "why": why},
                     {"kind": "new", "to": ["GOV-CUL-04"], "why": why}]
    return validate_mapping(doc, get_questionnaire(version="1.0.0"), get_questionnaire(version="1.1.0"))


def test_notes_of_a_merged_question_with_a_part_unanswered_are_kept_without_a_level() -> None:
    """A merged question some of whose parts have no level gets no level (it would be a guess) but every
    part's note; a removed question's note-only answer is reported dropped; a question with nothing is skipped."""
    m = _variant_mapping()
    plan = m.carry({"GOV-CUL-03": _Old(3, note="培训记录"), "GOV-CUL-04": _Old(None, note="考核方案草稿"),
                    "RES-DIS-03": _Old(None, note="only a note"), "GOV-INS-02": _Old(None)})
    merged = plan.carried["GOV-CUL-03"]
    assert (merged.level, merged.na, merged.note, merged.confirm) == (None, False, "培训记录\n考核方案草稿", False)
    assert plan.dropped == ("RES-DIS-03",) and "GOV-INS-02" not in plan.carried


def test_reworded_levels_make_every_unit_incomparable_and_carry_the_old_answer(engine: Engine) -> None:
    """1.1.0 rewrote every carried question's level texts, so no unit's score is comparable with 1.0.0 (the
    trend says so), yet every carried answer keeps exactly the old level, N/A reason and note for confirmation."""
    actor, org_id, old_id = _demo_org1(engine)
    new = create_assessment(engine, actor, org_id, carry_forward_from=old_id)
    doc = yaml.safe_load(MAPPING.read_text(encoding="utf-8"))
    assert not [s for s in doc["steps"] if s["kind"] == "same"]
    old_q, q = get_questionnaire(version="1.0.0"), get_questionnaire(version="1.1.0")
    units = {s.id for d in q.dimensions for s in d.subdimensions} | {d.id for d in q.dimensions} | {"overall"}
    assert units <= get_migration("caict-aigov", "1.0.0", "1.1.0").changed_units(old_q, q)
    old_answers, new_answers = load_answers(engine, actor, old_id), load_answers(engine, actor, new.id)
    for step in doc["steps"]:
        if step["kind"] != "reworded" or not (step["from"][0] in old_answers and old_answers[step["from"][0]].answered):
            continue
        o, n = old_answers[step["from"][0]], new_answers[step["to"][0]]
        assert (n.level, n.na, n.justification, n.note) == (o.level, o.na, o.justification, o.note), step["to"]


def test_a_1_0_0_assessment_still_scores_on_1_0_0(engine: Engine) -> None:
    actor, _, old_id = _demo_org1(engine)
    result = assessment_result(engine, actor, old_id)
    assert result.questionnaire_version == "1.0.0"
    with read_session(engine) as s:
        rows = s.scalars(select(Answer).where(Answer.assessment_id == old_id)).all()
        a = s.get(Assessment, old_id)
        profile, preset = dict(a.profile_snapshot or {}), a.target_preset
    q = get_questionnaire(version="1.0.0")
    alone = score_assessment(q, profile, {r.question_id: AnswerInput(r.level, bool(r.is_na)) for r in rows},
                             preset or q.default_preset(profile), AssessmentForm.FULL)
    assert alone.overall.score == result.overall.score
    assert "GOV-INS-01" in {r.question_id for r in rows}


# --- framework readiness -------------------------------------------------------------------------------

def test_readiness_equals_a_hand_computation() -> None:
    """Golden case: every applicable question answered with a level derived from its id; the expected level of
    each ISO/IEC 42001 control and NIST subcategory is computed here from the YAML: the highest level of a
    fully covering question, else the lowest level of the partial ones."""
    q = get_questionnaire(version="1.1.0")
    ids = _ids("1.1.0")
    answers = {qid: AnswerInput(level=n % 6, na=False) for n, qid in enumerate(ids)}
    answers["RES-DIS-04"] = AnswerInput(level=None, na=True)
    applicable = [i for i in ids if i != "IDE-TEC-03"]
    views = {fw.scheme: fw for fw in framework_readiness(q, answers, applicable)}
    ref = yaml.safe_load((ROOT / "frameworks.yml").read_text(encoding="utf-8"))
    cites: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for dim in ("GOV", "IDE", "ASM", "RES"):
        doc = yaml.safe_load((FAMILY / "1.1.0" / "dimensions" / f"{dim}.yml").read_text(encoding="utf-8"))
        for s in doc["subdimensions"]:
            for x in s["questions"]:
                for scheme, refs in x.get("crosswalk", {}).items():
                    for rid, rel in refs.items():
                        cites.setdefault((scheme, str(rid)), []).append((x["id"], rel))
    for scheme in ("iso42001", "nist_ai_rmf", "tc260"):
        got = {i.id: i for i in views[scheme].items}
        assert set(got) == {str(i["id"]) for i in ref[scheme]["items"]}
        for item in ref[scheme]["items"]:
            rid = str(item["id"])
            mine = cites.get((scheme, rid), [])
            scored = [(rel, lv) for qid, rel in mine
                      if qid in applicable and (lv := answers[qid].level) is not None]
            full = [lvl for rel, lvl in scored if rel in ("equal", "superset")]
            part = [lvl for rel, lvl in scored if rel not in ("equal", "superset")]
            level = max(full) if full else (min(part) if part else None)
            assert got[rid].level == level, (scheme, rid)
            assert (got[rid].coverage == "none") == (not mine), (scheme, rid)
        expected_uncovered = sum(1 for i in ref[scheme]["items"] if (scheme, str(i["id"])) not in cites)
        assert views[scheme].summary.not_covered == expected_uncovered
    # hand-checked items: A.3.2 (AI roles) is cited equal by GOV-INS-03 only fully, so its level is that answer's
    a32 = {i.id: i for i in views["iso42001"].items}["A.3.2"]
    assert a32.coverage == "full" and a32.level == answers["GOV-INS-03"].level
    # EU: an article cited only by paragraph is covered partly, never fully
    art9 = {i.id: i for i in views["eu_ai_act"].items}["Art. 9"]
    assert art9.coverage == "partial"
    assert {i.id: i for i in views["eu_ai_act"].items}["Art. 86"].band == "not_applicable"  # its one question is N/A


def test_units_not_comparable_across_versions() -> None:
    """1.1.0 reworded the level texts of every carried question, so no unit (overall, dimension, sub-dimension,
    principle) is comparable with 1.0.0; the same version is always comparable with itself."""
    from services.results import not_comparable_units

    apart = not_comparable_units("caict-aigov", "1.0.0", "1.1.0")
    q = get_questionnaire(version="1.1.0")
    units = ({"overall"} | {d.id for d in q.dimensions} | {s.id for d in q.dimensions for s in d.subdimensions}
             | {p for x in q.questions() for p in x.principles})
    assert units <= apart
    assert not_comparable_units("caict-aigov", "1.1.0", "1.1.0") == frozenset()
    assert not_comparable_units("caict-aigov", "1.1.0", "1.0.0") == apart


def test_carry_plan_drops_removed_answers_and_merges_at_the_lowest_level() -> None:
    """A variant of the shipped mapping (:func:`_variant_mapping`) exercises removed, merged and 'same': a merged
    question takes the lowest level, flagged; 'same' is carried without a flag."""
    m = _variant_mapping()
    plan = m.carry({"RES-DIS-03": _Old(4), "GOV-CUL-03": _Old(3, note="talks"), "GOV-CUL-04": _Old(1),
                    "GOV-EXT-01": _Old(2), "GOV-INS-01": _Old(None, na=True, justification="不涉及")})
    assert plan.dropped == ("RES-DIS-03",)
    assert "RES-DIS-03" not in plan.carried and {"RES-DIS-03", "GOV-CUL-04"} <= set(plan.new)
    merged = plan.carried["GOV-CUL-03"]
    assert (merged.level, merged.confirm, merged.from_ids) == (1, True, ("GOV-CUL-03", "GOV-CUL-04"))
    assert (plan.carried["GOV-EXT-01"].level, plan.carried["GOV-EXT-01"].confirm) == (2, False)
    for part in ("GOV-INS-05", "GOV-INS-06"):  # a split N/A stays N/A, with its reason, to confirm
        c = plan.carried[part]
        assert (c.na, c.justification, c.confirm) == (True, "不涉及", True)
    # a merged question with a part not answered is left open: the merged level would be a guess
    partial = m.carry({"GOV-CUL-03": _Old(3)})
    assert "GOV-CUL-03" not in partial.carried
