"""Two tenants and two associations, built through the services as real users would build them.

* organisation A (甲): ``admin_a`` (organisation administrator), ``resp_a`` and ``resp_a2`` (respondents)
* organisation B (乙): ``admin_b`` (organisation administrator), ``resp_b`` (respondent)
* association X: ``admin_x``; A and B are members; round R is open; A takes part anonymously,
  B identified
* organisation C (丙): ``admin_c``; in no association
* association Y: ``admin_y`` (an administrator of another association)
* ``nobody``: an account without any role; ``platform``: a platform administrator

Every tenant's answers carry distinctive notes and justifications (``SECRETS``) so tests can
search rendered pages, exports and command output for anything that leaked.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine

from db.engine import make_engine
from questionnaires import get_questionnaire
from services import actions, evidence
from services.access import Actor, load_actor
from services.accounts import create_user
from services.assessments import AnswerInputData
from services.associations import create_association, join_association
from services.members import add_member
from services.organisations import create_organisation
from services.results import assessment_result
from services.round_members import start_round_assessment
from services.rounds import open_round
from services.storage import FileStore
from tests.support.answers import save_answer
from tests.support.databases import fresh_sqlite

USERS = ("admin_a", "resp_a", "resp_a2", "admin_b", "resp_b", "admin_c", "admin_x", "admin_y", "nobody", "platform")
ORG_NAMES = {"A": "甲方智能科技 Alphacorp-Q7", "B": "乙方数据服务 Bravotech-K3", "C": "丙方制造 Charlieworks-M5"}
SECRETS = {  # per tenant: texts that must never reach an outsider
    "A": ["Alphacorp-Q7", "ALPHA-NOTE-5531", "ALPHA-JUST-8812", "ALPHA-TITLE-2207", "ALPHA-ACTION-4410",
          "alpha-evidence-7731.txt"],
    "B": ["Bravotech-K3", "BRAVO-NOTE-6642", "BRAVO-JUST-9923", "BRAVO-TITLE-3318", "BRAVO-ACTION-5521",
          "bravo-evidence-8842.txt"],
}
# What an answer carries (notes, justifications, actions on it, evidence files): never shown to an association.
ANSWER_SECRETS = {"A": ["ALPHA-NOTE-5531", "ALPHA-JUST-8812", "ALPHA-ACTION-4410", "alpha-evidence-7731.txt"],
                  "B": ["BRAVO-NOTE-6642", "BRAVO-JUST-9923", "BRAVO-ACTION-5521", "bravo-evidence-8842.txt"]}
EVIDENCE_TEXT = {"A": b"ALPHA-EVIDENCE-BODY-1190 policy text\n", "B": b"BRAVO-EVIDENCE-BODY-2281 policy text\n"}


def password(username: str) -> str:
    return f"pw-{username}-2024!"


@dataclass
class World:
    """Ids of everything built; ``actor(name)`` loads a user's roles fresh from the database."""

    url: str
    engine: Engine
    users: dict[str, int] = field(default_factory=dict)
    orgs: dict[str, int] = field(default_factory=dict)  # "A", "B"
    assessments: dict[str, int] = field(default_factory=dict)  # "A", "B" (in round R)
    associations: dict[str, int] = field(default_factory=dict)  # "X", "Y"
    invite_codes: dict[str, str] = field(default_factory=dict)
    rounds: dict[str, int] = field(default_factory=dict)  # "X"
    questions: tuple[str, ...] = ()
    actions: dict[str, int] = field(default_factory=dict)  # "A", "B": one action each, on its first gap
    evidence: dict[str, int] = field(default_factory=dict)  # "A", "B": one evidence file each, on questions[0]

    def actor(self, name: str) -> Actor:
        return load_actor(self.engine, self.users[name])


