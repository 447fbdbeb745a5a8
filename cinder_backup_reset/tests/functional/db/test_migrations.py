"""Migrations reach head on every backend and agree with the models."""

from oslo_db.sqlalchemy import test_migrations
import sqlalchemy as sa

from cinder_backup_reset.db import migration
from cinder_backup_reset.db import models
from cinder_backup_reset import exception
from cinder_backup_reset.tests.functional.db import base

_OUR_TABLES = {'backups', 'backup_metadata', 'backup_status_history',
               'backup_verifications',
               migration.VERSION_TABLE}
_LIST_INDEX = 'backups_deleted_project_id_created_at_id_idx'
_STUCK_INDEX = 'backups_deleted_status_created_at_id_idx'
#: the indexes our migrations add to a backups table of our own
_OUR_INDEXES = {_LIST_INDEX, _STUCK_INDEX}
#: Cinder 29's head revision (cinder/db/migrations/versions)
_CINDER_REVISION = '9ab1b092a404'


def _legacy_version_table(engine, *revisions):
    """alembic's default version table holding ``revisions``."""
    table = sa.Table(migration.LEGACY_VERSION_TABLE, sa.MetaData(),
                     sa.Column('version_num', sa.String(32),
                               primary_key=True))
    table.create(engine)
    with engine.begin() as conn:
        for revision in revisions:
            conn.execute(table.insert().values(version_num=revision))
    return table


class _MigrationsMixin:
    """``db_sync`` upgrades an empty database to head, once."""

    def _tables(self):
        return set(sa.inspect(self.engine).get_table_names())

    def test_upgrade_to_head(self):
        self.assertIsNone(migration.db_version(self.engine))
        migration.db_sync(self.engine)
        self.assertEqual(migration.head_revision(),
                         migration.db_version(self.engine))
        self.assertEqual(_OUR_TABLES, self._tables())

    def test_db_sync_twice_is_a_no_op(self):
        migration.db_sync(self.engine)
        migration.db_sync(self.engine)
        self.assertEqual(migration.head_revision(),
                         migration.db_version(self.engine))

    def _cinder_schema(self):
        """Cinder's backups tables, a volumes table, Cinder's revision."""
        cinder = sa.MetaData()
        backups = models.Backup.__table__.to_metadata(cinder)
        models.BackupMetadata.__table__.to_metadata(cinder)
        # NOTE: our models declare the list and stuck indexes; Cinder's
        # table has neither.
        backups.indexes = {ix for ix in backups.indexes
                           if ix.name not in _OUR_INDEXES}
        sa.Table('volumes', cinder,
                 sa.Column('id', sa.String(36), primary_key=True))
        cinder.create_all(self.engine)
        _legacy_version_table(self.engine, _CINDER_REVISION)
        with self.engine.begin() as conn:
            conn.execute(models.Backup.__table__.insert().values(
                id='b1', volume_id='v1', status='error', deleted=False))

    def _legacy_revisions(self):
        table = sa.table(migration.LEGACY_VERSION_TABLE,
                         sa.column('version_num'))
        with self.engine.connect() as conn:
            return conn.execute(sa.select(table.c.version_num)).scalars(
                ).all()

    def test_beside_cinder_schema(self):
        # NOTE: on Cinder's database the initial migration keeps Cinder's
        # tables (and their rows), adds only the history table, never
        # touches Cinder's revision and never indexes Cinder's table.
        self._cinder_schema()
        self.assertIsNone(migration.db_version(self.engine))
        migration.db_sync(self.engine)
        self.assertEqual(
            _OUR_TABLES | {'volumes', migration.LEGACY_VERSION_TABLE},
            self._tables())
        self.assertEqual([_CINDER_REVISION], self._legacy_revisions())
        self.assertEqual(migration.head_revision(),
                         migration.db_version(self.engine))
        self.assertEqual(set(), _OUR_INDEXES & set(self._backups_indexes()))
        with self.engine.connect() as conn:
            self.assertEqual(['b1'], conn.execute(
                sa.select(models.Backup.__table__.c.id)).scalars().all())
        migration.db_sync(self.engine)
        self.assertEqual([_CINDER_REVISION], self._legacy_revisions())

    def _backups_indexes(self):
        """{index name: its columns} of the backups table."""
        return {ix['name']: ix['column_names'] for ix in
                sa.inspect(self.engine).get_indexes('backups')}

    def test_our_own_backups_table_is_indexed(self):
        migration.db_sync(self.engine)
        self.assertEqual(_OUR_INDEXES,
                         _OUR_INDEXES & set(self._backups_indexes()))

    def test_stuck_index_added_to_an_existing_database(self):
        # NOTE: a database of the release before: its revision, its rows.
        migration.db_sync(self.engine, revision='7d2e3f4a5b6c')
        self.assertNotIn(_STUCK_INDEX, self._backups_indexes())
        migration.db_sync(self.engine)
        self.assertEqual(['deleted', 'status', 'created_at', 'id'],
                         self._backups_indexes()[_STUCK_INDEX])

    def test_moves_our_revision_out_of_alembic_version(self):
        # NOTE: what a release before this one left: our schema at its
        # first revision, recorded in alembic_version.
        first = '1f2a3b4c5d6e'
        migration.db_sync(self.engine, revision=first)
        sa.Table(migration.VERSION_TABLE, sa.MetaData(),
                 autoload_with=self.engine).drop(self.engine)
        _legacy_version_table(self.engine, first)
        self.assertEqual(first, migration.db_version(self.engine))
        migration.db_sync(self.engine)
        self.assertEqual(migration.head_revision(),
                         migration.db_version(self.engine))
        self.assertEqual(_OUR_TABLES, self._tables())

    def test_unknown_revision_is_one_line_naming_the_database(self):
        migration.db_sync(self.engine)
        table = sa.table(migration.VERSION_TABLE, sa.column('version_num'))
        with self.engine.begin() as conn:
            conn.execute(table.update().values(version_num='ffffffffffff'))
        exc = self.assertRaises(exception.DatabaseUnusable,
                                migration.db_sync, self.engine)
        message = str(exc)
        self.assertNotIn('\n', message)
        self.assertIn('cannot migrate the database %s:' %
                      self.engine.url.render_as_string(hide_password=True),
                      message)
        self.assertIn("'ffffffffffff'", message)
        self.assertIn('newer release', message)
        if self.engine.url.password:
            self.assertNotIn(':%s@' % self.engine.url.password, message)


