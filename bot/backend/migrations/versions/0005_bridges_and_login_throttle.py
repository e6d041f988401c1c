"""keyed bridges, a shared login throttle, message ids deduplicated per sender

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:30:00
"""
import sqlalchemy as sa
from alembic import op

from bot.backend.models import UTCDateTime

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A message id is the sender's own: two residents using the same id are two messages. Rows from
    # before carry an empty sender, which no new message matches, so nothing old is answered again.
    # The old constraint has no name of ours: PostgreSQL named it, and SQLite's is found through a
    # naming convention (Alembic's documented way to drop an unnamed constraint in batch mode).
    postgres = op.get_bind().dialect.name == 'postgresql'
    old = 'processed_inbound_channel_message_id_key' if postgres else 'uq_processed_inbound_channel'
    with op.batch_alter_table('processed_inbound', schema=None,
                              naming_convention={'uq': 'uq_%(table_name)s_%(column_0_name)s'}) as batch_op:
        batch_op.add_column(sa.Column('sender', sa.String(length=128), nullable=False, server_default=''))
        batch_op.drop_constraint(old, type_='unique')
        batch_op.create_unique_constraint('uq_processed_inbound_channel_sender', ['channel', 'sender', 'message_id'])
    op.create_table(
        'bridges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('community_code', sa.String(length=64), nullable=True),
        sa.Column('key_prefix', sa.String(length=16), nullable=False),
        sa.Column('key_hash', sa.String(length=128), nullable=False),
        sa.Column('revoked_at', UTCDateTime(), nullable=True),
        sa.Column('last_used_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
        sa.UniqueConstraint('key_hash'),
    )
    op.create_table(
        'login_throttle',
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('next_allowed_at', UTCDateTime(), nullable=True),
        sa.Column('last_failure_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('scope', 'key'),
    )


def downgrade() -> None:
    op.drop_table('login_throttle')
    op.drop_table('bridges')
    with op.batch_alter_table('processed_inbound', schema=None) as batch_op:
        batch_op.drop_constraint('uq_processed_inbound_channel_sender', type_='unique')
        batch_op.create_unique_constraint('uq_processed_inbound_channel', ['channel', 'message_id'])
        batch_op.drop_column('sender')
