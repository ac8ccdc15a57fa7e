"""Sick-day absences (issue 20, item 2): declarations with a certificate, the days they cover

- absence: one declaration (child, certificate stored privately, the staff's decision and message).
- absenceday: one reservation covered; a reservation is covered at most once (unique index).
- structure.absence_deadline_time (« 09:00 »), structure.absence_carence_days (0: credit from day one).

Revision ID: 0008_sick_absences
Revises: 0003_qf_pricing
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0008_sick_absences'
down_revision: Union[str, None] = '0003_qf_pricing'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('absence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('certificate_path', sa.String(length=255), nullable=False),
    sa.Column('certificate_media', sa.String(length=40), nullable=False),
    sa.Column('certificate_size', sa.Integer(), nullable=False),
    sa.Column('declared_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('staff_message', sa.Text(), server_default='', nullable=False),
    sa.Column('credited_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['account.id'], ),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absence_family_id'), ['family_id'], unique=False)
        batch_op.create_index('ix_absence_structure_status', ['structure_id', 'status'], unique=False)

    op.create_table('absenceday',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('absence_id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('credit_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['absence_id'], ['absence.id'], ),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], ),
    sa.ForeignKeyConstraint(['credit_id'], ['credit.id'], ),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('absenceday', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absenceday_absence_id'), ['absence_id'], unique=False)
        batch_op.create_index('ix_absenceday_structure_day', ['structure_id', 'day'], unique=False)
        batch_op.create_index('uq_absenceday_reservation', ['reservation_id'], unique=True)

    with op.batch_alter_table('structure') as batch:
        batch.add_column(sa.Column('absence_deadline_time', sa.String(length=5), server_default='09:00', nullable=False))
        batch.add_column(sa.Column('absence_carence_days', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('structure') as batch:
        batch.drop_column('absence_carence_days')
        batch.drop_column('absence_deadline_time')
    with op.batch_alter_table('absenceday', schema=None) as batch_op:
        batch_op.drop_index('uq_absenceday_reservation')
        batch_op.drop_index('ix_absenceday_structure_day')
        batch_op.drop_index(batch_op.f('ix_absenceday_absence_id'))
    op.drop_table('absenceday')
    with op.batch_alter_table('absence', schema=None) as batch_op:
        batch_op.drop_index('ix_absence_structure_status')
        batch_op.drop_index(batch_op.f('ix_absence_family_id'))
    op.drop_table('absence')
