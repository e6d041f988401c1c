"""rate limit counts in PostgreSQL: several server processes without Redis share one limit

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-20 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'rate_counts',
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=32), nullable=False),
        sa.Column('minute', sa.Integer(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('scope', 'key', 'minute'),
    )


def downgrade() -> None:
    op.drop_table('rate_counts')
