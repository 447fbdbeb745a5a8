"""The verification jobs: backup_verifications.

Revision ID: 7d2e3f4a5b6c
Revises: 6c1d2e3f4a5b
Create Date: 2026-11-30 17:30:00

A table of our own (never one of Cinder's): one row per ``backup-verify``
job, its status, progress, reason and evidence.
"""

from alembic import op
import sqlalchemy as sa

revision = '7d2e3f4a5b6c'
down_revision = '6c1d2e3f4a5b'
branch_labels = None
depends_on = None

TABLE = 'backup_verifications'


def upgrade():
    if TABLE in sa.inspect(op.get_bind()).get_table_names():
        return
    op.create_table(
        TABLE,
        sa.Column('id', sa.String(36), primary_key=True),
        sa.Column('backup_id', sa.String(36), nullable=False),
        sa.Column('user_id', sa.String(255)),
        sa.Column('project_id', sa.String(255)),
        sa.Column('request_id', sa.String(255)),
        sa.Column('level', sa.String(16), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('runner', sa.String(255)),
        sa.Column('bytes_done', sa.BigInteger, nullable=False),
        sa.Column('bytes_total', sa.BigInteger),
        sa.Column('reason', sa.Text),
        sa.Column('evidence', sa.Text),
        sa.Column('created_at', sa.DateTime, nullable=False),
        sa.Column('updated_at', sa.DateTime),
        mysql_engine='InnoDB', mysql_charset='utf8')
    op.create_index('backup_verifications_backup_id_idx', TABLE,
                    ['backup_id'])
    op.create_index('backup_verifications_runner_status_idx', TABLE,
                    ['runner', 'status'])
