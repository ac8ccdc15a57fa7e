"""Task queue: job ledger, deadline reminders, calendar feed tokens, reminder settings

- job: background work written in the transaction that asks for it (huey carries only its id).
- reminder: one row per (guardian, period, kind), inserted before the e-mail is queued.
- calendarfeedtoken: a family's private iCalendar address (token hash only).
- structure.reminder_days_before (default 2, 0 = off), guardian.reminders_enabled (default on).

Revision ID: 0004_task_queue
Revises: 0003
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0004_task_queue'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=True),
        sa.Column('payload', sa.Text(), server_default='', nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('run_after', sa.DateTime(), nullable=False),
        sa.Column('lease_until', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_job_status_run_after', 'job', ['status', 'run_after'])
    op.create_table(
        'reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('guardian_id', sa.Integer(), nullable=False),
        sa.Column('period_key', sa.String(length=10), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['guardian_id'], ['guardian.id']),
        sa.ForeignKeyConstraint(['structure_id'], ['structure.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('guardian_id', 'period_key', 'kind'),
    )
    op.create_index('ix_reminder_structure_period', 'reminder', ['structure_id', 'period_key'])
    op.create_table(
        'calendarfeedtoken',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['family_id'], ['family.id']),
        sa.ForeignKeyConstraint(['structure_id'], ['structure.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index(op.f('ix_calendarfeedtoken_family_id'), 'calendarfeedtoken', ['family_id'])
    with op.batch_alter_table('structure') as batch:
        batch.add_column(sa.Column('reminder_days_before', sa.Integer(), server_default='2', nullable=False))
    with op.batch_alter_table('guardian') as batch:
        batch.add_column(sa.Column('reminders_enabled', sa.Boolean(), server_default=sa.true(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('guardian') as batch:
        batch.drop_column('reminders_enabled')
    with op.batch_alter_table('structure') as batch:
        batch.drop_column('reminder_days_before')
    op.drop_index(op.f('ix_calendarfeedtoken_family_id'), table_name='calendarfeedtoken')
    op.drop_table('calendarfeedtoken')
    op.drop_index('ix_reminder_structure_period', table_name='reminder')
    op.drop_table('reminder')
    op.drop_index('ix_job_status_run_after', table_name='job')
    op.drop_table('job')
