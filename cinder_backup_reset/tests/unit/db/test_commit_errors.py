"""backup_reset_scope: one connection, and honest errors when it fails."""

from unittest import mock

from oslo_db import exception as db_exc
import sqlalchemy as sa

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base

_HISTORY = {'from_status': 'error', 'to_status': 'available',
            'verified': 'passed'}


class TestResetScopeErrors(base.TestCase):

    def setUp(self):
        super().setUp()
        self.backup = self.create_backup(status='error')

    def _reset_in_scope(self):
        with db_api.backup_reset_scope(self.admin):
            row = db_api.backup_get(self.admin, self.backup.id,
                                    with_metadata=False)
            return db_api.backup_conditional_update(
                self.admin, row.id, row.status, {'status': 'available'},
                history=_HISTORY)

    def _write_commit_is_lost(self):
        """Patch Connection.commit: the write's COMMIT loses its answer.

        On SQLite the scope also commits after its read; that one works.
        """
        real_commit = sa.engine.Connection.commit

        def commit(conn):
            if conn.connection.dbapi_connection.total_changes == self._seen:
                return real_commit(conn)
            raise db_exc.DBConnectionError(Exception('gone'))

        with self.engine_connection() as conn:
            self._seen = conn.connection.dbapi_connection.total_changes
        return mock.patch.object(sa.engine.Connection, 'commit', commit)

    def engine_connection(self):
        return db_api.get_engine().connect()

    def _history(self):
        return db_api.status_history_get(self.admin, self.backup.id)

    def test_lost_commit_is_in_doubt(self):
        # NOTE: every statement ran; only COMMIT's answer was lost, so
        # the server may have applied it: say so, never "nothing changed".
        with self._write_commit_is_lost():
            exc = self.assertRaises(exception.DatabaseCommitInDoubt,
                                    self._reset_in_scope)
        self.assertEqual(self.backup.id, exc.kwargs['backup_id'])
        self.assertIsNone(self.admin._reset_connection)

    def test_lost_before_commit_is_a_connection_error(self):
        real_execute = sa.engine.Connection.execute

        def execute(conn, statement, *args, **kwargs):
            if getattr(statement, 'is_dml', False):
                raise db_exc.DBConnectionError(Exception('gone'))
            return real_execute(conn, statement, *args, **kwargs)

        with mock.patch.object(sa.engine.Connection, 'execute', execute), \
                mock.patch.object(sa.engine.Connection, 'rollback',
                                  side_effect=RuntimeError('also gone')):
            # NOTE: the failed rollback must not hide the real error.
            self.assertRaises(db_exc.DBConnectionError,
                              self._reset_in_scope)
        self.assertIsNone(self.admin._reset_connection)
        self.assertEqual('error', self.get_backup(self.backup.id).status)
        self.assertEqual([], self._history())

    def test_scope_still_works_after_a_failure(self):
        with self._write_commit_is_lost():
            self.assertRaises(exception.DatabaseCommitInDoubt,
                              self._reset_in_scope)
        self.backup = self.create_backup(status='error')
        entry = self._reset_in_scope()
        self.assertEqual('available', entry['to_status'])
        self.assertEqual(1, len(self._history()))
