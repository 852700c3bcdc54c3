"""Benchmark test data built through the real services: an association, members, a round, submissions."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Engine

from enums import AnswerSource
from questionnaires import get_questionnaire
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import AnswerInputData, save_answers_bulk
from services.association_members import create_member_organisation
from services.associations import create_association, get_association, join_association
from services.organisations import create_organisation
from services.round_members import start_round_assessment, submit_to_round
from services.rounds import open_round

PASSWORD = "bench-Pass-2024!"


def profile(sector: str = "finance", size: str = "small", roles: list[str] | None = None) -> dict[str, Any]:
    return {"ai_roles": roles or ["user"], "genai_public": False, "high_impact": False, "sector": sector, "size": size}


@dataclass
class Cohort:
    """An association with one open round; ``orgs`` maps organisation name → (org id, admin user id)."""

    engine: Engine
    association_id: int
    round_id: int
    admin_user_id: int
    orgs: dict[str, tuple[int, int]] = field(default_factory=dict)
    assessments: dict[str, int] = field(default_factory=dict)

    def admin(self) -> Actor:
        return load_actor(self.engine, self.admin_user_id)

    def member(self, name: str) -> Actor:
        return load_actor(self.engine, self.orgs[name][1])

    def add(self, name: str, prof: dict[str, Any], *, registered: bool = False) -> int:
        """A member organisation with its own administrator account.

        By default the organisation signs up itself and joins with the invitation code: an
        *independent* member. ``registered``: the association registers it (then the association
        knows it, and it never counts toward a privacy threshold — the fabricated-member case).
        """
        username = f"u{len(self.orgs) + 1}-{self.association_id}"
        user = create_user(self.engine, username, PASSWORD)
        if registered:
            org_id = create_member_organisation(self.engine, self.admin(), self.association_id, name, prof,
                                                admin_username=username)
        else:
            me = load_actor(self.engine, user.id)
            org_id = create_organisation(self.engine, me, name, prof).id
            code = get_association(self.engine, Actor.system(), self.association_id).invite_code
            join_association(self.engine, load_actor(self.engine, user.id), org_id, code or "")
        self.orgs[name] = (org_id, user.id)
        return org_id

    def answer(self, name: str, assessment_id: int, level: int, *, note: str = "",
               levels: dict[str, int] | None = None, na: tuple[str, ...] = ()) -> None:
        """Answer every question with ``level`` (or ``levels[qid]``); questions in ``na`` as N/A."""
        answers = [AnswerInputData(x.id, na=True, justification=f"not relevant: {note}") if x.id in na
                   else AnswerInputData(x.id, level=(levels or {}).get(x.id, level), note=note)
                   for x in get_questionnaire().questions()]
        save_answers_bulk(self.engine, self.member(name), assessment_id, answers, source=AnswerSource.UI)

    def submit(self, name: str, level: int, *, sharing: str = "anonymous", note: str = "",
               levels: dict[str, int] | None = None, na: tuple[str, ...] = (), round_id: int | None = None) -> int:
        """Start, answer every question and submit into the round."""
        who = self.member(name)
        view = start_round_assessment(self.engine, who, self.orgs[name][0], round_id or self.round_id,
                                         sharing=sharing)
        self.answer(name, view.id, level, note=note, levels=levels, na=na)
        submit_to_round(self.engine, who, view.id)
        self.assessments[name] = view.id
        return view.id


def cohort(engine: Engine, *, min_group: int = 5, admin: str = "assoc-admin", with_round: bool = True) -> Cohort:
    """An association administered by ``admin`` with (by default) one open round."""
    user = create_user(engine, admin, PASSWORD)
    a = create_association(engine, Actor.system(), f"Alliance of {admin}", min_group_size=min_group,
                              admin_username=admin)
    rid = open_round(engine, Actor.system(), a.id, "2026 round", deadline=None).id if with_round else 0
    return Cohort(engine, a.id, rid, user.id)


def workbook_values(data: bytes) -> list[str]:
    """Every non-empty cell of every sheet, as text (to search a workbook for what must not be there)."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]


def rendered_text(at: Any) -> str:
    """Everything an AppTest run put on screen: texts, every table cell and every chart's data."""
    from tests.support.apptest import page_texts

    parts = [page_texts(at)]
    parts += [el.value.to_csv() for el in at.dataframe]
    parts += [str(el.proto.spec) for el in at.get("plotly_chart")]
    parts += [str(getattr(el, "value", "")) for el in at.get("code")]
    return "\n".join(parts)
