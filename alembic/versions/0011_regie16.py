"""Credit.kind: why a family's credit moved (the régie's journal tells each kind apart)

Revision ID: 0011_regie16
Revises: 0010_roll_call
Create Date: 2026-11-27
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0011_regie16"
# after 0010_roll_call (chained at merge).
down_revision: Union[str, None] = "0010_roll_call"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# Rows written before this revision: their kind read from their links (and, for the two kinds
# of credit a paid day gives, the label the portal wrote), in this order.
BACKFILL = (
    ("remboursement", "id IN (SELECT credit_id FROM refund WHERE credit_id IS NOT NULL)"),
    ("versement", "id IN (SELECT credit_id FROM counterpayment WHERE credit_id IS NOT NULL)"),
    ("annulation", "reservation_id IS NOT NULL AND amount_cents > 0 AND label LIKE 'Avoir : annulation%'"),
    ("absence", "reservation_id IS NOT NULL AND amount_cents > 0 AND label LIKE 'Avoir : absence%'"),
    ("fermeture", "reservation_id IS NOT NULL AND amount_cents > 0"),
    ("utilise", "payment_id IS NOT NULL AND amount_cents < 0"),
    (
        "rendu-impaye",
        "payment_id IS NOT NULL AND reservation_id IS NULL AND amount_cents > 0"
        " AND payment_id IN (SELECT id FROM payment WHERE provider = 'guichet')",
    ),
    ("trop-percu", "payment_id IS NOT NULL AND reservation_id IS NULL AND amount_cents > 0"),
    ("repris-impaye", "payment_id IS NULL AND reservation_id IS NULL AND amount_cents < 0"),
)


def upgrade() -> None:
    with op.batch_alter_table("credit") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=20), nullable=False, server_default=""))
    for kind, where in BACKFILL:
        op.execute(sa.text(f"UPDATE credit SET kind = :kind WHERE kind = '' AND {where}").bindparams(kind=kind))


def downgrade() -> None:
    with op.batch_alter_table("credit") as batch:
        batch.drop_column("kind")
