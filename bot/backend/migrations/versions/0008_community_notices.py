"""community notices: what staff sent to whom, each push row tied to its notice, and residents' opt-out

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-13 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A notice (停水停电, 防灾预警, 疫苗接种, 活动通知) to a community, or to one building or village group of it.
    op.create_table(
        'notices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('community_id', sa.Integer(), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('urgent', sa.Boolean(), nullable=False),
        sa.Column('area', sa.String(length=64), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('sent_text', sa.Text(), nullable=False),
        sa.Column('in_chat', sa.Integer(), nullable=False),
        sa.Column('opted_out', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['community_id'], ['communities.id']),
        sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notices_community_id'), ['community_id'], unique=False)
    # Each push row of a notice names it: the rows' statuses are the notice's delivered / waiting / failed.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notice_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_notice_id'), ['notice_id'], unique=False)
        batch_op.create_foreign_key('fk_outbox_notice_id', 'notices', ['notice_id'], ['id'])
    # A resident who said 别再发通知了; urgent warnings still reach them.
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notices_off', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('residents', schema=None) as batch_op:
        batch_op.drop_column('notices_off')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint('fk_outbox_notice_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_notice_id'))
        batch_op.drop_column('notice_id')
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_community_id'))
    op.drop_table('notices')
