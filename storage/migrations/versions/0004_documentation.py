"""documentation rounds and files

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('documentation_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('completed_by_person_id', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('package_file_key', sa.String(length=512), nullable=True),
    sa.Column('package_sha256', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['completed_by_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('documentation_rounds', schema=None) as batch_op:
        batch_op.create_index('ix_documentation_rounds_channel', ['channel_id', 'due_date'], unique=False)

    op.create_table('documentation_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('file_key', sa.String(length=512), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('start_page', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['documentation_rounds.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('documentation_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_documentation_files_round_id'), ['round_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('documentation_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documentation_files_round_id'))

    op.drop_table('documentation_files')
    with op.batch_alter_table('documentation_rounds', schema=None) as batch_op:
        batch_op.drop_index('ix_documentation_rounds_channel')

    op.drop_table('documentation_rounds')
