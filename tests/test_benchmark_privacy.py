"""Privacy of the benchmark: suppression of small groups and no anonymous name or answer anywhere.

The same cohort is read through every channel the association has — the dashboard data, the
page, the workbook and the command line — and each is searched for what must not be there.
Figures come from the round's release (its first, published when the dashboard is first read):
they are differentially private estimates, so these tests check what is shown and hidden, and
tests/test_benchmark_attacks.py checks that what is shown gives nobody away.
"""

from __future__ import annotations

import json
import pickle
import re

import pytest

from cli.main import main as cli_main
from questionnaires import get_questionnaire
from services.associations import set_min_group_size
from services.benchmark_workbooks import benchmark_xlsx, peer_xlsx
from services.errors import InvalidInput
from services.peer_comparison import member_comparison
from services.round_dashboard import round_dashboard
from services.rounds import close_round, reopen_round
from tests.support.apptest import app_test
from tests.support.benchmark_data import Cohort, cohort, profile, rendered_text, workbook_values

ANON = "隐名科技 Quiet Anonymous Co"
ANON_NOTE = "SECRET-NOTE-7f3a 内部证据"
IDENT = "Open Identified Co 实名公司"
TOO_FEW_ZH = "样本过少，不予显示"


def _build(engine) -> tuple[Cohort, list[str]]:
    """Finance: 5 anonymous members (shown); retail: 4 anonymous (hidden); ICT: 1 identified."""
    c = cohort(engine)
    c.add(ANON, profile("finance"))
    c.submit(ANON, 3, note=ANON_NOTE)
    anonymous = [ANON]
    for i in range(4):
        name = f"Finance Anon {i} 金融匿名"
        c.add(name, profile("finance"))
        c.submit(name, 1 + i % 3, note=f"note of {name}")
        anonymous.append(name)
    for i in range(4):
        name = f"Retail Anon {i} 零售匿名"
        c.add(name, profile("retail"))
        c.submit(name, 2, note=f"note of {name}")
        anonymous.append(name)
    c.add(IDENT, profile("ict", size="large"))
    c.submit(IDENT, 4, sharing="identified")
    return c, anonymous


def _secrets(anonymous: list[str]) -> list[str]:
    return [*anonymous, ANON_NOTE, *(f"note of {n}" for n in anonymous)]


@pytest.fixture
def built(engine):
    return _build(engine)


def test_segments_of_four_are_hidden_and_five_shown_in_the_data(engine, built):
    c, _ = built
    s = round_dashboard(engine, c.admin(), c.round_id).stats
    rows = {r.value: r for r in s.segment_rows("sector")}
    assert not rows["finance"].suppressed and rows["finance"].count is not None  # a noisy count
    finance_median = rows["finance"].median("overall")  # an estimate of the median of 3, 1, 2, 3, 1; 0 possible
    assert finance_median is not None and 0 <= finance_median <= 5
    assert rows["retail"].suppressed
    assert all(d.suppressed and d.count is None and d.median is None and d.p25 is None for d in rows["retail"].units.values())
    assert rows["ict"].suppressed  # one identified member is not a group
    sizes = {r.value: r for r in s.segment_rows("size")}
    # Size "large" (one identified member) is hidden; its one member must not be derivable from the
    # round's size minus "small": the count of "small" is hidden too (complementary suppression).
    assert sizes["large"].suppressed and not sizes["small"].suppressed and sizes["small"].count is None
    assert s.units["overall"].count == 10 and not s.suppressed
    assert [r.organisation_name for r in s.identified] == [IDENT]


def test_dashboard_data_holds_no_anonymous_name_or_answer(engine, built):
    c, anonymous = built
    dash = round_dashboard(engine, c.admin(), c.round_id)
    blob = repr(dash) + pickle.dumps(dash).decode("utf-8", "replace")
    for secret in _secrets(anonymous):
        assert secret not in blob
    assert IDENT in blob
    # No organisation or assessment ids either: nothing to look an anonymous member up by.
    assert "organisation_id" not in blob and "assessment_id" not in blob


def test_association_page_hides_small_segments_and_anonymous_members(app_db, engine, built):
    c, anonymous = built
    at = app_test(c.admin_user_id, lang="zh").run()
    at.switch_page("app_pages/association.py").run()
    assert not at.exception
    text = rendered_text(at)
    for secret in _secrets(anonymous):
        assert secret not in text
    assert IDENT in text and TOO_FEW_ZH in text
    segment_table = next(df.value for df in at.dataframe if "所属行业" in df.value.columns)
    rows = {r["所属行业"]: r for _, r in segment_table.iterrows()}
    assert rows["金融"]["组织数"].isdigit() and re.fullmatch(r"\d\.\d\d", rows["金融"]["总体"])
    assert rows["零售与消费"]["组织数"] == TOO_FEW_ZH and rows["零售与消费"]["总体"] == ""
    heat = next(json.loads(el.proto.spec) for el in at.get("plotly_chart")
                if json.loads(el.proto.spec)["data"][0]["type"] == "heatmap")["data"][0]
    hidden = [y for y, z in zip(heat["y"], heat["z"], strict=True) if all(v is None for v in z)]
    # Every sector is listed: retail (4 submitted) and ICT (1) look exactly like education (none).
    sectors = [o.label["zh"] for o in get_questionnaire().profile_field("sector").options]
    assert hidden == [f"{name} · {TOO_FEW_ZH}" for name in sectors if name != "金融"]
    assert f"金融 · {TOO_FEW_ZH}" not in heat["y"]
    assert rows["教育"].to_dict() == {**rows["零售与消费"].to_dict(), "所属行业": "教育"}


