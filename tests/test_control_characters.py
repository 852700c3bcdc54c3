"""Control characters (NUL, ESC, BEL, …) are refused wherever text enters, and never printed raw.

Threat: a display name or an assessment title holding NUL cannot be restored from a dump on PostgreSQL
(it refuses NUL in text), and one holding ``ESC [ …`` rewrites the terminal of whoever lists it with
``aigov``. Names of organisations, associations and rounds, notes and N/A reasons were already refused;
these tests cover the rest, on both database backends, and the command line's one output path.
"""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from sqlalchemy import Engine, func, select, update

import cli.main
from db.engine import read_session, write_session
from db.models import Assessment, User
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import AnswerInputData, create_assessment
from services.associations import create_association
from services.errors import InvalidInput, Problem
from services.organisations import create_organisation
from services.single_sign_on import sso_actor
from tests.support.answers import save_answer
from tests.support.cli import run_cli
from tests.ui_flow import PASSWORD, q

CONTROLS = ["\x00", "\x1b[31m", "\x07", "\x7f", "\x08"]


@pytest.fixture
def db_url(any_db_url: str) -> str:
    return any_db_url


def _first(refused: pytest.ExceptionInfo[InvalidInput]) -> Problem:
    problem = refused.value.problems[0]
    assert isinstance(problem, Problem)
    return problem


def _count(engine: Engine, model: type) -> int:
    with read_session(engine) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("char", CONTROLS)
def test_display_names_titles_descriptions_and_addresses_refuse_them(engine: Engine, system: Actor,
                                                                      char: str) -> None:
    code = f"U+{ord(char[0]):04X}"
    with pytest.raises(InvalidInput) as refused:
        create_user(engine, "mallory", PASSWORD, display_name=f"Mal{char}lory")
    assert len(refused.value.problems) == 1
    assert (_first(refused).code, _first(refused).values) == ("display_name_control", {"char": code})
    with pytest.raises(InvalidInput) as refused:
        create_user(engine, "mallory", PASSWORD, email=f"mal{char}@example.com")
    assert _first(refused).code == "email_format"
    assert _count(engine, User) == 0

    org = create_organisation(engine, system, "控制字符测试 Ltd", q().default_profile())
    with pytest.raises(InvalidInput) as refused:
        create_assessment(engine, system, org.id, title=f"2026{char}")
    assert _first(refused).code == "title_control" and code in str(_first(refused))
    assert _count(engine, Assessment) == 0
    with pytest.raises(InvalidInput) as refused:
        create_association(engine, system, "Alliance", description=f"about{char}us")
    assert _first(refused).code == "description_control"

    aid = create_assessment(engine, system, org.id, title="clean").id
    with pytest.raises(InvalidInput) as refused:
        save_answer(engine, system, aid, AnswerInputData(q().questions()[0].id, level=1, note=f"x{char}"),
                    expected_revision=None)
    assert _first(refused).code == "note_control"


def test_tab_and_line_breaks_stay_allowed(engine: Engine, system: Actor) -> None:
    org = create_organisation(engine, system, "Tabs Ltd", q().default_profile())
    view = create_assessment(engine, system, org.id, title="  Q1\t2026  ")
    assert view.title == "Q1\t2026"
    assert create_user(engine, "tabby", PASSWORD, display_name="Line\tone").display_name == "Line\tone"


def test_a_single_sign_on_name_is_stored_without_them(engine: Engine) -> None:
    """Nobody can retype the provider's name, so it is cleaned rather than refused."""
    actor = sso_actor(engine, "new@example.com", "Ne\x1b[2Jw\x00 Person", email_verified=True)
    with read_session(engine) as s:
        assert s.get(User, actor.user_id).display_name == "Ne[2Jw Person"


# --- the command line ---------------------------------------------------------------------------------

@pytest.fixture
def old_data(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch) -> int:
    """An account whose display name holds an escape sequence (stored before the rule, or by hand in SQL)."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    uid = create_user(engine, "eve", PASSWORD).id
    with write_session(engine) as s:
        s.execute(update(User).where(User.id == uid).values(display_name="Eve\x1b]0;pwned\x07\x1b[2J\u202eevil\r"))
    return uid


def test_the_cli_prints_escapes_visibly(old_data: int) -> None:
    code, out, _err = run_cli(["users", "list"])
    assert code == 0
    line = next(x for x in out.splitlines() if x.startswith("eve"))
    assert "Eve\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil" in line
    assert not any(c in out for c in ("\x1b", "\x07", "\u202e")) and "\r" not in out


def test_error_messages_and_usage_errors_are_escaped_too(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    _code, _out, err = run_cli(["users", "history", "\x1b[2J"])
    assert "\x1b" not in err and "\\x1b[2J" in err
    _code, _out, err = run_cli(["users", "grant", "\x1b[31mred", "--org", "1", "--role", "respondent"])
    assert "\x1b" not in err


def test_without_the_output_path_the_escape_reaches_the_terminal(old_data: int,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Teeth: the same listing printed without cli.output writes the raw sequence."""
    monkeypatch.setattr(cli.main, "escaped_output", nullcontext)
    _code, out, _err = run_cli(["users", "list"])
    assert "\x1b[2J" in out


def test_load_actor_still_works_for_such_an_account(engine: Engine, old_data: int) -> None:
    assert load_actor(engine, old_data).username == "eve"
