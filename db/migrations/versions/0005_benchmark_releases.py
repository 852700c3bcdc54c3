"""Benchmark releases: published snapshots of round statistics, and each association's release ε.

Existing rounds get their first snapshot when they are first read (services/releases.py): a
snapshot is computed with differential privacy, which belongs to the application, not to a
schema migration. Identified and anonymous data stay exactly as they were.

Revision ID: 0005
Revises: 0006
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("association") as batch:
        batch.add_column(sa.Column("release_epsilon", sa.Float(), server_default=sa.text("2.0"), nullable=False))
        batch.create_check_constraint("release_epsilon", "release_epsilon >= 0.5 AND release_epsilon <= 4.0")
    op.create_table(
        "benchmark_release",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("epsilon", sa.Float(), nullable=False),
        sa.Column("epsilon_spent", sa.Float(), nullable=False),
        sa.Column("independent_submitted", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("published_by", sa.Integer(), nullable=True),
        sa.Column("statistics", sa.JSON(), nullable=False),
        sa.Column("participation", sa.JSON(), nullable=False),
        sa.Column("identified", sa.JSON(), nullable=False),
        sa.CheckConstraint("kind IN ('interim', 'final')", name=op.f("ck_benchmark_release_kind")),
        sa.CheckConstraint("epsilon_spent >= 0", name=op.f("ck_benchmark_release_epsilon_spent")),
        sa.ForeignKeyConstraint(["round_id"], ["benchmark_round.id"],
                                name=op.f("fk_benchmark_release_round_id_benchmark_round"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["published_by"], ["user_account.id"],
                                name=op.f("fk_benchmark_release_published_by_user_account"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_benchmark_release")),
        sa.UniqueConstraint("round_id", "seq", name="uq_benchmark_release_round_seq"),
    )
    op.create_index(op.f("ix_benchmark_release_round_id"), "benchmark_release", ["round_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_benchmark_release_round_id"), table_name="benchmark_release")
    op.drop_table("benchmark_release")
    with op.batch_alter_table("association") as batch:
        batch.drop_constraint("release_epsilon", type_="check")
        batch.drop_column("release_epsilon")
