"""rate limit counts unlogged on PostgreSQL: no WAL and no disk flush for the count every message makes

A count lost in a crash only forgets who wrote in the last minute; writing it to the WAL cost every
resident message a second flush to disk.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-21 10:00:00
"""
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE rate_counts SET UNLOGGED')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE rate_counts SET LOGGED')
