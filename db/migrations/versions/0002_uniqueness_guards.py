"""Uniqueness the services check, now also guaranteed by the database under concurrency.

- user names are unique regardless of case;
- an organisation has at most one assessment per benchmarking round.

Revision ID: 0002
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("uq_user_account_username_lower", "user_account", [sa.text("lower(username)")], unique=True)
    with op.batch_alter_table("assessment") as batch:
        batch.create_unique_constraint("uq_assessment_organisation_round", ["organisation_id", "round_id"])


def downgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.drop_constraint("uq_assessment_organisation_round", type_="unique")
    op.drop_index("uq_user_account_username_lower", table_name="user_account")
