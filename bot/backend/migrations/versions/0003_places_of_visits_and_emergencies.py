"""where a home service goes, and what and where an emergency is

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 07:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A home visit (上门助浴, 上门理发) needs the address staff go to; a booking at the centre has none.
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('address', sa.String(length=256), nullable=True))
    # An urgent escalation carries the kind of danger and where it is, as the resident said it.
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('location', sa.String(length=256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_column('location')
        batch_op.drop_column('kind')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('address')
