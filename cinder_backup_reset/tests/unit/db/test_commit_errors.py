"""A reset's write: honest errors when the connection fails."""

from unittest import mock

from oslo_db import exception as db_exc
import sqlalchemy as sa

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base

_HISTORY = {'from_status': 'error', 'to_status': 'available',
            'verified': 'passed'}


class TestResetWriteErrors(base.TestCase):

    def setUp(self):
        super().setUp()
        self.backup = self.create_backup(status='error')

    def _reset_backup(self):
        row = db_api.backup_get(self.admin, self.backup.id,
                                with_metadata=False)
        return db_api.backup_conditional_update(
            self.admin, row.id, row.status, {'status': 'available'},
            history=_HISTORY)

    def _commit_is_lost(self):
        """The write's COMMIT loses its answer (SQLAlchemy's commit event).

        NOTE: raised before the database commits, so the test can see the
        row unchanged; the API cannot tell the two apart, which is the
        point of DatabaseCommitInDoubt.
        """
        def commit(conn):
            raise db_exc.DBConnectionError(Exception('gone'))

        engine = db_api.get_engine()
        sa.event.listen(engine, 'commit', commit)
        return lambda: sa.event.remove(engine, 'commit', commit)

    def _history(self):
        return db_api.status_history_get(self.admin, self.backup.id)

    def test_lost_commit_is_in_doubt(self):
        # NOTE: every statement ran; only COMMIT's answer was lost, so
        # the server may have applied it: say so, never "nothing changed".
        self.addCleanup(self._commit_is_lost())
        exc = self.assertRaises(exception.DatabaseCommitInDoubt,
                                self._reset_backup)
        self.assertEqual(self.backup.id, exc.kwargs['backup_id'])

    def test_lost_before_commit_is_a_connection_error(self):
        real_execute = sa.engine.Connection.execute

        def execute(conn, statement, *args, **kwargs):
            if getattr(statement, 'is_dml', False):
                raise db_exc.DBConnectionError(Exception('gone'))
            return real_execute(conn, statement, *args, **kwargs)

        with mock.patch.object(sa.engine.Connection, 'execute', execute):
            self.assertRaises(db_exc.DBConnectionError, self._reset_backup)
        self.assertEqual('error', self.get_backup(self.backup.id).status)
        self.assertEqual([], self._history())

    def test_writes_still_work_after_a_failure(self):
        restore = self._commit_is_lost()
        self.assertRaises(exception.DatabaseCommitInDoubt, self._reset_backup)
        restore()
        entry = self._reset_backup()
        self.assertEqual('available', entry['to_status'])
        self.assertEqual(1, len(self._history()))


class TestPostgreSQLConnectionErrors(base.TestCase):
    """libpq's wordings of "no server" become DBConnectionError (503)."""

    def _operational(self, text, module='psycopg2'):
        orig = type('OperationalError', (Exception,), {'__module__': module})
        return sa.exc.OperationalError('SELECT 1', {}, orig(text))

    def _raise(self, exc):
        with db_api._connection_errors():
            raise exc

    def test_libpq_14_refused_connection(self):
        exc = self._operational(
            'connection to server at "127.0.0.1", port 5432 failed: '
            'Connection refused')
        self.assertRaises(db_exc.DBConnectionError, self._raise, exc)

    def test_server_shutting_down(self):
        exc = self._operational('FATAL:  the database system is shutting '
                                'down')
        self.assertRaises(db_exc.DBConnectionError, self._raise, exc)

    def test_other_errors_pass_unchanged(self):
        exc = self._operational('division by zero')
        self.assertIs(exc, self.assertRaises(sa.exc.OperationalError,
                                             self._raise, exc))

    def test_other_drivers_pass_unchanged(self):
        exc = self._operational('connection to server at "x" failed',
                                module='pymysql.err')
        self.assertIs(exc, self.assertRaises(sa.exc.OperationalError,
                                             self._raise, exc))
