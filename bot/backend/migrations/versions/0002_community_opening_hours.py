"""community opening hours set by staff

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Staff change their community's opening hours in the console; NULL keeps the settings file's.
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('opening_hours', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('communities', schema=None) as batch_op:
        batch_op.drop_column('opening_hours')
