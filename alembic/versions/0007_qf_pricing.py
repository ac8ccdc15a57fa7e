"""Prices by quotient familial (issue 17): grids, brackets, families' QF and attestations

- pricegrid / pricebracket: a service's tariff by QF bracket from a date (history kept).
- familyquotient: a family's QF, its source and validity; quotientdocument: attestations sent by
  parents, stored privately until the staff accept or refuse them.
- family.outside_commune: the staff's decision on the outside-commune price (NULL: from the address).
- reservation.tariff_label / qf_euros: how the frozen price was found (bracket), for receipts,
  exports and the « cantine à 1 € » claim.

Revision ID: 0003_qf_pricing
Revises: 0006_regie (main's head at the last merge)
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = '0003_qf_pricing'
down_revision: Union[str, None] = '0006_regie'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('pricegrid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('no_qf_price_cents', sa.Integer(), nullable=False),
    sa.Column('outside_price_cents', sa.Integer(), nullable=True),
    sa.Column('sibling_percent', sa.Integer(), nullable=False),
    sa.Column('sibling_from_rank', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('service_id', 'valid_from')
    )
    with op.batch_alter_table('pricegrid', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricegrid_service_id'), ['service_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pricegrid_structure_id'), ['structure_id'], unique=False)

    op.create_table('quotientdocument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.String(length=255), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('refusal_message', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['account.id'], ),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quotientdocument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quotientdocument_family_id'), ['family_id'], unique=False)
        batch_op.create_index('ix_quotientdocument_structure_status', ['structure_id', 'status'], unique=False)

    op.create_table('familyquotient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=False),
    sa.Column('qf_euros', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=True),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.ForeignKeyConstraint(['document_id'], ['quotientdocument.id'], ),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], ),
    sa.ForeignKeyConstraint(['structure_id'], ['structure.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('familyquotient', schema=None) as batch_op:
        batch_op.create_index('ix_familyquotient_family_dates', ['family_id', 'valid_from'], unique=False)
        batch_op.create_index(batch_op.f('ix_familyquotient_structure_id'), ['structure_id'], unique=False)

    op.create_table('pricebracket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grid_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('min_qf', sa.Integer(), nullable=False),
    sa.Column('max_qf', sa.Integer(), nullable=True),
    sa.Column('price_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['grid_id'], ['pricegrid.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('pricebracket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pricebracket_grid_id'), ['grid_id'], unique=False)

    with op.batch_alter_table('family', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outside_commune', sa.Boolean(), nullable=True))

    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tariff_label', sa.String(length=160), server_default='', nullable=False))
        batch_op.add_column(sa.Column('qf_euros', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('reservation', schema=None) as batch_op:
        batch_op.drop_column('qf_euros')
        batch_op.drop_column('tariff_label')

    with op.batch_alter_table('family', schema=None) as batch_op:
        batch_op.drop_column('outside_commune')

    with op.batch_alter_table('pricebracket', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricebracket_grid_id'))

    op.drop_table('pricebracket')
    with op.batch_alter_table('familyquotient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_familyquotient_structure_id'))
        batch_op.drop_index('ix_familyquotient_family_dates')

    op.drop_table('familyquotient')
    with op.batch_alter_table('quotientdocument', schema=None) as batch_op:
        batch_op.drop_index('ix_quotientdocument_structure_status')
        batch_op.drop_index(batch_op.f('ix_quotientdocument_family_id'))

    op.drop_table('quotientdocument')
    with op.batch_alter_table('pricegrid', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pricegrid_structure_id'))
        batch_op.drop_index(batch_op.f('ix_pricegrid_service_id'))

    op.drop_table('pricegrid')
