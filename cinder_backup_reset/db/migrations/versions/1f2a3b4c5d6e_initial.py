"""Initial schema: Cinder's backups tables plus the status history.

Revision ID: 1f2a3b4c5d6e
Revises:
Create Date: 2026-11-25 00:00:00
"""

from alembic import op
import sqlalchemy as sa

revision = '1f2a3b4c5d6e'
down_revision = None
branch_labels = None
depends_on = None

_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8'}


def _timestamps():
    return [
        sa.Column('created_at', sa.DateTime),
        sa.Column('updated_at', sa.DateTime),
        sa.Column('deleted_at', sa.DateTime),
        sa.Column('deleted', sa.Boolean),
    ]


def upgrade():
    # NOTE: if Cinder's own tables are already here (the service shares
    # Cinder's database), keep them and add only the history table.
    bind = op.get_bind()
    existing = set(sa.inspect(bind).get_table_names())
    if 'backups' not in existing:
        op.create_table(
            'backups',
            *_timestamps(),
            sa.Column('id', sa.String(36), primary_key=True),
            sa.Column('volume_id', sa.String(36), nullable=False),
            sa.Column('user_id', sa.String(255)),
            sa.Column('project_id', sa.String(255)),
            sa.Column('host', sa.String(255)),
            sa.Column('availability_zone', sa.String(255)),
            sa.Column('display_name', sa.String(255)),
            sa.Column('display_description', sa.String(255)),
            sa.Column('container', sa.String(255)),
            sa.Column('parent_id', sa.String(36)),
            sa.Column('status', sa.String(255)),
            sa.Column('fail_reason', sa.String(255)),
            sa.Column('service_metadata', sa.String(255)),
            sa.Column('service', sa.String(255)),
            sa.Column('size', sa.Integer),
            sa.Column('object_count', sa.Integer),
            sa.Column('temp_volume_id', sa.String(36)),
            sa.Column('temp_snapshot_id', sa.String(36)),
            sa.Column('num_dependent_backups', sa.Integer),
            sa.Column('snapshot_id', sa.String(36)),
            sa.Column('data_timestamp', sa.DateTime),
            sa.Column('restore_volume_id', sa.String(36)),
            sa.Column('encryption_key_id', sa.String(36)),
            **_TABLE_ARGS)
        op.create_index('backups_deleted_project_id_idx', 'backups',
                        ['deleted', 'project_id'])
    if 'backup_metadata' not in existing:
        op.create_table(
            'backup_metadata',
            *_timestamps(),
            sa.Column('id', sa.Integer, primary_key=True),
            sa.Column('key', sa.String(255)),
            sa.Column('value', sa.String(255)),
            sa.Column('backup_id', sa.String(36),
                      sa.ForeignKey('backups.id'), nullable=False),
            **_TABLE_ARGS)
        op.create_index('ix_backup_metadata_backup_id', 'backup_metadata',
                        ['backup_id'])
    op.create_table(
        'backup_status_history',
        sa.Column('id', sa.Integer, primary_key=True, autoincrement=True),
        sa.Column('backup_id', sa.String(36), nullable=False),
        sa.Column('user_id', sa.String(255)),
        sa.Column('project_id', sa.String(255)),
        sa.Column('request_id', sa.String(255)),
        sa.Column('from_status', sa.String(255)),
        sa.Column('to_status', sa.String(255), nullable=False),
        sa.Column('reason', sa.String(255)),
        sa.Column('verified', sa.String(16), nullable=False),
        sa.Column('evidence', sa.Text),
        sa.Column('created_at', sa.DateTime, nullable=False),
        **_TABLE_ARGS)
    op.create_index('backup_status_history_backup_id_idx',
                    'backup_status_history', ['backup_id'])