def build_world(url: str, evidence_dir: Path | None = None) -> World:
    """Populate the migrated, empty database at ``url`` (evidence bytes under ``evidence_dir``)."""
    engine = make_engine(url)
    w = World(url, engine)
    system = Actor.system()
    for name in USERS:
        w.users[name] = create_user(engine, name, password(name), display_name=f"{name} 显示名",
                                    platform_admin=name == "platform").id
    profile = get_questionnaire().default_profile()
    for tenant, admin_name, members in (("A", "admin_a", ("resp_a", "resp_a2")), ("B", "admin_b", ("resp_b",)),
                                        ("C", "admin_c", ())):
        w.orgs[tenant] = create_organisation(engine, w.actor(admin_name), ORG_NAMES[tenant], profile).id
        for m in members:
            add_member(engine, Actor.system(), w.orgs[tenant], m, "respondent")
    for assoc, admin_name in (("X", "admin_x"), ("Y", "admin_y")):
        view = create_association(engine, system, f"协会 {assoc} Association-{assoc}",
                                            admin_username=admin_name)
        w.associations[assoc] = view.id
        w.invite_codes[assoc] = view.invite_code or ""
    for tenant, admin_name in (("A", "admin_a"), ("B", "admin_b")):  # both join X with its invitation code
        join_association(engine, w.actor(admin_name), w.orgs[tenant], w.invite_codes["X"])
    w.rounds["X"] = open_round(engine, w.actor("admin_x"), w.associations["X"], "2026 年度测评",
                                         deadline=None).id
    q = get_questionnaire()
    w.questions = tuple(x.id for x in q.questions())
    for tenant, admin_name, resp, sharing in (("A", "admin_a", "resp_a", "anonymous"),
                                              ("B", "admin_b", "resp_b", "identified")):
        started = start_round_assessment(engine, w.actor(admin_name), w.orgs[tenant], w.rounds["X"],
                                         sharing=sharing)
        w.assessments[tenant] = started.id
        _retitle(engine, started.id, SECRETS[tenant][3])
        note, just = ANSWER_SECRETS[tenant][:2]
        who = w.actor(resp)
        save_answer(engine, who, started.id, AnswerInputData(w.questions[0], level=3, note=note), expected_revision=None)
        save_answer(engine, who, started.id, AnswerInputData(w.questions[1], na=True, justification=just),
                    expected_revision=None)
        save_answer(engine, w.actor(admin_name), started.id, AnswerInputData(w.questions[2], level=2),
                    expected_revision=None)
        save_answer(engine, w.actor(admin_name), started.id, AnswerInputData(w.questions[3], level=0),
                    expected_revision=None)  # a gap (level 0 under any target) for the action plan
        gap = assessment_result(engine, who, started.id).gaps[0].question_id
        w.actions[tenant] = actions.create_action(
            engine, who, w.orgs[tenant], title=SECRETS[tenant][4], question_ids=[gap],
            owner_id=w.users[resp], from_assessment=started.id).id
        if evidence_dir is not None:
            w.evidence[tenant] = evidence.upload_evidence(
                engine, who, started.id, w.questions[0], SECRETS[tenant][5], EVIDENCE_TEXT[tenant],
                store=FileStore(evidence_dir)).id
    return w


def _retitle(engine: Engine, assessment_id: int, title: str) -> None:
    """Give the assessment a distinctive title (the round names it after itself)."""
    from db.engine import write_session
    from db.models import Assessment

    with write_session(engine) as s:
        a = s.get(Assessment, assessment_id)
        assert a is not None
        a.title = title


_TEMPLATE: dict[str, Path] = {}


def world_template(tmp_path_factory: pytest.TempPathFactory, template_dir: Path) -> Path:
    """The world built once per test run into a migrated SQLite file (ten argon2 hashes are slow)."""
    if "world" not in _TEMPLATE:
        folder = tmp_path_factory.mktemp("world-template")
        url = fresh_sqlite(folder, template_dir)
        build_world(url, folder / "evidence").engine.dispose()
        _TEMPLATE["world"] = folder / "test.db"
    return _TEMPLATE["world"]


def world_copy(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """A private copy of the world; DATABASE_URL points at it (for AppTest and the command line)."""
    target = tmp_path / "world.db"
    shutil.copyfile(template, target)
    shutil.copytree(template.parent / "evidence", tmp_path / "evidence", dirs_exist_ok=True)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("AIGOV_EVIDENCE_DIR", str(tmp_path / "evidence"))
    return rebind(url)


def rebind(url: str) -> World:
    """The World of a copied database: ids are read back by name, so they match the copy exactly."""
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import (
        ActionItem,
        Assessment,
        Association,
        BenchmarkRound,
        EvidenceFile,
        Organisation,
        User,
    )

    engine = make_engine(url)
    w = World(url, engine, questions=tuple(x.id for x in get_questionnaire().questions()))
    with read_session(engine) as s:
        w.users = {u.username: u.id for u in s.scalars(select(User))}
        names = {v: k for k, v in ORG_NAMES.items()}
        w.orgs = {names[o.name]: o.id for o in s.scalars(select(Organisation)) if o.name in names}
        for a in s.scalars(select(Association)):
            tag = a.name.rsplit("-", 1)[-1]
            w.associations[tag] = a.id
            w.invite_codes[tag] = a.invite_code
        r = s.scalars(select(BenchmarkRound).where(BenchmarkRound.association_id == w.associations["X"])).one()
        w.rounds["X"] = r.id
        by_org = {v: k for k, v in w.orgs.items()}
        w.assessments = {by_org[a.organisation_id]: a.id for a in s.scalars(select(Assessment).where(
            Assessment.round_id == r.id))}
        w.actions = {by_org[a.organisation_id]: a.id for a in s.scalars(select(ActionItem))
                     if a.organisation_id in by_org}
        w.evidence = {by_org[e.organisation_id]: e.id for e in s.scalars(select(EvidenceFile))
                      if e.organisation_id in by_org}
    return w
