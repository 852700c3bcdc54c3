"""SQLAlchemy 2 typed ORM models: the whole persistent state of an installation.

Tenancy: an :class:`Organisation` owns its assessments and answers; users reach organisations
through :class:`Membership` and associations through :class:`AssociationAdmin`. Answers are
keyed by the questionnaire's stable question id, so questionnaire content stays in YAML. Statuses,
roles and the other enumerated columns are stored as text and checked against the enumerations of
:mod:`enums` (which every layer imports, so the database and the code name the same values).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from enums import (
    ActionStatus,
    AnswerSource,
    AssessmentForm,
    AssessmentStatus,
    OrgRole,
    ReleaseKind,
    RoundStatus,
    Sharing,
)
from questionnaires.answer_rule import NA_CHECK_SQL, level_check_sql

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def one_of(column: str, values: type[StrEnum], *, nullable: bool = False) -> str:
    """The CHECK condition that ``column`` holds one of the enumeration's stored values."""
    allowed = f"{column} IN ({', '.join(repr(v.value) for v in values)})"
    return f"{column} IS NULL OR {allowed}" if nullable else allowed


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON}


class User(Base):
    __tablename__ = "user_account"
    # User names are unique regardless of case ("Bob" and "bob" are one account), enforced by the
    # database so that two concurrent sign-ups cannot both pass the service's check.
    __table_args__ = (Index("uq_user_account_username_lower", func.lower(text("username")), unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_platform_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Organisation(Base):
    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    # Profile fields are defined by the questionnaire data (profile.yml), not by this schema.
    profile: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    target_preset: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A user's role in one organisation."""

    __tablename__ = "membership"
    __table_args__ = (CheckConstraint(one_of("role", OrgRole), name="role"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")


class Association(Base):
    """An industry association, alliance or park that benchmarks its members."""

    __tablename__ = "association"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    invite_code: Mapped[str] = mapped_column(String(40), unique=True)
    min_group_size: Mapped[int] = mapped_column(Integer, default=5)
    # ε of each release of its rounds' statistics (privacy/parameters.py bounds it; docs/benchmarking.md)
    release_epsilon: Mapped[float] = mapped_column(Float, default=2.0, server_default=text("2.0"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (
        CheckConstraint("min_group_size >= 3", name="min_group_size"),
        CheckConstraint("release_epsilon >= 0.5 AND release_epsilon <= 4.0", name="release_epsilon"),
    )


class AssociationAdmin(Base):
    __tablename__ = "association_admin"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    association_id: Mapped[int] = mapped_column(
        ForeignKey("association.id", ondelete="CASCADE"), primary_key=True
    )


class AssociationMember(Base):
    __tablename__ = "association_member"

    association_id: Mapped[int] = mapped_column(
        ForeignKey("association.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True
    )
    joined_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class BenchmarkRound(Base):
    """测评轮次: one questionnaire version, a deadline, members submit into it."""

    __tablename__ = "benchmark_round"
    __table_args__ = (CheckConstraint(one_of("status", RoundStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    association_id: Mapped[int] = mapped_column(ForeignKey("association.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    questionnaire_id: Mapped[str] = mapped_column(String(80))
    questionnaire_version: Mapped[str] = mapped_column(String(40))
    deadline: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(10), default=RoundStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class BenchmarkRelease(Base):
    """A published snapshot of a round's statistics: computed once, stored, shown unchanged.

    ``statistics`` is a :class:`privacy.release.ReleasedStatistics` (differentially private);
    ``participation`` and ``identified`` are what the round showed at publication. Rows are never
    updated: a closed round's last release is what its dashboard and workbook show for good.
    """

    __tablename__ = "benchmark_release"
    __table_args__ = (
        CheckConstraint(one_of("kind", ReleaseKind), name="kind"),
        CheckConstraint("epsilon_spent >= 0", name="epsilon_spent"),
        UniqueConstraint("round_id", "seq", name="uq_benchmark_release_round_seq"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("benchmark_round.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the round
    kind: Mapped[str] = mapped_column(String(10))
    epsilon: Mapped[float] = mapped_column(Float)  # the ε set for the release (the most it may spend)
    epsilon_spent: Mapped[float] = mapped_column(Float)  # the sum of its mechanisms' ε (the ledger)
    independent_submitted: Mapped[int] = mapped_column(Integer)  # independent members included (never shown)
    published_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    statistics: Mapped[dict[str, Any]] = mapped_column(JSON)
    participation: Mapped[dict[str, Any]] = mapped_column(JSON)
    identified: Mapped[dict[str, Any]] = mapped_column(JSON)


class Assessment(Base):
    __tablename__ = "assessment"
    __table_args__ = (
        CheckConstraint(one_of("status", AssessmentStatus), name="status"),
        CheckConstraint(one_of("form", AssessmentForm), name="form"),
        CheckConstraint(one_of("sharing", Sharing, nullable=True), name="sharing"),
        # One assessment per organisation and round (NULL rounds are distinct, so unlimited outside rounds).
        UniqueConstraint("organisation_id", "round_id", name="uq_assessment_organisation_round"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    questionnaire_id: Mapped[str] = mapped_column(String(80))
    questionnaire_version: Mapped[str] = mapped_column(String(40))
    form: Mapped[str] = mapped_column(String(10), default=AssessmentForm.FULL)
    status: Mapped[str] = mapped_column(String(10), default=AssessmentStatus.DRAFT)
    target_preset: Mapped[str | None] = mapped_column(String(40))
    # The organisation profile as it was at submission, so later profile edits never rewrite history.
    profile_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("benchmark_round.id", ondelete="SET NULL"), index=True)
    sharing: Mapped[str | None] = mapped_column(String(12))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)

    organisation: Mapped[Organisation] = relationship(back_populates="assessments")
    answers: Mapped[list[Answer]] = relationship(back_populates="assessment", cascade="all, delete-orphan")

    __mapper_args__ = {"version_id_col": version_id}


class Answer(Base):
    """One question's answer: a level 0..5, or N/A with a justification; plus a note."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("assessment_id", "question_id", name="uq_answer_assessment_question"),
        # The last guard of the one answer rule (questionnaires/answer_rule.py), built from it.
        CheckConstraint(level_check_sql(), name="level_range"),
        CheckConstraint(NA_CHECK_SQL, name="na_has_no_level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(40))
    level: Mapped[int | None] = mapped_column(Integer)
    is_na: Mapped[bool] = mapped_column(Boolean, default=False)
    justification: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    assessment: Mapped[Assessment] = relationship(back_populates="answers")


class AnswerEvent(Base):
    """Append-only audit trail: who changed which answer, when, from what to what."""

    __tablename__ = "answer_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(10), default=AnswerSource.UI)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    old_level: Mapped[int | None] = mapped_column(Integer)
    old_na: Mapped[bool | None] = mapped_column(Boolean)
    old_justification: Mapped[str | None] = mapped_column(Text)
    old_note: Mapped[str | None] = mapped_column(Text)
    new_level: Mapped[int | None] = mapped_column(Integer)
    new_na: Mapped[bool | None] = mapped_column(Boolean)
    new_justification: Mapped[str | None] = mapped_column(Text)
    new_note: Mapped[str | None] = mapped_column(Text)


class EventLog(Base):
    """Security-relevant events (sign-in, lock-out, submission, export) for administrators."""

    __tablename__ = "event_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Setting(Base):
    """Installation-wide key/value settings (e.g. first-run state)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")


class SignInSession(Base):
    """A remembered sign-in (local accounts), so a browser reload keeps the user signed in.

    Only the SHA-256 of the random token is stored: a copy of the database does not let anyone
    take over a session. Rows end by idle time (``last_seen_at``), by ``expires_at`` (absolute
    lifetime) or by ``revoked_at`` (sign-out, password change or reset, deactivation).
    """

    __tablename__ = "sign_in_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class SignInThrottle(Base):
    """Failed sign-ins for names without an account, so they back off exactly like real accounts.

    Shared by every app process (a per-process count would let an attacker spread guesses over
    processes and tell real names from unknown ones). ``name_key`` is a keyed hash (HMAC-SHA-256
    with the installation's ``sign_in_throttle_key`` setting): typed names may be passwords entered
    in the wrong field, so they are never stored in clear. Rows are pruned once their back-off is
    long over.
    """

    __tablename__ = "sign_in_throttle"

    name_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    last_failed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class KnownSignInSource(Base):
    """A source (keyed hash of a client address) from which an account has signed in successfully.

    While an account is locked after failed passwords, a source it has signed in from before may still
    try the password: an attacker guessing from elsewhere cannot lock the real user out of the office
    or home connection they use. ``source_key`` is an HMAC like ``sign_in_throttle.name_key``; no
    address is stored. Rows older than :data:`services.sign_in_throttle.KNOWN_SOURCE_DAYS` days are
    pruned when the account signs in.
    """

    __tablename__ = "sign_in_known_source"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    source_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_success_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class OrganisationInvitation(Base):
    """An organisation administrator's invitation of an existing account, waiting for its owner's answer.

    Adding someone else's account directly attached them without consent and showed the inviting tenant
    their display name, e-mail and last sign-in. The invitee sees the invitation (organisation, role, who
    invited) and accepts — the membership is created then — or declines; either removes the row. One
    pending invitation per account and organisation.
    """

    __tablename__ = "organisation_invitation"
    __table_args__ = (
        UniqueConstraint("organisation_id", "user_id"),
        CheckConstraint(one_of("role", OrgRole), name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class ActionItem(Base):
    """One improvement action of an organisation's action plan (改进行动).

    An action belongs to the organisation, not to an assessment, so it survives into the next
    assessment; ``source_assessment_id`` and the ``origin_*`` values record the gap it was created
    from (the level and target it addressed then). The questions it addresses are
    :class:`ActionQuestion` rows.
    """

    __tablename__ = "action_item"
    __table_args__ = (
        CheckConstraint(one_of("status", ActionStatus), name="status"),
        CheckConstraint(f"status <> '{ActionStatus.DROPPED}' OR length(drop_reason) > 0", name="drop_reason"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text, default="")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    due_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default=ActionStatus.PLANNED)
    drop_reason: Mapped[str] = mapped_column(Text, default="")
    source_assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessment.id", ondelete="SET NULL"))
    origin_level: Mapped[int | None] = mapped_column(Integer)
    origin_target: Mapped[float | None] = mapped_column()
    created_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


class ActionQuestion(Base):
    """A question an action addresses (by the questionnaire's stable question id)."""

    __tablename__ = "action_question"

    action_id: Mapped[int] = mapped_column(ForeignKey("action_item.id", ondelete="CASCADE"), primary_key=True)
    question_id: Mapped[str] = mapped_column(String(40), primary_key=True)


class EvidenceFile(Base):
    """A document attached to one answer (assessment × question) as its evidence (佐证材料).

    The bytes live in the evidence store (services/storage.py) under ``storage_key``; the row holds
    what was checked at upload: the type detected from the content, the size and the SHA-256.
    """

    __tablename__ = "evidence_file"
    __table_args__ = (Index("ix_evidence_file_assessment_question", "assessment_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessment.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(40))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
