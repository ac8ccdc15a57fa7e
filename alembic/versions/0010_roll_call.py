"""The canteen's roll call (pointage) and staff roles (issue 20, items 3 and 4)

- account.staff_role: « administration » or « restauration » for a staff account ("" for parents);
  every existing staff account becomes « administration » (it could open everything: it still can).
- rollcallmark: one mark per (service, day, child), present or absent, the last tap wins;
  reservation_id NULL = « présent sans réservation »; credit_due: absent under the « avoir » rule.
- structure.rollcall_unbooked_rule ("report") and rollcall_absent_rule ("paid"): the commune's rules.

Revision ID: 0010_roll_call
Revises: 0009_guardian_logins
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0010_roll_call'
down_revision: Union[str, None] = '0009_guardian_logins'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_role', sa.String(length=20), server_default='', nullable=False))
    op.execute("UPDATE account SET staff_role = 'administration' WHERE role = 'staff'")
    with op.batch_alter_table('structure', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('rollcall_unbooked_rule', sa.String(length=10), server_default='report', nullable=False)
        )
        batch_op.add_column(
            sa.Column('rollcall_absent_rule', sa.String(length=10), server_default='paid', nullable=False)
        )
    op.create_table('rollcallmark',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('child_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reservation_id', sa.Integer(), nullable=True),
    sa.Column('marked_by', sa.Integer(), nullable=False),
    sa.Column('marked_at', sa.DateTime(), nullable=False),
    sa.Column('credit_due', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['child_id'], ['child.id'], ),
    sa.ForeignKeyConstraint(['marked_by'], ['account.id'], ),
    sa.ForeignKeyConstraint(['reservation_id'], ['reservation.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('service_id', 'day', 'child_id')
    )
    with op.batch_alter_table('rollcallmark', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rollcallmark_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rollcallmark_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_rollcallmark_structure_id'), ['structure_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('rollcallmark', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rollcallmark_structure_id'))
        batch_op.drop_index(batch_op.f('ix_rollcallmark_day'))
        batch_op.drop_index(batch_op.f('ix_rollcallmark_child_id'))
    op.drop_table('rollcallmark')
    with op.batch_alter_table('structure', schema=None) as batch_op:
        batch_op.drop_column('rollcall_absent_rule')
        batch_op.drop_column('rollcall_unbooked_rule')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('staff_role')