def test_workbook_hides_small_segments_and_anonymous_members(engine, built):
    c, anonymous = built
    values = workbook_values(benchmark_xlsx(engine, c.admin(), c.round_id, "zh"))
    joined = "\n".join(values)
    for secret in _secrets(anonymous):
        assert secret not in joined
    assert IDENT in values and TOO_FEW_ZH in values
    retail = values.index("零售与消费")
    assert values[retail + 1] == TOO_FEW_ZH  # the row's statistics are blank after the text
    finance = values.index("金融")
    assert values[finance + 1].isdigit()  # a noisy count


def test_command_line_hides_anonymous_members(engine, built, db_url, monkeypatch, capsys, tmp_path):
    c, anonymous = built
    monkeypatch.setenv("DATABASE_URL", db_url)
    out = tmp_path / "bench.xlsx"
    assert cli_main(["export", "benchmark", "--round", str(c.round_id), "--out", str(out), "--lang", "en"]) == 0
    assert cli_main(["round", "list"]) == 0
    assert cli_main(["association", "list"]) == 0
    printed = capsys.readouterr()
    values = workbook_values(out.read_bytes())
    everything = printed.out + printed.err + "\n".join(values)
    for secret in _secrets(anonymous):
        assert secret not in everything
    assert IDENT in values and "Too few to show" in values
    assert values[values.index("Retail and consumer") + 1] == "Too few to show"
    assert values[values.index("Finance") + 1].isdigit()
    assert "10 submitted" in printed.out and "privacy-protected estimates at ε = 2" in printed.out


def test_command_line_export_refuses_a_member(engine, built, db_url, monkeypatch, capsys, tmp_path):
    c, _ = built
    monkeypatch.setenv("DATABASE_URL", db_url)
    member = c.member(IDENT).username
    out = tmp_path / "bench.xlsx"
    assert cli_main(["export", "benchmark", "--round", str(c.round_id), "--out", str(out), "--as-user", member]) == 2
    assert "不存在" in capsys.readouterr().err and not out.exists()  # said in the default language (zh)


def test_identified_scores_cannot_unmask_a_lone_anonymous_member(engine):
    """Five members, four identified: the group's quantiles minus the four named scores would reveal the
    fifth, so the group is hidden — identified members never count toward the threshold. With five
    independent anonymous members it is shown."""
    c = cohort(engine)
    for i in range(4):
        c.add(f"Named {i}", profile("finance"))
        c.submit(f"Named {i}", 1 + i, sharing="identified")
    c.add("Lone", profile("finance"))
    c.submit("Lone", 2)
    assert round_dashboard(engine, c.admin(), c.round_id).stats is None  # nothing released while open and small
    close_round(engine, c.admin(), c.round_id)
    s = round_dashboard(engine, c.admin(), c.round_id).stats
    assert s is not None and s.suppressed and s.units["overall"].median is None
    assert all(r.suppressed for r in s.segment_rows("sector"))
    assert len(s.identified) == 4  # the identified members still see themselves listed
    reopen_round(engine, c.admin(), c.round_id)
    for i in range(4):
        c.add(f"Quiet {i}", profile("finance"))
        c.submit(f"Quiet {i}", 3)
    close_round(engine, c.admin(), c.round_id)
    s = round_dashboard(engine, c.admin(), c.round_id).stats
    assert s is not None and not s.suppressed and s.units["overall"].count == 9


def _sectors(engine, c):
    stats = round_dashboard(engine, c.admin(), c.round_id).stats
    assert stats is not None
    return {r.value: r for r in stats.segment_rows("sector")}


def test_threshold_setting_moves_the_line_but_never_below_three(engine, built):
    """The threshold applies from the next release on (here: the final one, at closing)."""
    c, _ = built
    assert _sectors(engine, c)["retail"].suppressed  # the first release, at k = 5
    set_min_group_size(engine, c.admin(), c.association_id, 4)
    assert _sectors(engine, c)["retail"].suppressed  # releases never change
    close_round(engine, c.admin(), c.round_id)
    rows = _sectors(engine, c)
    assert not rows["retail"].suppressed and rows["retail"].median("overall") is not None
    reopen_round(engine, c.admin(), c.round_id)
    set_min_group_size(engine, c.admin(), c.association_id, 6)
    close_round(engine, c.admin(), c.round_id)
    rows = _sectors(engine, c)
    assert rows["finance"].suppressed and rows["retail"].suppressed
    with pytest.raises(InvalidInput):
        set_min_group_size(engine, c.admin(), c.association_id, 2)


def test_member_view_names_no_other_member(app_db, engine, built):
    c, anonymous = built
    others = [n for n in c.orgs if n != IDENT]
    at = app_test(c.orgs[IDENT][1], lang="zh", org_id=c.orgs[IDENT][0]).run()
    at.switch_page("app_pages/peers.py").run()
    assert not at.exception
    text = rendered_text(at)
    for secret in [*others, *_secrets(anonymous)]:
        assert secret not in text
    values = "\n".join(workbook_values(peer_xlsx(engine, c.member(IDENT), c.assessments[IDENT], "zh")))
    for secret in [*others, *_secrets(anonymous)]:
        assert secret not in values


def test_peer_group_of_four_is_hidden_on_the_member_page(app_db, engine, built):
    c, _ = built
    name = "Retail Anon 0 零售匿名"
    comp = member_comparison(engine, c.member(name), c.assessments[name], "sector")
    assert comp.stats.suppressed and all(d.median is None for d in comp.stats.units.values())
    comp = member_comparison(engine, c.member("Finance Anon 0 金融匿名"), c.assessments["Finance Anon 0 金融匿名"],
                                "sector")
    assert not comp.stats.suppressed and comp.stats.segment == "sector" and comp.stats.units["overall"].median is not None
