"""the places of a slot each booking holds

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 09:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A booking of a per-person service holds one place per person; a room (活动室, a counselling session)
    # is taken whole by one booking of any size. Kept on the booking so that cancelling or moving it gives
    # back what it took even if the catalog changes meanwhile; NULL (rows from before) means its people.
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('places', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('places')
