"""Schema migrations (alembic) for the service's database.

The service may share its database with Cinder (PRODUCT.md, "Where it
runs"), so its alembic revision lives in a version table of its own,
``cinder_backup_reset_alembic_version``: Cinder keeps its revision in
alembic's default ``alembic_version`` table, which the service never reads
as its own, changes or removes. Releases before this one kept their
revision in ``alembic_version`` too; ``db_sync`` moves such a revision
over (only a revision of ours, never Cinder's).
"""

from alembic import command as alembic_command
from alembic import config as alembic_config
from alembic import migration as alembic_migration
from alembic import script as alembic_script
from alembic import util as alembic_util
import sqlalchemy as sa

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception

#: where the service records its schema revision
VERSION_TABLE = 'cinder_backup_reset_alembic_version'
#: alembic's default table: Cinder's (and, before, ours too)
LEGACY_VERSION_TABLE = 'alembic_version'


def _alembic_config(connection):
    config = alembic_config.Config()
    config.set_main_option('script_location',
                           'cinder_backup_reset.db:migrations')
    # NOTE: hand alembic our engine's connection so that migrations use the
    # same [database] connection (and the same SQLite file) as the service.
    config.attributes['connection'] = connection
    return config


def _scripts():
    return alembic_script.ScriptDirectory.from_config(_alembic_config(None))


def _our_revisions():
    return {script.revision for script in _scripts().walk_revisions()}


def _failed(engine, problem):
    return exception.DatabaseUnusable(problem=(
        'cannot migrate the database %s: %s' % (
            engine.url.render_as_string(hide_password=True), problem)))


def db_sync(engine=None, revision='head'):
    """Upgrade the schema to ``revision`` (default: the newest).

    Moves a revision of ours found in ``alembic_version`` (written by a
    release before this one) into VERSION_TABLE first.

    :raises DatabaseUnusable: alembic refused (for example the database is
        at a revision this release does not know); one line naming the
        database with its password hidden.
    :raises oslo_db.exception.DBError, sqlalchemy.exc.DBAPIError: the
        database itself failed (callers word those with
        service.database_problem).
    """
    engine = engine or db_api.get_engine()
    try:
        with engine.begin() as connection:
            adopt_legacy_revision(connection)
            alembic_command.upgrade(_alembic_config(connection), revision)
    except alembic_util.CommandError as exc:
        raise _failed(engine, _command_problem(exc)) from exc


def _command_problem(exc):
    text = str(exc).strip().rstrip('.')
    if "Can't locate revision" in text:
        # NOTE: in our own version table, so ours: written by a newer
        # release (a rollback of the code without the database).
        return ('%s: the database was migrated by a newer release of '
                'cinder-backup-reset than this one (its revision is in '
                'the %s table); install that release or a newer one'
                % (text, VERSION_TABLE))
    return text


def adopt_legacy_revision(connection):
    """Move our revision from ``alembic_version`` into VERSION_TABLE.

    Only rows naming one of our revisions are moved; any other row (Cinder's
    revision) is left exactly as it is. The legacy table is dropped when
    that leaves it empty, since then only we ever wrote to it.

    :returns: the revisions moved (empty when there was nothing to do).
    """
    if not sa.inspect(connection).has_table(LEGACY_VERSION_TABLE):
        return []
    legacy = alembic_migration.MigrationContext.configure(connection)
    ours = sorted(set(legacy.get_current_heads()) & _our_revisions())
    if not ours:
        return []
    config = _alembic_config(connection)
    if not _current_heads(connection):
        for rev in ours:
            alembic_command.stamp(config, rev)
    table = sa.table(LEGACY_VERSION_TABLE, sa.column('version_num'))
    connection.execute(table.delete().where(table.c.version_num.in_(ours)))
    remaining = connection.execute(
        sa.select(sa.func.count()).select_from(table)).scalar()
    if not remaining:
        table_object = sa.Table(LEGACY_VERSION_TABLE, sa.MetaData(),
                                autoload_with=connection)
        table_object.drop(connection)
    return ours


def _current_heads(connection):
    context = alembic_migration.MigrationContext.configure(
        connection, opts={'version_table': VERSION_TABLE})
    return context.get_current_heads()


def db_version(engine=None):
    """The schema revision the database is at, or None if unversioned.

    Read from VERSION_TABLE; a database last migrated by a release that
    kept our revision in ``alembic_version`` reports that revision (until
    ``db_sync`` moves it). Cinder's revision is never reported.
    """
    engine = engine or db_api.get_engine()
    with engine.connect() as connection:
        heads = _current_heads(connection)
        if not heads and sa.inspect(connection).has_table(
                LEGACY_VERSION_TABLE):
            legacy = alembic_migration.MigrationContext.configure(connection)
            heads = sorted(set(legacy.get_current_heads()) &
                           _our_revisions())
    return heads[0] if heads else None


def head_revision():
    """The newest revision the code knows (no database needed)."""
    # NOTE: the script directory is read from the package alone; asking
    # for a connection here would fail before [database] is configured.
    return _scripts().get_current_head()
