"""The régie: counter payments, refunds, journal closures; PayFiP and Systempay settings

Revision ID: 0006_regie
Revises: 0005_commune_identity
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

import cantine_portal.models.base

revision: str = '0006_regie'
# main's head at the last merge (0005_commune_identity); a parallel 0004 chains before it.
down_revision: Union[str, None] = '0005_commune_identity'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

UTC = cantine_portal.models.base.UTCDateTime


def _structure_columns() -> None:
    with op.batch_alter_table('structure') as batch:
        batch.add_column(sa.Column('payfip_numcli', sa.String(length=6), nullable=False, server_default=''))
        batch.add_column(sa.Column('payfip_mode', sa.String(length=1), nullable=False, server_default='T'))
        batch.add_column(sa.Column('systempay_site_id', sa.String(length=8), nullable=False, server_default=''))
        batch.add_column(sa.Column('systempay_mode', sa.String(length=10), nullable=False, server_default='TEST'))


def upgrade() -> None:
    _structure_columns()
    op.create_table(
        'counterpayment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('bank', sa.String(length=80), nullable=False),
        sa.Column('cheque_number', sa.String(length=40), nullable=False),
        sa.Column('cesu_numbers', sa.Text(), server_default='', nullable=False),
        sa.Column('cesu_count', sa.Integer(), nullable=False),
        sa.Column('transfer_reference', sa.String(length=80), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=True),
        sa.Column('credit_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC(), nullable=False),
        sa.Column('rejected_at', UTC(), nullable=True),
        sa.Column('rejection_reason', sa.String(length=200), nullable=False),
        sa.Column('rejected_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['structure_id'], ['structure.id']),
        sa.ForeignKeyConstraint(['family_id'], ['family.id']),
        sa.ForeignKeyConstraint(['payment_id'], ['payment.id']),
        sa.ForeignKeyConstraint(['credit_id'], ['credit.id']),
        sa.ForeignKeyConstraint(['recorded_by'], ['account.id']),
        sa.ForeignKeyConstraint(['rejected_by'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('structure_id', 'idempotency_key'),
    )
    for column in ('structure_id', 'family_id', 'payment_id', 'created_at', 'rejected_at'):
        op.create_index(f'ix_counterpayment_{column}', 'counterpayment', [column])
    op.create_table(
        'refund',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('family_id', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=10), nullable=False),
        sa.Column('reference', sa.String(length=80), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.Column('credit_id', sa.Integer(), nullable=True),
        sa.Column('idempotency_key', sa.String(length=64), nullable=False),
        sa.Column('recorded_by', sa.Integer(), nullable=True),
        sa.Column('created_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['structure_id'], ['structure.id']),
        sa.ForeignKeyConstraint(['family_id'], ['family.id']),
        sa.ForeignKeyConstraint(['credit_id'], ['credit.id']),
        sa.ForeignKeyConstraint(['recorded_by'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('structure_id', 'idempotency_key'),
    )
    for column in ('structure_id', 'family_id', 'created_at'):
        op.create_index(f'ix_refund_{column}', 'refund', [column])
    op.create_table(
        'journalclosure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('structure_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=5), nullable=False),
        sa.Column('first_day', sa.Date(), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('totals', sa.Text(), server_default='', nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('closed_by', sa.Integer(), nullable=True),
        sa.Column('closed_at', UTC(), nullable=False),
        sa.ForeignKeyConstraint(['structure_id'], ['structure.id']),
        sa.ForeignKeyConstraint(['closed_by'], ['account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('structure_id', 'kind', 'first_day'),
    )
    op.create_index('ix_journalclosure_structure_id', 'journalclosure', ['structure_id'])


def downgrade() -> None:
    op.drop_table('journalclosure')
    op.drop_table('refund')
    op.drop_table('counterpayment')
    with op.batch_alter_table('structure') as batch:
        for column in ('systempay_mode', 'systempay_site_id', 'payfip_mode', 'payfip_numcli'):
            batch.drop_column(column)
