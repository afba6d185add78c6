"""organisations and administrations: the slugs on every channel

Every channel gets the organisation and the administration it belongs to (issue 15); what
follows a channel (editors, consents, documentation, captures, packages) is scoped through it.
The channels that exist go into organisation "default", administration "default": the slugs
of a single-policy deployment (domain.organisations.single_organisation). A deployment that
names its organisation otherwise moves them afterwards (`kanalkollen organisations move`,
storage.organisations.move_channels).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DEFAULT_SLUG = 'default'


def upgrade() -> None:
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('organisation', sa.String(length=63), server_default=DEFAULT_SLUG, nullable=False))
        batch_op.add_column(sa.Column('administration', sa.String(length=63), server_default=DEFAULT_SLUG, nullable=False))
        batch_op.create_index('ix_channels_organisation_due', ['organisation', 'status', 'next_documentation_due'], unique=False)
        batch_op.create_index('ix_channels_administration_due', ['organisation', 'administration', 'status', 'next_documentation_due'], unique=False)


def downgrade() -> None:
    # Going back merges every organisation into one: refuse rather than mix two tenants' data.
    organisations = op.get_bind().execute(sa.text('SELECT DISTINCT organisation FROM channels')).scalars().all()
    if len(organisations) > 1:
        raise RuntimeError(
            f"cannot downgrade below 0008: the channels belong to {len(organisations)} "
            f"organisations ({', '.join(sorted(organisations))}); a deployment before 0008 serves one"
        )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index('ix_channels_administration_due')
        batch_op.drop_index('ix_channels_organisation_due')
        batch_op.drop_column('administration')
        batch_op.drop_column('organisation')
