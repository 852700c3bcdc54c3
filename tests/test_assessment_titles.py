"""Renaming an assessment: on the assessments page, checked like every name, on record in the event log."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from db.engine import read_session
from db.models import EventLog
from services.assessment_titles import rename_assessment
from services.assessments import get_assessment, submit
from services.errors import Forbidden, InvalidInput
from tests.ui_flow import msg, new_assessment, open_page, org_admin, respondent


def test_rename_rules(engine: Engine) -> None:
    alice = org_admin(engine)
    rita = respondent(engine, alice)
    aid = new_assessment(engine, alice, title="草稿")
    assert rename_assessment(engine, rita.actor(engine), aid, "  2026 年度自评  ").title == "2026 年度自评"
    for bad in ("", " ", "x" * 201, "bad\x00title"):
        with pytest.raises(InvalidInput):
            rename_assessment(engine, rita.actor(engine), aid, bad)
    submit(engine, alice.actor(engine), aid)
    with pytest.raises(Forbidden):
        rename_assessment(engine, rita.actor(engine), aid, "renamed by a respondent")
    rename_assessment(engine, alice.actor(engine), aid, "2026 年度自评（已提交）")
    assert get_assessment(engine, alice.actor(engine), aid).title == "2026 年度自评（已提交）"
    with read_session(engine) as s:
        details = [e.detail for e in s.scalars(select(EventLog).where(EventLog.action == "assessment_renamed"))]
    assert details == [{"old": "草稿", "new": "2026 年度自评"}, {"old": "2026 年度自评", "new": "2026 年度自评（已提交）"}]


def test_rename_on_the_assessments_page(app_db: str, engine: Engine) -> None:
    alice = org_admin(engine)
    aid = new_assessment(engine, alice, title="old title")
    at = open_page(alice, "assessments")
    at.text_input(key=f"rename_{aid}").set_value("Board review 2026")
    next(b for b in at.button if b.key == "act_rename").click().run()
    assert not at.exception
    assert get_assessment(engine, alice.actor(engine), aid).title == "Board review 2026"
    assert any(msg("assessments.renamed", id=aid) in s.value for s in at.success)
    table = at.dataframe[0].value
    assert "Board review 2026" in set(table[msg("assessments.col_title")])
