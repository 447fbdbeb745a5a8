"""The server pools: a reset skips the ping and, on MySQL, the ROLLBACK.

Every other checkout is pinged and every other check-in rolled back, and a
connection the server dropped never reaches a caller (db/pool.py).
"""

from unittest import mock

import pymysql
import sqlalchemy as sa

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import pool as db_pool
from cinder_backup_reset.tests.functional.db import base

_ctxt = base.admin_context

#: how each server names, and ends, one of its sessions
_SESSION_ID = {'mysql': 'SELECT CONNECTION_ID()',
               'postgresql': 'SELECT pg_backend_pid()'}
_KILL = {'mysql': 'KILL %d',
         'postgresql': 'SELECT pg_terminate_backend(%d)'}


class _PoolMixin(base.WithBackup):

    def setUp(self):
        super().setUp()
        self.pings = []
        dialect = self.engine.dialect
        real = dialect.do_ping
        patcher = mock.patch.object(
            dialect, 'do_ping',
            side_effect=lambda conn: self.pings.append(conn) or real(conn))
        patcher.start()
        self.addCleanup(patcher.stop)

    def _reset_to(self, status):
        ctx = _ctxt()
        with db_api.backup_reset_scope(ctx):
            row = db_api.backup_get(ctx, self.backup.id, with_metadata=False)
            return db_api.backup_conditional_update(
                ctx, row.id, row.status, {'status': status},
                history={'from_status': row.status, 'to_status': status})

    def _other_engine(self):
        # NOTE: another engine, so another connection than the pool's.
        other = sa.create_engine(self.engine.url)
        self.addCleanup(other.dispose)
        return other

    def _status_elsewhere(self, status):
        with self._other_engine().begin() as conn:
            conn.execute(sa.text('UPDATE backups SET status = :s'),
                         {'s': status})

    def _kill_pooled_connection(self):
        """End the pool's one idle connection on the server side."""
        with self.engine.connect() as conn:
            session = conn.execute(
                sa.text(_SESSION_ID[self.engine.name])).scalar()
            conn.rollback()
        with self._other_engine().connect() as conn:
            conn.execute(sa.text(_KILL[self.engine.name] % session))
            conn.commit()
        self.pings.clear()

    def test_pool_is_rebuilt_once(self):
        pool = self.engine.pool
        self.assertTrue(sa.event.contains(pool, 'reset', db_pool._reset))
        db_api.tune_engine(self.engine)
        self.assertIs(pool, self.engine.pool)

    def test_reset_takes_its_connection_without_a_ping(self):
        self._reset_to('available')
        self.pings.clear()
        self._reset_to('error')
        self.assertEqual([], self.pings)

    def test_other_checkouts_are_pinged_unless_fresh(self):
        self.engine.dispose()
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
        self.assertEqual([], self.pings, 'a fresh connection was pinged')
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
        self.assertEqual(1, len(self.pings))

    def test_a_dropped_connection_never_reaches_a_caller(self):
        self._kill_pooled_connection()
        with self.engine.connect() as conn:
            self.assertEqual(1, conn.execute(sa.text('SELECT 1')).scalar())
        self.assertEqual(1, len(self.pings))

    def test_a_reset_on_a_dropped_connection_reads_again(self):
        # NOTE: unpinged, the reset's read fails on the dead connection;
        # nothing was written, so it reads again on a new one.
        self._reset_to('available')
        self._kill_pooled_connection()
        entry = self._reset_to('error')
        self.assertEqual(('available', 'error'),
                         (entry['from_status'], entry['to_status']))
        self.assertEqual('error', db_api.backup_get(
            _ctxt(), self.backup.id, with_metadata=False).status)
        self.assertEqual(2, len(db_api.status_history_get(
            _ctxt(), self.backup.id)))

    def test_next_borrower_sees_commits_made_meanwhile(self):
        # NOTE: if a transaction were left open on the pooled connection,
        # MySQL's REPEATABLE READ snapshot would hide the other commit.
        self._reset_to('available')
        self._status_elsewhere('creating')
        self.assertEqual('creating', db_api.backup_get(
            _ctxt(), self.backup.id, with_metadata=False).status)

    def test_dispose_keeps_the_pool_behaviour(self):
        self.engine.dispose()
        self._reset_to('available')
        self.pings.clear()
        self._reset_to('error')
        self.assertEqual([], self.pings)
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
        self.assertEqual(1, len(self.pings))


class TestPoolMySQL(base.MySQLMixin, _PoolMixin,
                    base.OpportunisticTestCase):
    """Also: no ROLLBACK after a reset's COMMIT (PyMySQL sends it)."""

    def setUp(self):
        super().setUp()
        real = pymysql.connections.Connection.rollback
        self.rollbacks = []

        def rollback(conn):
            self.rollbacks.append(conn)
            return real(conn)

        patcher = mock.patch.object(pymysql.connections.Connection,
                                    'rollback', rollback)
        patcher.start()
        self.addCleanup(patcher.stop)

    def test_committed_reset_checks_in_without_rollback(self):
        self._reset_to('available')
        self.assertEqual([], self.rollbacks)

    def test_failed_reset_still_rolls_back(self):
        self.assertRaises(RuntimeError, base.read_then_refuse, _ctxt(),
                          self.backup.id)
        self.assertEqual(1, len(self.rollbacks))

    def test_other_check_ins_still_roll_back(self):
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
            conn.commit()
        self.assertEqual(1, len(self.rollbacks))

    def test_a_read_after_the_commit_is_rolled_back(self):
        # NOTE: a statement after the commit opens a transaction again
        # (a snapshot, on MySQL); such a connection is not spared.
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT status FROM backups')).all()
            conn.commit()
            conn.execute(sa.text('SELECT status FROM backups')).all()
            db_pool.close_committed(conn)
        self.assertEqual(1, len(self.rollbacks))
        self._status_elsewhere('creating')
        self.assertEqual('creating', db_api.backup_get(
            _ctxt(), self.backup.id, with_metadata=False).status)

    def test_a_stale_mark_is_dropped_at_checkout(self):
        # NOTE: as if a check-in had failed after close_committed() marked
        # the connection and before the reset consumed the mark.
        with self.engine.connect() as conn:
            record = conn.connection._connection_record
        record.info[db_pool.COMMITTED] = True
        self.rollbacks.clear()
        with self.engine.connect() as conn:
            self.assertIs(record, conn.connection._connection_record)
            self.assertNotIn(db_pool.COMMITTED, conn.connection.info)
            conn.execute(sa.text('SELECT 1'))
        self.assertEqual(1, len(self.rollbacks))


class TestPoolPostgreSQL(base.PostgreSQLMixin, _PoolMixin,
                         base.OpportunisticTestCase):
    pass


class TestPoolSQLite(base.OpportunisticTestCase):
    """SQLite keeps its own pool (db/sqlite.py)."""

    def test_pool_left_alone(self):
        pool = self.engine.pool
        db_pool.install(self.engine)
        self.assertIs(pool, self.engine.pool)
        self.assertFalse(sa.event.contains(pool, 'reset', db_pool._reset))