class TestMigrationsSQLite(_MigrationsMixin, base.OpportunisticTestCase):
    pass


class TestMigrationsMySQL(base.MySQLMixin, _MigrationsMixin,
                          base.OpportunisticTestCase):
    pass


class TestMigrationsPostgreSQL(base.PostgreSQLMixin, _MigrationsMixin,
                               base.OpportunisticTestCase):
    pass


class _ModelsSyncMixin(test_migrations.ModelsMigrationsSync):
    """The schema the migrations build is the schema the models declare.

    oslo.db's test_models_sync runs db_sync, then alembic's autogenerate
    comparison (tables, columns, types, nullability, indexes, server
    defaults) and fails with the diff if there is any.
    """

    def get_engine(self):
        return self.engine

    def get_metadata(self):
        return models.BASE.metadata

    def db_sync(self, engine):
        migration.db_sync(engine)

    def include_object(self, object_, name, type_, reflected, compare_to):
        # NOTE: alembic's own bookkeeping table has no model.
        if type_ == 'table' and name == migration.VERSION_TABLE:
            return False
        return super().include_object(
            object_, name, type_, reflected, compare_to)


class TestModelsSyncSQLite(_ModelsSyncMixin, base.OpportunisticTestCase):
    pass


class TestModelsSyncMySQL(base.MySQLMixin, _ModelsSyncMixin,
                          base.OpportunisticTestCase):
    pass


class TestModelsSyncPostgreSQL(base.PostgreSQLMixin, _ModelsSyncMixin,
                               base.OpportunisticTestCase):
    pass
