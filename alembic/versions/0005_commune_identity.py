"""Commune identity: main colour and logo of each commune (issue 15, item 9)

- structure.primary_color: hex "#rrggbb" on which white text reaches 4.5:1 (default the portal's blue).
- structure.logo_path / logo_mime: the cleaned logo in private storage ("logos/…"), "" when none.

Revision ID: 0005_commune_identity
Revises: 0003
Create Date: 2026-11-27
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0005_commune_identity'
down_revision: Union[str, None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('structure') as batch:
        batch.add_column(sa.Column('primary_color', sa.String(length=7),
                                   server_default='#1d4e89', nullable=False))
        batch.add_column(sa.Column('logo_path', sa.String(length=255),
                                   server_default='', nullable=False))
        batch.add_column(sa.Column('logo_mime', sa.String(length=40),
                                   server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('structure') as batch:
        batch.drop_column('logo_mime')
        batch.drop_column('logo_path')
        batch.drop_column('primary_color')
