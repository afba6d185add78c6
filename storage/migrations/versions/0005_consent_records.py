"""consent and records

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# The posts still without an address (ix_consent_checks_post is partial).
POST_PENDING = "outcome = 'publish' AND post_recorded_at IS NULL AND post_reminders = 0"


def upgrade() -> None:
    op.create_table('evidence_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_type', sa.String(length=32), nullable=False),
    sa.Column('subject_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=32), nullable=False),
    sa.Column('file_key', sa.String(length=512), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_person_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_files_subject', ['subject_type', 'subject_id'], unique=False)

    op.create_table('channel_closings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_by_person_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('export_reference', sa.String(length=300), nullable=True),
    sa.Column('package_file_key', sa.String(length=512), nullable=True),
    sa.Column('package_sha256', sa.String(length=64), nullable=True),
    sa.Column('submitted_by_person_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by_person_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ),
    sa.ForeignKeyConstraint(['confirmed_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['started_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['submitted_by_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('channel_closings', schema=None) as batch_op:
        batch_op.create_index('ix_channel_closings_channel', ['channel_id', 'status'], unique=False)

    op.create_table('consent_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('missing', sa.JSON(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('post_address', sa.String(length=300), nullable=True),
    sa.Column('post_recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('post_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('post_reminders', sa.Integer(), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consent_checks', schema=None) as batch_op:
        batch_op.create_index('ix_consent_checks_channel', ['channel_id'], unique=False)
        batch_op.create_index(
            'ix_consent_checks_post',
            ['checked_at', 'id'],
            unique=False,
            postgresql_where=sa.text(POST_PENDING),
            sqlite_where=sa.text(POST_PENDING),
        )

    op.create_table('consents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('minor', sa.Boolean(), nullable=False),
    sa.Column('guardian', sa.String(length=200), nullable=True),
    sa.Column('scope', sa.String(length=32), nullable=False),
    sa.Column('form', sa.String(length=16), nullable=False),
    sa.Column('document_reference', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recorded_by_person_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_by_person_id', sa.Integer(), nullable=True),
    sa.Column('withdrawal_note', sa.Text(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ),
    sa.ForeignKeyConstraint(['recorded_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['withdrawn_by_person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index('ix_consents_channel', ['channel_id', 'status'], unique=False)

    op.create_table('deletion_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('covered', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deletion_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_deletion_decisions_channel', ['channel_id', 'created_at'], unique=False)

    op.create_table('consent_check_consents',
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['check_id'], ['consent_checks.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('check_id', 'consent_id')
    )
    with op.batch_alter_table('consent_check_consents', schema=None) as batch_op:
        batch_op.create_index('ix_consent_check_consents_consent', ['consent_id'], unique=False)

    op.create_table('removal_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consent_id', sa.Integer(), nullable=False),
    sa.Column('check_id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('post_address', sa.String(length=300), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('captured_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_by_person_id', sa.Integer(), nullable=True),
    sa.Column('last_reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ),
    sa.ForeignKeyConstraint(['check_id'], ['consent_checks.id'], ),
    sa.ForeignKeyConstraint(['completed_by_person_id'], ['people.id'], ),
    sa.ForeignKeyConstraint(['consent_id'], ['consents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('consent_id', 'check_id', name='uq_removal_tasks_post')
    )
    with op.batch_alter_table('removal_tasks', schema=None) as batch_op:
        batch_op.create_index('ix_removal_tasks_channel', ['channel_id', 'status'], unique=False)
        batch_op.create_index('ix_removal_tasks_status', ['status', 'created_at'], unique=False)

    with op.batch_alter_table('channel_editors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('removed_by_person_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replaces_editor_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_channel_editors_removed_by', 'people', ['removed_by_person_id'], ['id'])
        batch_op.create_foreign_key('fk_channel_editors_replaces', 'channel_editors', ['replaces_editor_id'], ['id'])

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.create_index('ix_people_undeliverable', ['undeliverable_at'], unique=False)

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('understaffed_since', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_index('ix_people_undeliverable')

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('understaffed_since')

    with op.batch_alter_table('channel_editors', schema=None) as batch_op:
        batch_op.drop_constraint('fk_channel_editors_replaces', type_='foreignkey')
        batch_op.drop_constraint('fk_channel_editors_removed_by', type_='foreignkey')
        batch_op.drop_column('replaces_editor_id')
        batch_op.drop_column('removed_by_person_id')
        batch_op.drop_column('removed_at')

    with op.batch_alter_table('removal_tasks', schema=None) as batch_op:
        batch_op.drop_index('ix_removal_tasks_status')
        batch_op.drop_index('ix_removal_tasks_channel')

    op.drop_table('removal_tasks')
    with op.batch_alter_table('consent_check_consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_check_consents_consent')

    op.drop_table('consent_check_consents')
    with op.batch_alter_table('deletion_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_deletion_decisions_channel')

    op.drop_table('deletion_decisions')
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_channel')

    op.drop_table('consents')
    with op.batch_alter_table('consent_checks', schema=None) as batch_op:
        batch_op.drop_index('ix_consent_checks_post')
        batch_op.drop_index('ix_consent_checks_channel')

    op.drop_table('consent_checks')
    with op.batch_alter_table('channel_closings', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_closings_channel')

    op.drop_table('channel_closings')
    with op.batch_alter_table('evidence_files', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_files_subject')

    op.drop_table('evidence_files')
