"""Statuses, roles, sharing modes and answer sources are enumerations whose stored values never change.

The database stores the enumeration's values as text and checks them with CHECK constraints built
from the enumerations (db/models.py). Changing a value would need a data migration, so the values
are pinned here, and the constraints the migrations created must say exactly what the models say.
"""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path
from typing import get_args

import pytest

from db.models import AnswerSource, AssessmentForm, AssessmentStatus, OrgRole, RoundStatus, Sharing, one_of
from scoring.types import Form
from services.answers import Source

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "db/migrations/versions").glob("*.py")))

STORED = [
    (OrgRole, ["org_admin", "respondent"]),
    (AssessmentStatus, ["draft", "submitted"]),
    (AssessmentForm, ["full", "core"]),
    (Sharing, ["anonymous", "identified"]),
    (RoundStatus, ["open", "closed"]),
    (AnswerSource, ["ui", "import", "cli", "demo", "restore", "carried", "confirmed"]),
]


@pytest.mark.parametrize(("enumeration", "values"), STORED, ids=[e.__name__ for e, _ in STORED])
def test_stored_values_are_unchanged(enumeration: type[StrEnum], values: list[str]) -> None:
    assert [member.value for member in enumeration] == values
    assert all(member == value for member, value in zip(enumeration, values, strict=True))  # compares as text


@pytest.mark.parametrize(("column", "enumeration", "nullable"), [
    ("role", OrgRole, False), ("status", RoundStatus, False), ("status", AssessmentStatus, False),
    ("form", AssessmentForm, False), ("sharing", Sharing, True),
])
def test_the_migrations_check_what_the_models_check(column: str, enumeration: type[StrEnum], nullable: bool) -> None:
    condition = one_of(column, enumeration, nullable=nullable)
    assert f'sa.CheckConstraint("{condition}"' in MIGRATIONS


def test_one_of_builds_the_condition_the_database_checks() -> None:
    assert one_of("sharing", Sharing, nullable=True) == "sharing IS NULL OR sharing IN ('anonymous', 'identified')"
    assert re.fullmatch(r"role IN \('org_admin', 'respondent'\)", one_of("role", OrgRole))


def test_the_typed_literals_name_the_same_values() -> None:
    assert get_args(Source) == tuple(AnswerSource)
    assert get_args(Form) == tuple(AssessmentForm)
