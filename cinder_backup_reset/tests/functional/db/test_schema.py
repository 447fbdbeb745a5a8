"""The migrated ``backups`` table is Cinder's, column for column.

The service reads and writes rows that Cinder wrote (and Cinder reads
ours), so the table must have exactly Cinder's columns and types
(/work/shared/design/cinder-facts.md section 6), checked here by
inspecting the database each backend really built, not the models.
"""

from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy.dialects import mysql

from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import migration
from cinder_backup_reset.tests import fixtures
from cinder_backup_reset.tests.functional.db import base

_S36 = (sa.String, 36)
_S255 = (sa.String, 255)
_INT = (sa.Integer, None)
_DT = (sa.DateTime, None)
_BOOL = (sa.Boolean, None)

#: NOTE: Cinder's ``backups`` table (cinder-facts.md section 6), as
#: (generic type, length); kept literal rather than derived from our
#: models so a model change cannot silently move both sides.
CINDER_BACKUPS_COLUMNS = {
    'created_at': _DT, 'updated_at': _DT, 'deleted_at': _DT,
    'deleted': _BOOL,
    'id': _S36,
    'volume_id': _S36,
    'user_id': _S255, 'project_id': _S255,
    'host': _S255, 'availability_zone': _S255, 'display_name': _S255,
    'display_description': _S255, 'container': _S255,
    'status': _S255, 'fail_reason': _S255, 'service_metadata': _S255,
    'service': _S255,
    'size': _INT, 'object_count': _INT,
    'parent_id': _S36, 'temp_volume_id': _S36, 'temp_snapshot_id': _S36,
    'num_dependent_backups': _INT,
    'snapshot_id': _S36,
    'data_timestamp': _DT,
    'restore_volume_id': _S36, 'encryption_key_id': _S36,
}


def _generic(column_type):
    """(generic type, length) of a reflected column type."""
    # NOTE: MySQL has no boolean type: SQLAlchemy's Boolean is created as
    # TINYINT(1) (MySQL's own BOOL) and reflects as such.
    if isinstance(column_type, mysql.TINYINT) and \
            column_type.display_width == 1:
        return sa.Boolean, None
    for generic in (sa.Boolean, sa.DateTime, sa.String, sa.Integer):
        if isinstance(column_type, generic):
            return generic, getattr(column_type, 'length', None)
    return type(column_type), None


class _BackupsSchemaMixin:

    def setUp(self):
        super().setUp()
        migration.db_sync(self.engine)
        self.inspector = sa.inspect(self.engine)

    def test_columns_and_types_are_cinders(self):
        actual = {col['name']: _generic(col['type'])
                  for col in self.inspector.get_columns('backups')}
        self.assertEqual(CINDER_BACKUPS_COLUMNS, actual)

    def test_keys_and_nullability_are_cinders(self):
        columns = {col['name']: col
                   for col in self.inspector.get_columns('backups')}
        self.assertEqual(
            ['id'],
            self.inspector.get_pk_constraint('backups')['constrained_columns'])
        not_null = sorted(name for name, col in columns.items()
                          if not col['nullable'])
        self.assertEqual(['id', 'volume_id'], not_null)

    def test_indexes_are_cinders_plus_the_list_and_stuck_orders(self):
        # NOTE: Cinder's index, and ours for the list calls' order and
        # the stuck report's (migrations 6c1d2e3f4a5b, 8e3f4a5b6c7d):
        # nothing else on our own backups table.
        indexes = {ix['name']: ix['column_names']
                   for ix in self.inspector.get_indexes('backups')}
        self.assertEqual(
            {'backups_deleted_project_id_idx': ['deleted', 'project_id'],
             'backups_deleted_project_id_created_at_id_idx':
                 ['deleted', 'project_id', 'created_at', 'id'],
             'backups_deleted_status_created_at_id_idx':
                 ['deleted', 'status', 'created_at', 'id']},
            indexes)

    def test_orm_insert_gets_cinders_defaults(self):
        # NOTE: Cinder's defaults (deleted False, num_dependent_backups 0)
        # are applied by the ORM, not the server; a row made through our
        # DB API must carry them so Cinder's queries still find it.
        self.useFixture(fixtures.Database(engine=self.engine))
        ctxt = context.RequestContext(user_id='u', project_id='p',
                                      is_admin=True)
        backup = db_api.backup_create(
            ctxt, {'id': uuidutils.generate_uuid(), 'volume_id': 'v',
                   'status': 'error'})
        with self.engine.connect() as conn:
            row = conn.execute(sa.text(
                'SELECT deleted, num_dependent_backups FROM backups '
                'WHERE id = :id'), {'id': backup.id}).one()
        self.assertFalse(row.deleted)
        self.assertEqual(0, row.num_dependent_backups)


class TestBackupsSchemaSQLite(_BackupsSchemaMixin, base.OpportunisticTestCase):
    pass


class TestBackupsSchemaMySQL(base.MySQLMixin, _BackupsSchemaMixin,
                             base.OpportunisticTestCase):

    def test_table_is_innodb(self):
        # NOTE: InnoDB gives the row locks the compare-and-swap relies on.
        self.assertEqual(
            'InnoDB',
            self.inspector.get_table_options('backups')['mysql_engine'])


class TestBackupsSchemaPostgreSQL(base.PostgreSQLMixin, _BackupsSchemaMixin,
                                  base.OpportunisticTestCase):
    pass
