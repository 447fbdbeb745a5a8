"""Migrations reach head on every backend and agree with the models."""

from oslo_db.sqlalchemy import test_migrations
import sqlalchemy as sa

from cinder_backup_reset.db import migration
from cinder_backup_reset.db import models
from cinder_backup_reset.tests.functional.db import base

_OUR_TABLES = {'backups', 'backup_metadata', 'backup_status_history'}


class _MigrationsMixin:
    """``db_sync`` upgrades an empty database to head, once."""

    def _tables(self):
        return set(sa.inspect(self.engine).get_table_names())

    def test_upgrade_to_head(self):
        self.assertIsNone(migration.db_version(self.engine))
        migration.db_sync(self.engine)
        self.assertEqual(migration.head_revision(),
                         migration.db_version(self.engine))
        self.assertEqual(_OUR_TABLES | {'alembic_version'}, self._tables())

    def test_db_sync_twice_is_a_no_op(self):
        migration.db_sync(self.engine)
        migration.db_sync(self.engine)
        self.assertEqual(migration.head_revision(),
                         migration.db_version(self.engine))

    def test_keeps_cinder_tables_already_there(self):
        # NOTE: deployed beside Cinder, the service shares Cinder's
        # database: the initial migration must keep Cinder's tables (and
        # their rows) and add only the history table.
        cinder_tables = [models.Backup.__table__,
                         models.BackupMetadata.__table__]
        models.BASE.metadata.create_all(self.engine, tables=cinder_tables)
        with self.engine.begin() as conn:
            conn.execute(models.Backup.__table__.insert().values(
                id='b1', volume_id='v1', status='error', deleted=False))
        migration.db_sync(self.engine)
        self.assertEqual(_OUR_TABLES | {'alembic_version'}, self._tables())
        with self.engine.connect() as conn:
            self.assertEqual(['b1'], conn.execute(
                sa.select(models.Backup.__table__.c.id)).scalars().all())


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
        if type_ == 'table' and name == 'alembic_version':
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
