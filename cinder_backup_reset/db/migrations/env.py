"""Alembic environment: run migrations on the connection we are given."""

from alembic import context

from cinder_backup_reset.db import migration
from cinder_backup_reset.db import models

target_metadata = models.BASE.metadata


def run_migrations_online():
    connection = context.config.attributes.get('connection')
    if connection is None:
        raise RuntimeError('Run migrations through '
                           'cinder-backup-reset-manage db sync.')
    # NOTE: our own version table: Cinder's database keeps Cinder's
    # revision in alembic's default one.
    context.configure(connection=connection,
                      target_metadata=target_metadata,
                      version_table=migration.VERSION_TABLE,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
