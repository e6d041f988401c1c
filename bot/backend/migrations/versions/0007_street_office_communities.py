"""street-office accounts: the set of communities a staff account with the street role oversees

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A street office (街道) sees the figures of several communities; a community staff account keeps its
    # one `staff_users.community_id`, so only the street role needs rows here.
    op.create_table(
        'staff_communities',
        sa.Column('staff_id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id']),
        sa.PrimaryKeyConstraint('staff_id', 'community_id'),
    )


def downgrade() -> None:
    op.drop_table('staff_communities')
