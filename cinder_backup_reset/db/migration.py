"""Schema migrations (alembic) for the service's database."""

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script

from cinder_backup_reset.db import api as db_api


def _alembic_config(connection):
    config = alembic_config.Config()
    config.set_main_option('script_location',
                           'cinder_backup_reset.db:migrations')
    # NOTE: hand alembic our engine's connection so that migrations use the
    # same [database] connection (and the same SQLite file) as the service.
    config.attributes['connection'] = connection
    return config


def db_sync(engine=None, revision='head'):
    """Upgrade the schema to ``revision`` (default: the newest)."""
    engine = engine or db_api.get_engine()
    with engine.begin() as connection:
        alembic_command.upgrade(_alembic_config(connection), revision)


def db_version(engine=None):
    """The schema revision the database is at, or None if unversioned."""
    engine = engine or db_api.get_engine()
    with engine.connect() as connection:
        context = alembic_migration.MigrationContext.configure(connection)
        return context.get_current_revision()


def head_revision():
    """The newest revision the code knows (no database needed)."""
    # NOTE: the script directory is read from the package alone; asking
    # for a connection here would fail before [database] is configured.
    scripts = alembic_script.ScriptDirectory.from_config(
        _alembic_config(None))
    return scripts.get_current_head()
