"""WeChat and WeCom channels: shared access tokens and the customer-service sync cursors

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 09:00:00
"""
import sqlalchemy as sa
from alembic import op

from bot.backend.models import UTCDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'access_tokens',
        sa.Column('app', sa.String(length=128), nullable=False),
        sa.Column('token', sa.Text(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('app'),
    )
    op.create_table(
        'kf_sync_cursors',
        sa.Column('open_kfid', sa.String(length=128), nullable=False),
        sa.Column('cursor', sa.String(length=256), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('open_kfid'),
    )


def downgrade() -> None:
    op.drop_table('kf_sync_cursors')
    op.drop_table('access_tokens')
