"""channels, editors, card copies, app settings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_settings',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_by_person_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('card_copies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('card', sa.String(length=32), nullable=False),
    sa.Column('conversation_id', sa.String(length=512), nullable=False),
    sa.Column('activity_id', sa.String(length=256), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('conversation_id', 'activity_id', name='uq_card_copies_activity')
    )
    with op.batch_alter_table('card_copies', schema=None) as batch_op:
        batch_op.create_index('ix_card_copies_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('unit', sa.String(length=120), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.Column('login_reference', sa.String(length=300), nullable=False),
    sa.Column('requester_person_id', sa.Integer(), nullable=False),
    sa.Column('manager_person_id', sa.Integer(), nullable=True),
    sa.Column('manager_source', sa.String(length=16), nullable=False),
    sa.Column('plan_file_key', sa.String(length=512), nullable=True),
    sa.Column('plan_sha256', sa.String(length=64), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by_person_id', sa.Integer(), nullable=True),
    sa.Column('decision_comment', sa.Text(), nullable=True),
    sa.Column('manager_has_login_access', sa.Boolean(), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('next_documentation_due', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['manager_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['requester_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.create_index('ix_channels_documentation_due', ['status', 'next_documentation_due'], unique=False)
        batch_op.create_index('ix_channels_manager', ['manager_person_id'], unique=False)
        batch_op.create_index('ix_channels_requester', ['requester_person_id'], unique=False)
        batch_op.create_index('ix_channels_status', ['status'], unique=False)

    op.create_table('channel_editors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('nominated_by_person_id', sa.Integer(), nullable=True),
    sa.Column('nominated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['nominated_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_id', 'person_id', name='uq_channel_editors_person')
    )
    with op.batch_alter_table('channel_editors', schema=None) as batch_op:
        batch_op.create_index('ix_channel_editors_person', ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('channel_editors', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_editors_person')

    op.drop_table('channel_editors')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index('ix_channels_status')
        batch_op.drop_index('ix_channels_requester')
        batch_op.drop_index('ix_channels_manager')
        batch_op.drop_index('ix_channels_documentation_due')

    op.drop_table('channels')
    with op.batch_alter_table('card_copies', schema=None) as batch_op:
        batch_op.drop_index('ix_card_copies_subject')

    op.drop_table('card_copies')
    op.drop_table('app_settings')
