"""Roll call: « présent sans réservation » billed to the family's account (a debt to the régie)

RollCallMark.bill_due (the commune's rule when the child was added), billed_at and billed_cents
(set once, by a conditional UPDATE, when the night's settlement charges the family); Payment.debt_cents
(the sum owed paid with a basket).

Revision ID: 0012_unbooked_debt
Revises: 0011_regie16
Create Date: 2026-11-27
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = "0012_unbooked_debt"
down_revision: Union[str, None] = "0011_regie16"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("rollcallmark") as batch:
        batch.add_column(sa.Column("bill_due", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("billed_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("billed_cents", sa.Integer(), nullable=True))
    with op.batch_alter_table("payment") as batch:
        batch.add_column(sa.Column("debt_cents", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("payment") as batch:
        batch.drop_column("debt_cents")
    with op.batch_alter_table("rollcallmark") as batch:
        batch.drop_column("billed_cents")
        batch.drop_column("billed_at")
        batch.drop_column("bill_due")
