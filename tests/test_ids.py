"""Ids typed by people (links, command-line arguments) that cannot name an object are "not found".

Threat: ``?assessment=99999999999999999999`` or ``aigov users history 99999999999999999999`` reached the
database driver, which raised OverflowError (SQLite) or "integer out of range" (PostgreSQL): a traceback
instead of the answer any unknown id gets. :func:`services.ids.parse_id` is the one parser pages
(``query_int``) and the command line (``object_id``) use.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import DataError, StatementError

from db.engine import make_engine
from i18n import t
from services.access import Actor
from services.assessments import get_assessment
from services.errors import NotFound
from services.ids import MAX_ID, parse_id
from tests.support.cli import run_cli
from tests.ui_flow import new_assessment, open_page, org_admin

HUGE = "99999999999999999999"  # beyond 64 bits
BEYOND_INT = str(2**31)  # fits 64 bits, not PostgreSQL's INTEGER


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), (" 7 ", 7), ("+3", 3), (str(MAX_ID), MAX_ID), (HUGE, None), (BEYOND_INT, None), ("0", None),
    ("-4", None), ("1e3", None), ("0x10", None), ("", None), (None, None), ("١٢", None), ("1" * 5000, None),
    (5, 5), (True, None)])
def test_parse_id(text: object, expected: int | None) -> None:
    assert parse_id(text) == expected


@pytest.mark.parametrize("raw", [HUGE, BEYOND_INT])
def test_the_database_refuses_such_an_id_so_it_must_never_get_there(any_db_url: str, raw: str) -> None:
    """Teeth: what an unparsed id does (why the parser exists), on both backends."""
    engine = make_engine(any_db_url)
    try:
        if raw == BEYOND_INT and engine.dialect.name == "sqlite":
            # SQLite stores 64-bit integers: only PostgreSQL's 32-bit INTEGER overflows at this id; SQLite
            # simply finds nothing (the parser still refuses it, so both backends answer alike).
            with pytest.raises(NotFound):
                get_assessment(engine, Actor.system(), int(raw))
            return
        with pytest.raises((OverflowError, DataError, StatementError)):
            get_assessment(engine, Actor.system(), int(raw))
    finally:
        engine.dispose()


@pytest.mark.parametrize("raw", [HUGE, BEYOND_INT, "-1", "abc"])
def test_a_link_with_an_impossible_id_shows_not_found(app_db: str, engine: Engine, raw: str) -> None:
    alice = org_admin(engine)
    new_assessment(engine, alice)
    for page in ("questionnaire", "results", "members"):
        at = open_page(alice, page, query={"assessment": raw})
        assert not at.exception
        assert [w.value for w in at.warning] == [t("errors.not_found", "zh")], page


@pytest.mark.parametrize("argv", [
    ["users", "history", HUGE], ["users", "history", BEYOND_INT], ["users", "list", "--org", HUGE],
    ["round", "close", HUGE], ["template", "--out", "x.xlsx", "--org", HUGE], ["import", "x.xlsx", "--org", HUGE],
    ["users", "history", "0"]])
def test_a_command_with_an_impossible_id_says_not_found(engine: Engine, db_url: str, argv: list[str],
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    code, _out, err = run_cli(argv)
    assert code == 2 and "Traceback" not in err and err.strip().endswith(": not found"), err
    assert err.startswith("aigov: error: ")


def test_a_command_with_a_word_for_an_id_is_a_usage_error(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    code, _out, err = run_cli(["users", "history", "twelve"])
    assert code == 2 and "'twelve' is not an id: assessment ids are whole numbers" in err
