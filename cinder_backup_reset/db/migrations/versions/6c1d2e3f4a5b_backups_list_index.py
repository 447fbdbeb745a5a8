"""Index the backups list order: (deleted, project_id, created_at, id).

Revision ID: 6c1d2e3f4a5b
Revises: 1f2a3b4c5d6e
Create Date: 2026-11-25 12:00:00

The list calls (``backups``, ``backups/detail``) filter on deleted and
project_id and sort by created_at desc, id desc. With only Cinder's
(deleted, project_id) index the database fetched and sorted every row of
the project before returning a page, so a page's cost grew with the
table; with this index it reads the page in order and stops at the limit.
"""

from cinder_backup_reset.db.migrations import cinder_schema

revision = '6c1d2e3f4a5b'
down_revision = '1f2a3b4c5d6e'
branch_labels = None
depends_on = None

INDEX = 'backups_deleted_project_id_created_at_id_idx'


def upgrade():
    cinder_schema.index_own_backups(
        INDEX, ['deleted', 'project_id', 'created_at', 'id'])
