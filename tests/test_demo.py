"""`aigov demo`: idempotent, deterministic, and varied enough to make real charts and peer comparisons."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from cli.main import main as aigov
from db.engine import read_session
from db.models import Answer, Assessment, Association, AssociationMember, BenchmarkRound, Organisation, User
from demo.seed import seed_demo
from services.accounts import create_user
from services.demo_check import DEMO_ACCOUNTS
from services.sign_in import authenticate


def _snapshot(engine: Engine) -> list[tuple]:
    with read_session(engine) as s:
        return list(s.execute(select(Assessment.organisation_id, Answer.question_id, Answer.level, Answer.is_na)
                              .join(Assessment, Assessment.id == Answer.assessment_id)
                              .order_by(Answer.id)).all())


def test_demo_is_idempotent_and_varied(engine: Engine) -> None:
    first = seed_demo(engine, seed=7)
    assert first.created and first.organisations >= 40
    again = seed_demo(engine, seed=7)
    assert not again.created
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Association)) == 1
        assert s.scalar(select(func.count()).select_from(AssociationMember)) >= 40
        assert s.scalar(select(func.count()).select_from(BenchmarkRound)) == 2
        profiles = [o.profile for o in s.scalars(select(Organisation))]
        levels = [r for r in s.scalars(select(Answer.level)) if r is not None]
        na = s.scalar(select(func.count()).select_from(Answer).where(Answer.is_na))
        submitted = s.scalar(select(func.count()).select_from(Assessment).where(Assessment.status == "submitted"))
    assert len({p["sector"] for p in profiles}) >= 8
    assert {p["size"] for p in profiles} == {"micro", "small", "medium", "large"}
    assert {r for p in profiles for r in p["ai_roles"]} == {"tech_provider", "app_provider", "user"}
    assert set(levels) == {0, 1, 2, 3, 4, 5}
    assert na > 0 and submitted >= 60


def test_demo_is_deterministic_with_seed(engine: Engine, tmp_path) -> None:
    from db.engine import make_engine
    from db.migrate import upgrade

    seed_demo(engine, seed=11)
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(other_url)
    other = make_engine(other_url)
    seed_demo(other, seed=11)
    assert _snapshot(engine) == _snapshot(other)
    other.dispose()


def test_demo_accounts_sign_in(engine: Engine) -> None:
    seed_demo(engine)
    for username, password, _display, _role in DEMO_ACCOUNTS:
        assert authenticate(engine, username, password).username == username


def test_if_empty_leaves_a_real_installation_alone(engine: Engine) -> None:
    create_user(engine, "owner", "an-owner-password")
    assert not seed_demo(engine, if_empty=True).created
    with read_session(engine) as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1


def test_cli_demo(app_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert aigov(["demo", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "demo created: 45 organisations" in out and "demo-admin-2024" in out
    assert aigov(["demo"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_cli_demo_prints_the_demo_passwords_only_where_they_work(app_db: str, engine: Engine,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    create_user(engine, "owner", "a-real-installation-password", platform_admin=True)
    assert aigov(["demo", "--if-empty"]) == 0  # what `make run` does on a real installation
    out = capsys.readouterr().out
    assert "nothing to do" in out
    assert not any(password in out for _user, password, _name, _role in DEMO_ACCOUNTS)
