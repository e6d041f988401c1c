"""console jobs in the database: with several server processes, one retraining or reindex at a time

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

RUNNING = sa.text("status = '运行中'")


def upgrade() -> None:
    # The page of any process shows the job a process started; the unique index over running jobs lets
    # only one process start a job of a kind; heartbeat_at tells a job whose process died.
    op.create_table(
        'console_jobs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('started_by', sa.String(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('result', sa.JSON(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('console_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_console_jobs_kind'), ['kind'], unique=False)
        batch_op.create_index('uq_console_jobs_running', ['kind'], unique=True,
                              postgresql_where=RUNNING, sqlite_where=RUNNING)


def downgrade() -> None:
    with op.batch_alter_table('console_jobs', schema=None) as batch_op:
        batch_op.drop_index('uq_console_jobs_running')
        batch_op.drop_index(batch_op.f('ix_console_jobs_kind'))
    op.drop_table('console_jobs')
