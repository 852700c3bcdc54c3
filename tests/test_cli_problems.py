"""Every refusal of a command is said in its ``--lang`` (the default language, zh, for a command without one):
catalogued problems with their code and place, other refusals as the i18n message.

Expected texts are read from the i18n catalogs here (the longest fixed part of a message between placeholders),
never produced by the code under test; a Chinese refusal must not carry the English message of the same code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from db.engine import make_engine, read_session, write_session
from db.models import Answer, Assessment, Association, BenchmarkRound, EventLog, Organisation
from demo.seed import DEMO_ORG_NAME
from i18n import catalog, t
from tests.support.cli import run_cli

TABLES = (Assessment, Answer, BenchmarkRound, EventLog)


@pytest.fixture
def demo(demo_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    engine = make_engine(demo_db_url)
    yield engine
    engine.dispose()


def fixed_text(key: str, lang: str) -> str:
    """The longest part of message ``key`` in ``lang`` between its placeholders (words every instance says)."""
    return max(re.split(r"\{[^}]*\}", catalog(lang)[key]), key=len)


def said(err: str, key: str, lang: str) -> None:
    """``err`` says message ``key`` in ``lang`` and, in Chinese, not in English."""
    assert fixed_text(key, lang) in err, (key, lang, err)
    if lang == "zh":
        assert fixed_text(key, "en") not in err, (key, err)


def counts(engine: Engine) -> dict[str, int]:
    with read_session(engine) as s:
        return {t.__name__: s.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES}


def demo_ids(engine: Engine) -> tuple[int, int, int]:
    """(org1's organisation, its 1.0.0 assessment, another member's assessment)."""
    with read_session(engine) as s:
        org = s.scalars(select(Organisation).where(Organisation.name == DEMO_ORG_NAME)).one()
        old = s.scalars(select(Assessment.id).where(Assessment.organisation_id == org.id,
                                                    Assessment.questionnaire_version == "1.0.0")).first()
        other = s.scalars(select(Assessment.id).where(Assessment.organisation_id != org.id)).first()
        assert old is not None and other is not None
        return org.id, old, other


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_invalid_input_of_a_service_is_each_problem_with_its_code_in_the_commands_language(demo: Engine,
                                                                                         lang: str) -> None:
    _, old, _ = demo_ids(demo)
    before = counts(demo)
    code, out, err = run_cli(["assessment", "carry", str(old), "--title", "Q3\x07", "--lang", lang])
    assert code == 2 and out == "" and "Traceback" not in err
    said(err, "problem.title_control", lang)
    assert "[title_control]" in err
    assert counts(demo) == before


def test_a_command_without_lang_says_its_problems_in_the_default_language(demo: Engine) -> None:
    with read_session(demo) as s:
        association = s.scalars(select(Association.id)).first()
    before = counts(demo)
    code, out, err = run_cli(["round", "open", "--association", str(association), "--name", "", "--deadline",
                              "2000-01-01"])
    assert code == 2 and out == "" and "Traceback" not in err
    said(err, "problem.name_length", "zh")
    said(err, "problem.deadline_past", "zh")
    assert "[name_length]" in err and "[deadline_past]" in err
    assert counts(demo) == before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_of_an_unknown_questionnaire_is_a_catalogued_problem(tmp_path: Path, lang: str) -> None:
    out_path = tmp_path / "t.xlsx"
    code, out, err = run_cli(["template", "--questionnaire", "nope", "--out", str(out_path), "--lang", lang])
    assert code == 2 and out == "" and "Traceback" not in err
    said(err, "problem.questionnaire_unknown", lang)
    assert "nope" in err and "caict-aigov" in err and "[questionnaire_unknown]" in err
    assert not out_path.exists()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_carry_without_a_mapping_lists_the_mapping_problem_located_in_the_commands_language(demo: Engine,
                                                                                           lang: str) -> None:
    org_id, _, _ = demo_ids(demo)
    with write_session(demo) as s:  # an assessment on a version no shipped mapping leads from
        unknown = Assessment(organisation_id=org_id, title="旧版", questionnaire_id="caict-aigov",
                             questionnaire_version="0.9.0", form="full", status="draft")
        s.add(unknown)
        s.flush()
        unknown_id = unknown.id
    before = counts(demo)
    code, out, err = run_cli(["assessment", "carry", str(unknown_id), "--lang", lang])
    assert code == 2 and out == "" and "Traceback" not in err
    said(err, "assessments.carry_no_mapping", lang)
    said(err, "questionnaire_problem.mapping_not_shipped", lang)
    assert "caict-aigov/migrations/0.9.0-1.1.0.yml" in err and "[mapping_not_shipped]" in err
    assert counts(demo) == before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_not_found_is_said_in_the_commands_language(demo: Engine, lang: str) -> None:
    _, _, other = demo_ids(demo)
    code, out, err = run_cli(["assessment", "carry", str(other), "--as-user", "org1", "--lang", lang])
    assert code == 2 and out == ""
    expected = {"zh": f"评估 {other}：不存在，或 org1 无权查看", "en": f"assessment {other}: not found, or org1 may not see it"}
    assert expected[lang] in err, err
    code, out, err = run_cli(["import", "--association", "987654", "--lang", lang, "x.xlsx"])
    assert code == 2
    assert {"zh": "--association 987654：不存在此协会。", "en": "--association 987654: no such association."}[lang] in err


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_out_file_and_an_unknown_account_are_said_in_the_commands_language(demo: Engine, tmp_path: Path,
                                                                                 lang: str) -> None:
    for out_name, key in (("t.csv", "cli.out.suffix"), ("no/such/folder/t.xlsx", "cli.out.no_folder")):
        code, out, err = run_cli(["template", "--out", str(tmp_path / out_name), "--lang", lang])
        assert code == 2 and out == "" and "Traceback" not in err
        said(err, key, lang)
    code, out, err = run_cli(["template", "--out", str(tmp_path), "--lang", lang])
    assert code == 2
    said(err, "cli.out.folder", lang)
    _, old, _ = demo_ids(demo)
    code, out, err = run_cli(["assessment", "carried", str(old), "--as-user", "ghost", "--lang", lang])
    assert code == 2 and out == ""
    said(err, "cli.errors.no_account", lang)
    assert "ghost" in err


def test_round_commands_without_lang_say_a_bad_date_and_a_refused_release_in_the_default_language(
        demo: Engine) -> None:
    with read_session(demo) as s:
        association = s.scalars(select(Association.id)).first()
        open_round = s.scalars(select(BenchmarkRound.id).where(BenchmarkRound.status == "open")).first()
    before = counts(demo)
    code, out, err = run_cli(["round", "open", "--association", str(association), "--name", "x", "--deadline",
                              "2026-13-45"])
    assert code == 2 and out == ""
    said(err, "problem.deadline_not_date", "zh")
    assert "2026-13-45" in err and "[deadline_not_date]" in err
    # the demo's open round had its interim release and no new independent submission since
    code, out, err = run_cli(["round", "publish", str(open_round)])
    assert code == 2 and out == ""
    said(err, "cli.errors.too_few_new", "zh")
    assert counts(demo) == before


def test_a_refusal_by_state_names_the_state_and_its_code_in_the_default_language(demo: Engine) -> None:
    """"Already open", "closed", "submitted" are said in zh with their catalogued code, not in English words
    the service happened to use; nothing changes."""
    with read_session(demo) as s:
        open_round = s.scalars(select(BenchmarkRound.id).where(BenchmarkRound.status == "open")).first()
    before = counts(demo)
    code, out, err = run_cli(["round", "reopen", str(open_round)])
    assert code == 2 and out == ""
    assert t("state.round_already_open", "zh", id=open_round) in err and "[round_already_open]" in err
    assert t("state.round_already_open", "en", id=open_round) not in err
    code, out, err = run_cli(["round", "close", str(open_round)])
    assert code == 0
    after_close = counts(demo)
    code, out, err = run_cli(["round", "publish", str(open_round)])  # closed: its final release stands
    assert code == 2 and out == ""
    assert t("state.round_closed", "zh", id=open_round) in err and "[round_closed]" in err
    assert counts(demo) == after_close and after_close != before  # the close itself published the final release
