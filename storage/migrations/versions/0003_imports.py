"""imported channels and people known by e-mail

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), server_default='request', nullable=False))
        batch_op.alter_column('requester_person_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index('ix_channels_address', ['platform', 'address'], unique=False)

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.alter_column('aad_object_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=True)
        batch_op.create_index('ix_people_email', ['tenant_id', 'email'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_email')
        batch_op.alter_column('aad_object_id',
               existing_type=sa.VARCHAR(length=64),
               nullable=False)

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index('ix_channels_address')
        batch_op.alter_column('requester_person_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('source')

