"""Association bulk import of filled templates: members registered with their answers in one transaction,
broken files store nothing, re-imports update instead of duplicating, and the association reads nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, func, select
from streamlit.testing.v1 import AppTest

from cli.main import main as aigov
from db.engine import read_session, write_session
from db.models import Answer, AnswerEvent, Assessment, AssociationMember, Base, BenchmarkRound, Organisation
from i18n import t
from questionnaires import get_questionnaire
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import get_assessment, history, list_assessments, load_answers
from services.associations import get_association, join_association
from services.errors import InvalidInput, NotFound, StateError
from services.exports import summary_xlsx
from services.member_imports import import_member_workbooks, name_key
from services.members import add_member
from services.organisations import create_organisation
from services.peer_comparison import member_comparison
from services.results import assessment_result
from services.round_dashboard import round_dashboard
from services.rounds import close_round, list_rounds
from tests.support.apptest import app_test
from tests.support.benchmark_data import PASSWORD, Cohort, cohort, profile, rendered_text
from tests.support.excel_workbooks import filled_template

Q = get_questionnaire()
IDS = [x.id for x in Q.questions()]
PROFILE_A = profile("finance", "small")
PROFILE_B = profile("manufacturing", "large", ["tech_provider", "user"])


def answers(level: int, note: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {qid: (level, "", f"{note} {qid}".strip()) for qid in IDS}
    out[IDS[3]] = ("N/A", "本组织不研发模型", "")
    return out


def files() -> list[tuple[str, bytes]]:
    """Two valid members and one broken file (level 7, N/A without justification, blank name)."""
    broken = filled_template({**answers(2), IDS[0]: (7, "", ""), IDS[1]: ("N/A", "", "")}, profile=PROFILE_A)
    return [("甲.xlsx", filled_template(answers(4, "甲的证据"), profile=PROFILE_A, organisation="甲科技有限公司")),
            ("乙.xlsx", filled_template(answers(1), profile=PROFILE_B, organisation="乙制造股份公司")),
            ("坏.xlsx", broken)]


@pytest.fixture
def c(engine: Engine) -> Cohort:
    return cohort(engine)


def _orgs(engine: Engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {o.name: o.id for o in s.scalars(select(Organisation))}


def _counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {table.name: s.scalar(select(func.count()).select_from(table)) or 0 for table in Base.metadata.sorted_tables}


def test_two_valid_files_register_two_members_and_the_broken_one_stores_nothing(engine: Engine, c: Cohort,
                                                                                system: Actor) -> None:
    reports = import_member_workbooks(engine, c.admin(), c.association_id, files(), round_id=c.round_id)
    assert [(r.file, r.ok, r.created, r.status) for r in reports] == [
        ("甲.xlsx", True, True, "draft"), ("乙.xlsx", True, True, "draft"), ("坏.xlsx", False, False, None)]
    assert (reports[0].answered, reports[0].na, reports[0].changed) == (len(IDS), 1, len(IDS))
    bad = [(p.code, p.sheet, p.cell) for p in reports[2].problems]
    assert ("member_name_blank", "组织画像", "D2") in bad
    assert ("level_not_valid", "答题", "F2") in bad and ("na_needs_justification", "答题", "G3") in bad
    assert "Sheet 答题, cell F2: 7 is not a level; use 0–5 or N/A" in reports[2].messages("en")
    orgs = _orgs(engine)
    assert set(orgs) == {"甲科技有限公司", "乙制造股份公司"}
    with read_session(engine) as s:
        members = set(s.scalars(select(AssociationMember.organisation_id)
                                .where(AssociationMember.association_id == c.association_id)))
        assert members == set(orgs.values())
        assert s.get(Organisation, orgs["乙制造股份公司"]).profile == PROFILE_B
    got = load_answers(engine, system, reports[0].assessment_id)  # type: ignore[arg-type]
    assert (got[IDS[0]].level, got[IDS[0]].note) == (4, f"甲的证据 {IDS[0]}")
    assert (got[IDS[3]].na, got[IDS[3]].justification) == (True, "本组织不研发模型")
    view = get_assessment(engine, system, reports[1].assessment_id)  # type: ignore[arg-type]
    assert (view.round_id, view.sharing, view.status, view.organisation_id) == (
        c.round_id, "anonymous", "draft", orgs["乙制造股份公司"])
    # the audit trail names the association administrator and the import
    changes = history(engine, system, view.id)
    assert len(changes) == len(IDS) and {(x.user, x.source) for x in changes} == {("assoc-admin", "import")}


def test_submitting_into_the_round_counts_on_the_dashboard(engine: Engine, c: Cohort) -> None:
    reports = import_member_workbooks(engine, c.admin(), c.association_id, files()[:2], round_id=c.round_id,
                                      sharing="identified", submit=True)
    assert [r.status for r in reports] == ["submitted", "submitted"]
    with read_session(engine) as s:
        a = s.get(Assessment, reports[1].assessment_id)
        assert a is not None and a.profile_snapshot == PROFILE_B and a.submitted_at is not None
    close_round(engine, c.admin(), c.round_id)  # the final release
    stats = round_dashboard(engine, c.admin(), c.round_id).stats
    assert stats is not None and stats.participation.submitted == 2
    assert {r.organisation_name for r in stats.identified} == {"甲科技有限公司", "乙制造股份公司"}


def test_a_broken_file_changes_nothing_at_all(engine: Engine, c: Cohort) -> None:
    before = _counts(engine)
    reports = import_member_workbooks(engine, c.admin(), c.association_id, [files()[2], ("x.xlsx", b"not a zip")],
                                      round_id=c.round_id, submit=True)
    assert [r.ok for r in reports] == [False, False] and reports[1].problems[0].code == "not_xlsx"
    assert _counts(engine) == before


def test_reimport_updates_the_member_instead_of_duplicating_it(engine: Engine, c: Cohort, system: Actor) -> None:
    first = import_member_workbooks(engine, c.admin(), c.association_id, files()[:2], round_id=c.round_id)
    again = {**answers(4, "甲的证据"), IDS[0]: (5, "", "新证据"), IDS[2]: (None, "", "")}  # IDS[2] left blank
    new_profile = profile("finance", "medium")
    data = filled_template(again, profile=new_profile, organisation=" 甲科技有限公司 ")
    [report] = import_member_workbooks(engine, c.admin(), c.association_id, [("甲-改.xlsx", data)],
                                       round_id=c.round_id)
    assert report.ok and not report.created and report.organisation_id == first[0].organisation_id
    assert (report.assessment_id, report.changed) == (first[0].assessment_id, 1)
    assert len(_orgs(engine)) == 2 and len(list_assessments(engine, system, report.organisation_id)) == 1  # type: ignore[arg-type]
    got = load_answers(engine, system, report.assessment_id)  # type: ignore[arg-type]
    assert (got[IDS[0]].level, got[IDS[0]].note, got[IDS[0]].revision) == (5, "新证据", 2)
    assert (got[IDS[2]].level, got[IDS[2]].revision) == (4, 1)  # a blank row leaves the stored answer untouched
    with read_session(engine) as s:
        assert s.get(Organisation, report.organisation_id).profile == new_profile


def test_reimport_replaces_a_submission_and_submits_again(engine: Engine, c: Cohort, system: Actor) -> None:
    [first] = import_member_workbooks(engine, c.admin(), c.association_id, files()[:1], round_id=c.round_id,
                                      submit=True)
    data = filled_template({**answers(4, "甲的证据"), IDS[0]: (0, "", "更正")}, profile=PROFILE_A,
                           organisation="甲科技有限公司")
    [report] = import_member_workbooks(engine, c.admin(), c.association_id, [("甲.xlsx", data)],
                                       round_id=c.round_id, submit=True)
    assert report.ok and report.assessment_id == first.assessment_id and report.status == "submitted"
    assert load_answers(engine, system, first.assessment_id)[IDS[0]].level == 0  # type: ignore[arg-type]


def test_names_match_ignoring_case_width_and_spaces() -> None:
    assert name_key("  ＡＢＣ   Tech\u3000Ltd ") == name_key("abc tech ltd")


def test_a_member_with_its_own_account_is_not_imported_into(engine: Engine, c: Cohort, system: Actor) -> None:
    [first] = import_member_workbooks(engine, c.admin(), c.association_id, files()[:1], round_id=c.round_id)
    create_user(engine, "jia-lead", PASSWORD)
    assert first.organisation_id is not None
    add_member(engine, system, first.organisation_id, "jia-lead", "org_admin")  # handed over
    before = _counts(engine)
    [report] = import_member_workbooks(engine, c.admin(), c.association_id, files()[:1], round_id=c.round_id)
    assert not report.ok and [(p.code, p.cell) for p in report.problems] == [("member_managed_itself", "D2")]
    assert "ask the organisation to import the file" in report.messages("en")[0]
    assert _counts(engine) == before


def test_members_that_joined_themselves_are_never_matched(engine: Engine, c: Cohort) -> None:
    """Matching them would tell the association that an organisation of that name is a member."""
    lead = create_user(engine, "ding-lead", PASSWORD)
    ding = create_organisation(engine, load_actor(engine, lead.id), "丁公司", profile())
    code = get_association(engine, c.admin(), c.association_id).invite_code
    join_association(engine, load_actor(engine, lead.id), ding.id, code or "")
    data = filled_template(answers(3), profile=profile(), organisation="丁公司")
    [report] = import_member_workbooks(engine, c.admin(), c.association_id, [("丁.xlsx", data)])
    assert report.ok and report.created and report.organisation_id != ding.id
    assert list_assessments(engine, load_actor(engine, lead.id), ding.id) == []  # untouched


def test_a_member_registered_with_an_administrator_belongs_to_itself_at_once(engine: Engine, c: Cohort) -> None:
    c.add("丙公司", profile(), registered=True)  # registered by the association, naming the member's own administrator
    data = filled_template(answers(3), profile=profile(), organisation="丙公司")
    [report] = import_member_workbooks(engine, c.admin(), c.association_id, [("丙.xlsx", data)])
    assert [p.code for p in report.problems] == ["member_managed_itself"]


def test_round_questionnaire_and_format_1_files_are_checked(engine: Engine, c: Cohort) -> None:
    def format_1(wb: Workbook) -> None:
        wb["组织画像"].delete_rows(2)
        wb["_meta"]["B2"].value = "1"

    [old] = import_member_workbooks(engine, c.admin(), c.association_id,
                                    [("old.xlsx", filled_template(answers(3), edit=format_1))])
    assert [(p.code, p.sheet) for p in old.problems] == [("member_no_name_cell", "组织画像")]
    assert "download the current template" in old.messages("en")[0]
    long_name = filled_template(answers(3), organisation="长" * 201)
    [long] = import_member_workbooks(engine, c.admin(), c.association_id, [("long.xlsx", long_name)])
    assert [(p.code, p.cell) for p in long.problems] == [("member_name_too_long", "D2")]
    gap = filled_template(answers(3), profile={**profile(), "ai_roles": []}, organisation="戊公司")
    [no_role] = import_member_workbooks(engine, c.admin(), c.association_id, [("gap.xlsx", gap)])
    assert [p.code for p in no_role.problems] == ["profile_multi_none"]
    with write_session(engine) as s:  # a round opened on an earlier version of the questionnaire
        s.get(BenchmarkRound, c.round_id).questionnaire_version = "0.9.0"
    [wrong] = import_member_workbooks(engine, c.admin(), c.association_id, files()[:1], round_id=c.round_id)
    assert [(p.code, p.sheet) for p in wrong.problems] == [("member_wrong_questionnaire", "_meta")]
    assert f'uses {Q.id} 0.9.0' in wrong.messages("en")[0]
    assert _orgs(engine) == {}


def test_only_the_associations_administrators_may_import(engine: Engine, c: Cohort) -> None:
    other = cohort(engine, admin="other-admin")
    member = load_actor(engine, create_user(engine, "member", PASSWORD).id)
    for who in (other.admin(), member):
        with pytest.raises(NotFound):
            import_member_workbooks(engine, who, c.association_id, files())
    with pytest.raises(NotFound):  # nor into another association's round through its own association
        import_member_workbooks(engine, other.admin(), other.association_id, files(), round_id=c.round_id)
    assert _orgs(engine) == {}


def test_bad_choices_are_refused_before_any_file_is_read(engine: Engine, c: Cohort) -> None:
    with pytest.raises(InvalidInput):
        import_member_workbooks(engine, c.admin(), c.association_id, files(), sharing="public")
    with pytest.raises(InvalidInput):
        import_member_workbooks(engine, c.admin(), c.association_id, files(), submit=True)
    close_round(engine, c.admin(), c.round_id)
    with pytest.raises(StateError):
        import_member_workbooks(engine, c.admin(), c.association_id, files(), round_id=c.round_id)
    assert _orgs(engine) == {}


def test_the_association_never_reads_what_it_imported(engine: Engine, c: Cohort) -> None:
    """After the import the organisation belongs to itself: its assessment, answers, scores, audit trail
    and Excel summary are "not found" to the association administrator, as for any other tenant."""
    reports = import_member_workbooks(engine, c.admin(), c.association_id, files()[:2], round_id=c.round_id,
                                      submit=True)
    admin = c.admin()
    for r in reports:
        assert r.assessment_id is not None and r.organisation_id is not None
        assert not admin.can_read_org(r.organisation_id)
        for read in (get_assessment, load_answers, assessment_result, history, member_comparison):
            with pytest.raises(NotFound):
                read(engine, admin, r.assessment_id)
        with pytest.raises(NotFound):
            summary_xlsx(engine, admin, r.assessment_id, "zh")
        with pytest.raises(NotFound):
            list_assessments(engine, admin, r.organisation_id)
    close_round(engine, admin, c.round_id)
    stats = round_dashboard(engine, admin, c.round_id).stats
    assert stats is not None and not stats.identified  # anonymous: counted, not named
    assert stats.suppressed  # and members the association imported itself never make a group big enough
    with read_session(engine) as s:  # and the answers really are there
        assert s.scalar(select(func.count()).select_from(Answer)) == 2 * len(IDS)
        assert s.scalar(select(func.count()).select_from(AnswerEvent)) == 2 * len(IDS)


# --- aigov import --association ---------------------------------------------------------------------

def _write(tmp_path: Path) -> list[Path]:
    paths = []
    for name, data in files():
        path = tmp_path / name
        path.write_bytes(data)
        paths.append(path)
    return paths


def test_cli_registers_members_and_reports_the_broken_file(app_db: str, engine: Engine, c: Cohort, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    jia, yi, bad = _write(tmp_path)
    args = ["import", str(jia), str(yi), str(bad), "--association", str(c.association_id),
            "--round", str(c.round_id), "--sharing", "identified", "--submit", "--as-user", "assoc-admin"]
    assert aigov(args) == 2
    out, err = capsys.readouterr()
    orgs = _orgs(engine)
    assert (f'{jia}: "甲科技有限公司" — New member registered (organisation #{orgs["甲科技有限公司"]}); '
            f"submitted into the round: {len(IDS)} answers written ({len(IDS)} answered, 1 N/A).") in out
    assert "2 of 3 file(s) imported" in out
    assert f"{bad}: REJECTED" in err and "Sheet 答题, cell F2: 7 is not a level; use 0–5 or N/A" in err
    assert "Sheet 组织画像, cell D2: the organisation's name is not filled in" in err
    assert set(orgs) == {"甲科技有限公司", "乙制造股份公司"}
    assert list_rounds(engine, c.admin(), c.association_id)[0].submitted == 2
    assert aigov(args[:2] + args[4:]) == 0  # the same file again: updated, not duplicated
    assert "Existing member updated" in capsys.readouterr().out and len(_orgs(engine)) == 2


def test_cli_refuses_other_associations_and_misplaced_options(app_db: str, engine: Engine, c: Cohort,
                                                              tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    jia = _write(tmp_path)[0]
    create_user(engine, "member", PASSWORD)
    cases = [
        (["--association", str(c.association_id), "--as-user", "member"], f"--association {c.association_id}: no such"),
        (["--association", "999"], "--association 999: no such association"),
        (["--association", str(c.association_id), "--round", "999"], "--round 999: association"),
        (["--association", str(c.association_id), "--submit"], "--submit and --sharing need --round"),
        (["--association", str(c.association_id), "--update-profile"], "--update-profile goes with --org"),
        (["--org", "1", "--round", str(c.round_id)], "--round goes with --association"),
    ]
    for extra, message in cases:
        assert aigov(["import", str(jia), *extra]) == 2, extra
        assert message in capsys.readouterr().err, extra
    close_round(engine, c.admin(), c.round_id)
    assert aigov(["import", str(jia), "--association", str(c.association_id), "--round", str(c.round_id)]) == 2
    assert "the round is closed; reopen it" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        aigov(["import", str(jia), "--org", "1", "--association", str(c.association_id)])
    assert _orgs(engine) == {}


# --- the association page -----------------------------------------------------------------------------

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _results(at: AppTest, file_column: str) -> Any:
    """The per-file result table (the one with a file column)."""
    return next(df.value for df in at.dataframe if file_column in df.value.columns)


def _page(user_id: int, lang: str = "en") -> AppTest:
    at = app_test(user_id, lang=lang).run()
    at.switch_page("app_pages/association.py").run()
    assert not at.exception, at.exception
    return at


def test_page_imports_several_files_and_shows_a_result_per_file(app_db: str, engine: Engine, c: Cohort) -> None:
    at = _page(c.admin_user_id)
    uploader = at.file_uploader(key="member_upload_0")
    assert uploader.accept_multiple_files and uploader.allowed_type == [".xlsx"]
    assert {b.key for b in at.download_button} >= {"member_template_zh", "member_template_en"}
    assert not [b for b in at.button if b.key == "member_import"]  # nothing to import yet
    at.selectbox(key="member_import_round").set_value(c.round_id).run()
    at.radio(key="member_import_sharing").set_value("identified")
    at.checkbox(key="member_import_submit").check()
    at.file_uploader(key="member_upload_0").set_value([(name, data, XLSX) for name, data in files()]).run()
    assert _orgs(engine) == {}  # nothing stored before the button
    at.button(key="member_import").click().run()
    assert not at.exception, at.exception
    assert "2 of 3 file(s) imported; files with problems stored nothing." in [w.value for w in at.warning]
    table = _results(at, "File")
    assert list(table["File"]) == ["甲.xlsx", "乙.xlsx", "坏.xlsx"]
    assert list(table["Result"])[:2] == ["New member registered · submitted into the round"] * 2
    assert list(table["Result"])[2] == "Not imported — nothing stored"
    problems = table["Problems (sheet, cell and fix)"][2]
    assert "Sheet 答题, cell F2: 7 is not a level; use 0–5 or N/A" in problems
    assert "Sheet 组织画像, cell D2: the organisation's name is not filled in" in problems
    assert at.file_uploader(key="member_upload_1").value == []  # the uploader was cleared
    assert set(_orgs(engine)) == {"甲科技有限公司", "乙制造股份公司"}
    assert any("2/2" in str(o) for o in at.selectbox(key="round_pick").options)  # participation: 2 submitted


def test_page_reimport_updates_without_duplicating(app_db: str, engine: Engine, c: Cohort) -> None:
    at = _page(c.admin_user_id, "zh")
    at.file_uploader(key="member_upload_0").set_value([(n, d, XLSX) for n, d in files()[:1]]).run()
    at.button(key="member_import").click().run()
    at.file_uploader(key="member_upload_1").set_value([(n, d, XLSX) for n, d in files()[:1]]).run()
    at.button(key="member_import").click().run()
    assert not at.exception, at.exception
    table = _results(at, "文件")
    assert list(table["结果"]) == ["已更新现有成员 · 草稿评估"]
    assert list(_orgs(engine)) == ["甲科技有限公司"]


def test_page_never_shows_an_imported_anonymous_member_afterwards(app_db: str, engine: Engine, c: Cohort) -> None:
    """Once the result table is gone (a new session), the member's name and answers appear nowhere."""
    import_member_workbooks(engine, c.admin(), c.association_id, files()[:2], round_id=c.round_id, submit=True)
    text = rendered_text(_page(c.admin_user_id))
    assert "甲科技有限公司" not in text and "乙制造股份公司" not in text and "甲的证据" not in text


def test_page_is_not_found_for_another_associations_administrator(app_db: str, engine: Engine, c: Cohort) -> None:
    other = cohort(engine, admin="other-admin")
    at = app_test(other.admin_user_id, lang="en", query={"association": str(c.association_id)}).run()
    at.switch_page("app_pages/association.py").run()
    assert not at.exception, at.exception
    assert t("errors.not_found", "en") in [w.value for w in at.warning]
    assert not at.get("file_uploader")  # and no way to import into it
