"""Our migrations beside Cinder's, on a database Cinder's own commands built.

On SQLite, and on MariaDB and PostgreSQL when they answer: Cinder's
``cinder-manage db sync`` builds the schema; our ``db sync`` then succeeds
and adds only what is ours; Cinder's ``db sync`` and ``db version`` still
succeed afterwards with its revision unchanged; our ``db version`` prints
ours.
"""

import sqlalchemy as sa

from cinder_backup_reset.db import migration
from cinder_backup_reset.tests.interop import base

LIST_INDEX = 'backups_deleted_project_id_created_at_id_idx'
STUCK_INDEX = 'backups_deleted_status_created_at_id_idx'


class _SchemaBesideCinder:
    BACKEND = None

    def setUp(self):
        super().setUp()
        self.db = self.cinder_database(self.BACKEND)

    def _snapshot(self):
        inspector = sa.inspect(self.db.engine)
        tables = set(inspector.get_table_names())
        return tables, {
            table: (sorted(c['name'] for c in inspector.get_columns(table)),
                    sorted(str(ix['name']) for ix in
                           inspector.get_indexes(table)))
            for table in tables}

    def _revisions(self, table):
        version = sa.table(table, sa.column('version_num'))
        with self.db.engine.connect() as conn:
            return conn.execute(sa.select(version.c.version_num)).scalars(
                ).all()

    def test_db_sync_beside_cinder(self):
        self.assertRegex(self.db.cinder_revision, r'^[0-9a-f]{12}$')
        before_tables, before = self._snapshot()
        self.assertIn('volumes', before_tables)
        self.assertEqual([self.db.cinder_revision],
                         self._revisions('alembic_version'))

        proc = self.db.ours_manage('db', 'sync')
        self.assertIn('Database is at revision %s.' %
                      migration.head_revision(), proc.stdout)
        after_tables, after = self._snapshot()
        # NOTE: only our own tables are added; every table Cinder created
        # keeps its columns and indexes (no list or stuck index on
        # Cinder's backups).
        self.assertEqual({'backup_status_history', 'backup_verifications',
                          migration.VERSION_TABLE},
                         after_tables - before_tables)
        for table in before_tables:
            self.assertEqual(before[table], after[table], table)
        self.assertNotIn(LIST_INDEX, after['backups'][1])
        self.assertNotIn(STUCK_INDEX, after['backups'][1])
        self.assertEqual([self.db.cinder_revision],
                         self._revisions('alembic_version'))
        self.assertEqual([migration.head_revision()],
                         self._revisions(migration.VERSION_TABLE))
        self.assertEqual(migration.head_revision() + '\n',
                         self.db.ours_manage('db', 'version').stdout)

        # NOTE: Cinder's own commands still work, its revision unchanged;
        # then ours again (idempotent).
        self.db.cinder_manage('db', 'sync')
        self.assertEqual(self.db.cinder_revision,
                         self.db.cinder_manage('db', 'version'))
        self.db.ours_manage('db', 'sync')
        self.assertEqual(self.db.cinder_revision,
                         self.db.cinder_manage('db', 'version'))
        self.assertEqual(migration.head_revision() + '\n',
                         self.db.ours_manage('db', 'version').stdout)


class TestSchemaBesideCinderSQLite(_SchemaBesideCinder,
                                   base.InteropTestCase):
    BACKEND = 'sqlite'


class TestSchemaBesideCinderMySQL(_SchemaBesideCinder,
                                  base.InteropTestCase):
    BACKEND = 'mysql'


class TestSchemaBesideCinderPostgreSQL(_SchemaBesideCinder,
                                       base.InteropTestCase):
    BACKEND = 'postgresql'
