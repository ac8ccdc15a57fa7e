"""Each guardian their own login (issue 20, item 1)

- account.guardian_id: set for today's single-login families (the login becomes the guardian's
  whose e-mail it is, else the family's first guardian), so that each later login is one guardian's.
- account.mail_all_payments / mail_notices: each login's e-mail choices (Préférences).
- reservation.booked_by_account_id, payment.account_id: who ticked a day, who pressed « Payer ».

Revision ID: 0009_guardian_logins
Revises: 0008_sick_absences
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0009_guardian_logins'
down_revision: Union[str, None] = '0008_sick_absences'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _link_logins_to_guardians() -> None:
    """Every parent login without a guardian gets one: the guardian with its e-mail, else the first."""
    bind = op.get_bind()
    accounts = bind.execute(
        sa.text(
            "SELECT id, family_id, email FROM account "
            "WHERE role = 'parent' AND family_id IS NOT NULL AND guardian_id IS NULL"
        )
    ).fetchall()
    for account_id, family_id, email in accounts:
        guardians = bind.execute(
            sa.text("SELECT id, email FROM guardian WHERE family_id = :f ORDER BY position, id"),
            {"f": family_id},
        ).fetchall()
        if not guardians:
            continue
        same = [g_id for g_id, g_email in guardians if (g_email or "").strip().lower() == email]
        chosen = same[0] if same else guardians[0][0]
        bind.execute(
            sa.text("UPDATE account SET guardian_id = :g WHERE id = :a"), {"g": chosen, "a": account_id}
        )


def _add_account_reference(table: str, column: str) -> None:
    """A nullable column referencing account.id, without copying the table on SQLite.

    SQLite accepts REFERENCES in ADD COLUMN (the column is NULL everywhere); alembic's batch mode
    would instead rebuild reservation, the largest table, with its partial unique index.
    """
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f'ALTER TABLE {table} ADD COLUMN {column} INTEGER REFERENCES account (id)')
    else:
        op.add_column(table, sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(f'fk_{table}_{column}_account', table, 'account', [column], ['id'])


def upgrade() -> None:
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mail_all_payments', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('mail_notices', sa.Boolean(), server_default=sa.true(), nullable=False))
    _add_account_reference('reservation', 'booked_by_account_id')
    _add_account_reference('payment', 'account_id')
    _link_logins_to_guardians()


def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('account_id')
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_column('booked_by_account_id')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_column('mail_notices')
        batch_op.drop_column('mail_all_payments')
