"""Deterministic demo data: accounts, a demo association with 45 members and two benchmarking rounds.

Answers are drawn from a simple latent-maturity model (organisation maturity + dimension offset +
question noise, clipped to 0..5), so charts and peer comparisons look like a real cohort: larger and
provider organisations score higher, and the second round shows improvement.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from db.engine import write_session
from db.models import (
    ActionItem,
    ActionQuestion,
    Answer,
    AnswerEvent,
    Assessment,
    Association,
    AssociationAdmin,
    AssociationMember,
    BenchmarkRound,
    Membership,
    Organisation,
    User,
)
from enums import ActionStatus, AnswerSource, AssessmentForm, AssessmentStatus, OrgRole, RoundStatus, Sharing
from questionnaires import Questionnaire, get_questionnaire
from services.demo_check import DEMO_ACCOUNTS
from services.passwords import hash_password
from services.releases import current_release

DEMO_INVITE_CODE = "DEMO-YRD-2025"
DEMO_ORG_NAME = "演示科技有限公司"
MEMBER_COUNT = 45

_PREFIXES = ["华信", "智远", "锦程", "天衡", "海川", "星辰", "明德", "启航", "博雅", "恒通", "瑞达", "云启",
             "东方", "汇智", "新禾", "卓越", "中科", "正元", "安和", "泰康", "同创", "金桥", "睿思", "远景"]
_SUFFIX = {
    "finance": "金融科技", "healthcare": "医疗科技", "transport": "智慧交通", "energy": "能源数字",
    "public_services": "政务服务", "manufacturing": "智能制造", "ict": "信息技术", "retail": "零售科技",
    "education": "教育科技", "other": "数字服务",
}
_HIGH_IMPACT = {"finance", "healthcare", "transport", "energy", "public_services"}


@dataclass(frozen=True)
class SeedReport:
    created: bool
    organisations: int
    assessments: int
    answers: int


def _profile(rng: random.Random, sector: str) -> dict[str, Any]:
    roles = rng.choice([["user"], ["user"], ["app_provider"], ["app_provider", "user"], ["tech_provider"],
                        ["tech_provider", "app_provider"]])
    return {
        "ai_roles": roles,
        "genai_public": "app_provider" in roles and rng.random() < 0.5,
        "high_impact": sector in _HIGH_IMPACT,
        "sector": sector,
        "size": rng.choice(["micro", "small", "small", "medium", "medium", "large"]),
    }


def _maturity(rng: random.Random, profile: dict[str, Any]) -> float:
    base = {"micro": 1.0, "small": 1.5, "medium": 2.1, "large": 2.7}[profile["size"]]
    if "tech_provider" in profile["ai_roles"]:
        base += 0.4
    if profile["high_impact"]:
        base += 0.2
    return base + rng.gauss(0, 0.5)


def _answers(rng: random.Random, q: Questionnaire, profile: dict[str, Any], maturity: float,
             completeness: float) -> list[dict[str, Any]]:
    offsets = {d.id: rng.gauss(0, 0.45) for d in q.dimensions}
    # Risk assessment is the weakest practice area in most SMEs, as the CAICT report observes.
    offsets["ASM"] = offsets.get("ASM", 0.0) - 0.3
    rows: list[dict[str, Any]] = []
    for d in q.dimensions:
        for s in d.subdimensions:
            for question in s.questions:
                if not q.applies(question, profile) or rng.random() > completeness:
                    continue
                if rng.random() < 0.04:
                    rows.append({"question_id": question.id, "level": None, "is_na": True,
                                 "justification": "本组织不涉及该场景（演示数据）。 Not relevant to our use (demo data).",
                                 "note": ""})
                    continue
                level = round(maturity + offsets[d.id] + rng.gauss(0, 0.7) - (0.3 if question.critical else 0))
                note = "证据见内部制度库（演示数据）。" if rng.random() < 0.15 else ""
                rows.append({"question_id": question.id, "level": max(0, min(5, level)), "is_na": False,
                             "justification": "", "note": note})
    return rows


def seed_demo(engine: Engine, *, seed: int = 2024, if_empty: bool = False) -> SeedReport:
    """Create the demo data once. Idempotent: a second call finds the demo association and stops.

    ``if_empty`` seeds only into a database without any account (``make run`` on a new install).
    """
    rng = random.Random(seed)
    # one round on each shipped version: the closed 2025 round on 1.0.0, the open 2026 round on the newest
    versions = [get_questionnaire(version="1.0.0"), get_questionnaire()]
    with write_session(engine) as s:
        if s.scalar(select(Association.id).where(Association.invite_code == DEMO_INVITE_CODE)) is not None:
            return SeedReport(False, 0, 0, 0)
        if if_empty and s.scalar(select(User.id).limit(1)) is not None:
            return SeedReport(False, 0, 0, 0)
        users = {}
        for username, password, display, role in DEMO_ACCOUNTS:
            u = s.scalars(select(User).where(User.username == username)).first()
            if u is None:
                u = User(username=username, display_name=display, password_hash=hash_password(password),
                         is_platform_admin=role == "platform_admin")
                s.add(u)
            users[username] = u
        s.flush()

        assoc = Association(name="长三角人工智能产业联盟（演示）", invite_code=DEMO_INVITE_CODE, min_group_size=5,
                            description="演示用行业联盟，成员与答案均为随机生成。 Demo alliance; members and answers are synthetic.")
        s.add(assoc)
        s.flush()
        s.add(AssociationAdmin(user_id=users["assoc"].id, association_id=assoc.id))
        now = datetime(2026, 11, 1, 9, 0)
        rounds = [
            BenchmarkRound(association_id=assoc.id, name="2025 年度测评 · 2025 annual round", questionnaire_id=versions[0].id,
                           questionnaire_version=versions[0].version, deadline=now - timedelta(days=300), status=RoundStatus.CLOSED,
                           created_at=now - timedelta(days=360)),
            BenchmarkRound(association_id=assoc.id, name="2026 年度测评 · 2026 annual round", questionnaire_id=versions[1].id,
                           questionnaire_version=versions[1].version, deadline=now + timedelta(days=60), status=RoundStatus.OPEN,
                           created_at=now - timedelta(days=20)),
        ]
        s.add_all(rounds)
        s.flush()

        sectors = list(_SUFFIX)
        n_assess = n_answers = 0
        for i in range(MEMBER_COUNT):
            sector = sectors[i % len(sectors)] if i < 20 else rng.choice(sectors)
            profile = _profile(rng, sector)
            name = DEMO_ORG_NAME if i == 0 else f"{_PREFIXES[i % len(_PREFIXES)]}{_SUFFIX[sector]}{'有限公司' if i % 3 else '股份有限公司'}"
            if i >= len(_PREFIXES):
                name = f"{name}（{i // len(_PREFIXES) + 1}）"
            if i == 0:
                profile = {"ai_roles": ["app_provider", "user"], "genai_public": True, "high_impact": False,
                           "sector": "ict", "size": "small"}
            org = Organisation(name=name, profile=profile)
            s.add(org)
            s.flush()
            s.add(AssociationMember(association_id=assoc.id, organisation_id=org.id))
            if i == 0:
                s.add(Membership(user_id=users["org1"].id, organisation_id=org.id, role=OrgRole.ORG_ADMIN))
                s.add(Membership(user_id=users["resp1"].id, organisation_id=org.id, role=OrgRole.RESPONDENT))
            maturity = _maturity(rng, profile)
            first_answers: list[dict[str, Any]] = []
            sharing = Sharing.IDENTIFIED if rng.random() < 0.35 else Sharing.ANONYMOUS
            for r_index, rnd in enumerate(rounds):
                q = versions[r_index]
                if r_index == 0 and rng.random() < 0.1:
                    continue  # joined in the second round
                submitted = r_index == 0 or i == 0 or rng.random() < 0.8
                m = maturity + 0.35 * r_index + rng.gauss(0, 0.15)
                when = rnd.created_at + timedelta(days=rng.randint(3, 18))
                a = Assessment(organisation_id=org.id, title=rnd.name.split(" · ")[0], questionnaire_id=q.id,
                               questionnaire_version=q.version, form=AssessmentForm.FULL,
                               status=AssessmentStatus.SUBMITTED if submitted else AssessmentStatus.DRAFT, round_id=rnd.id, sharing=sharing,
                               profile_snapshot=dict(profile) if submitted else None, created_at=when,
                               updated_at=when, submitted_at=when + timedelta(days=2) if submitted else None)
                s.add(a)
                s.flush()
                n_assess += 1
                for row in _answers(rng, q, profile, m, 1.0 if submitted else 0.6):
                    if i == 0 and r_index == 0:
                        first_answers.append(row)
                        demo_first = a
                    s.add(Answer(assessment_id=a.id, revision=1, updated_at=when, **row))
                    s.add(AnswerEvent(assessment_id=a.id, question_id=row["question_id"], source=AnswerSource.DEMO, at=when,
                                      new_level=row["level"], new_na=row["is_na"],
                                      new_justification=row["justification"], new_note=row["note"]))
                    n_answers += 1
            if i == 0:
                _demo_actions(s, versions[0], versions[-1], org.id, demo_first, first_answers, users, now)
        round_ids = [r.id for r in rounds]
    # Published releases, as the association would have them: the closed round's final release and
    # a first interim release of the open one (services/releases.py), so the dashboard, the peer
    # comparison and the results page show figures from the start. Their noise is drawn afresh.
    for rid in round_ids:
        current_release(engine, rid)
    return SeedReport(True, MEMBER_COUNT, n_assess, n_answers)


# (status, owner, due date offset from the seed's "now" in days, completed offset, drop reason)
_DEMO_ACTIONS = (
    (ActionStatus.DONE, "org1", -150, -160, ""),
    (ActionStatus.DONE, "resp1", -120, -110, ""),
    (ActionStatus.IN_PROGRESS, "resp1", -20, None, ""),
    (ActionStatus.PLANNED, "org1", 240, None, ""),
    (ActionStatus.DROPPED, "org1", None, None, "由集团统一制度覆盖，本公司不再单独建设"),
)


def _demo_actions(s: Any, q: Questionnaire, later: Questionnaire, org_id: int, first: Assessment,
                  answers: list[dict[str, Any]], users: dict[str, User], now: datetime) -> None:
    """A few actions of the demo company made from its lowest answers of the first round (questionnaire
    ``q``) on questions the second round's questionnaire (``later``) still asks: two done between the
    rounds (shown beside those questions in the second round), one overdue, one planned, one dropped."""
    still_asked = {x.id for x in later.questions()}
    low = sorted((r for r in answers if r["level"] is not None and r["question_id"] in still_asked),
                 key=lambda r: (r["level"], r["question_id"]))
    for (status, owner, due, done, reason), row in zip(_DEMO_ACTIONS, low, strict=False):
        question = q.question(row["question_id"])
        advice = question.recommendations[row["level"]]["zh"]
        title = f"{question.id}: {advice}"
        title = title if len(title) <= 200 else title[:199] + "…"
        created = (first.submitted_at or now) + timedelta(days=1)
        item = ActionItem(organisation_id=org_id, title=title, notes="", owner_id=users[owner].id,
                          due_date=(now + timedelta(days=due)).date() if due is not None else None, status=status,
                          drop_reason=reason, source_assessment_id=first.id, origin_level=row["level"],
                          origin_target=None, created_by=users["org1"].id, created_at=created,
                          updated_at=created, completed_at=now + timedelta(days=done) if done is not None else None)
        s.add(item)
        s.flush()
        s.add(ActionQuestion(action_id=item.id, question_id=question.id))
