"""Per-address login and link limits span every commune: an index on (scope, at)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0003'
down_revision: Union[str, None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index('ix_login_throttle_any_commune', 'loginthrottle', ['scope', 'at'])


def downgrade() -> None:
    op.drop_index('ix_login_throttle_any_commune', table_name='loginthrottle')
