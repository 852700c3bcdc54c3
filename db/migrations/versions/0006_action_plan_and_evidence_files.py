"""Action plan (actions and the questions they address) and evidence files attached to answers.

Revision ID: 0006
Revises: 0008
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('action_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('drop_reason', sa.Text(), nullable=False),
    sa.Column('source_assessment_id', sa.Integer(), nullable=True),
    sa.Column('origin_level', sa.Integer(), nullable=True),
    sa.Column('origin_target', sa.Double(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status <> 'dropped' OR length(drop_reason) > 0", name=op.f('ck_action_item_drop_reason')),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'done', 'dropped')", name=op.f('ck_action_item_status')),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_action_item_created_by_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_action_item_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['owner_id'], ['user_account.id'], name=op.f('fk_action_item_owner_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_assessment_id'], ['assessment.id'], name=op.f('fk_action_item_source_assessment_id_assessment'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_item'))
    )
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_item_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('evidence_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('media_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_evidence_file_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_evidence_file_organisation_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['user_account.id'], name=op.f('fk_evidence_file_uploaded_by_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_file')),
    sa.UniqueConstraint('storage_key', name=op.f('uq_evidence_file_storage_key'))
    )
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_file_assessment_question', ['assessment_id', 'question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_file_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('action_question',
    sa.Column('action_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['action_id'], ['action_item.id'], name=op.f('fk_action_question_action_id_action_item'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('action_id', 'question_id', name=op.f('pk_action_question'))
    )


def downgrade() -> None:
    op.drop_table('action_question')
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_file_organisation_id'))
        batch_op.drop_index('ix_evidence_file_assessment_question')

    op.drop_table('evidence_file')
    with op.batch_alter_table('action_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_item_organisation_id'))

    op.drop_table('action_item')
