"""Receipts: the PDF is rendered just after the payment commits (pdf_path, sha256 may be NULL meanwhile)

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


def downgrade() -> None:
    with op.batch_alter_table('receipt') as batch:
        batch.alter_column('sha256', existing_type=sa.String(length=64), nullable=False)
        batch.alter_column('pdf_path', existing_type=sa.String(length=255), nullable=False)
