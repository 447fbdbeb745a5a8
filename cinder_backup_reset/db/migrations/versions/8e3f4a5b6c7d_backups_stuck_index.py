"""Index the stuck report: (deleted, status, created_at, id).

Revision ID: 8e3f4a5b6c7d
Revises: 7d2e3f4a5b6c
Create Date: 2026-11-30 20:00:00

The stuck report (``GET backups/detail?stuck=true``) reads one page per
stuck status (creating, restoring, deleting), newest first. Without an
index on status the database read every row of the table (or every row
in those statuses) and sorted them for one page, so the report's cost
grew with the table; with this index each status's page is one ordered
range, read up to the limit.
"""

from cinder_backup_reset.db.migrations import cinder_schema

revision = '8e3f4a5b6c7d'
down_revision = '7d2e3f4a5b6c'
branch_labels = None
depends_on = None

INDEX = 'backups_deleted_status_created_at_id_idx'


def upgrade():
    # NOTE: on Cinder's database, nothing: doc/source/admin/
    # cinder-database.rst says what an operator may add.
    cinder_schema.index_own_backups(
        INDEX, ['deleted', 'status', 'created_at', 'id'])
