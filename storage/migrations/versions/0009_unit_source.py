"""channels.unit_source: where the channel's unit came from (R2, issue 23)

A deputy decides for a unit only when the unit was chosen from the policy's list of units
("policy"), never from a text the requester typed ("form"). Channels from before have none
(NULL): their unit was typed, so only their manager decides.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_source', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('unit_source')
