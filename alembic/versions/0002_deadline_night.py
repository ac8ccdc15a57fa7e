"""Deadline night: receipt PDF drawn after the payment commits; indexes for a family's rows

- receipt.pdf_path and receipt.sha256 may be NULL between the payment's commit and the PDF.
- Indexes so that a family's reservations, open checkouts and credits are found through the
  family, not by walking the whole commune's rows (SQLite picked the structure_id index).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('receipt') as batch:
        batch.alter_column('pdf_path', existing_type=sa.String(length=255), nullable=True)
        batch.alter_column('sha256', existing_type=sa.String(length=64), nullable=True)
    op.create_index('ix_reservation_family_day', 'reservation', ['family_id', 'day'])
    op.create_index(op.f('ix_reservation_payment_id'), 'reservation', ['payment_id'])
    op.create_index('ix_payment_family_status', 'payment', ['family_id', 'status'])
    op.create_index('ix_credit_family_structure', 'credit', ['family_id', 'structure_id'])


def downgrade() -> None:
    op.drop_index('ix_credit_family_structure', table_name='credit')
    op.drop_index('ix_payment_family_status', table_name='payment')
    op.drop_index(op.f('ix_reservation_payment_id'), table_name='reservation')
    op.drop_index('ix_reservation_family_day', table_name='reservation')
    with op.batch_alter_table('receipt') as batch:
        batch.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
        batch.alter_column('pdf_path', existing_type=sa.String(length=255), nullable=False)
