"""Organisation invitations an account's owner accepts or declines; sources an account signed in from.

Revision ID: 0008
Revises: 0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('org_admin', 'respondent')", name=op.f("ck_organisation_invitation_role")),
        sa.ForeignKeyConstraint(["invited_by"], ["user_account.id"],
                                name=op.f("fk_organisation_invitation_invited_by_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"],
                                name=op.f("fk_organisation_invitation_organisation_id_organisation"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_organisation_invitation_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_invitation")),
        sa.UniqueConstraint("organisation_id", "user_id", name=op.f("uq_organisation_invitation_organisation_id")),
    )
    op.create_index(op.f("ix_organisation_invitation_organisation_id"), "organisation_invitation",
                    ["organisation_id"], unique=False)
    op.create_index(op.f("ix_organisation_invitation_user_id"), "organisation_invitation", ["user_id"], unique=False)
    op.create_table(
        "sign_in_known_source",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("last_success_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user_account.id"],
                                name=op.f("fk_sign_in_known_source_user_id_user_account"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "source_key", name=op.f("pk_sign_in_known_source")),
    )


def downgrade() -> None:
    op.drop_table("sign_in_known_source")
    op.drop_index(op.f("ix_organisation_invitation_user_id"), table_name="organisation_invitation")
    op.drop_index(op.f("ix_organisation_invitation_organisation_id"), table_name="organisation_invitation")
    op.drop_table("organisation_invitation")
