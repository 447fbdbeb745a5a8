"""A reset's committed connection goes back to the pool without a ROLLBACK.

On MySQL only (the driver sends ROLLBACK even when no transaction is
open); every other check-in still rolls back.
"""

from unittest import mock

from oslo_utils import uuidutils
import pymysql
import sqlalchemy as sa

from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import checkin
from cinder_backup_reset.tests import fixtures
from cinder_backup_reset.tests.functional.db import base


def _ctxt():
    return context.RequestContext(user_id='u', project_id='p',
                                  is_admin=True, request_id='req-x')


class TestCheckinMySQL(base.MySQLMixin, base.OpportunisticTestCase):

    def setUp(self):
        super().setUp()
        # NOTE: the fixture tunes the engine as the service's facade does.
        self.useFixture(fixtures.Database(engine=self.engine))
        self.backup = db_api.backup_create(
            _ctxt(), {'id': uuidutils.generate_uuid(), 'volume_id': 'v',
                      'project_id': 'p', 'status': 'error'})
        real = pymysql.connections.Connection.rollback
        self.rollbacks = []

        def rollback(conn):
            self.rollbacks.append(conn)
            return real(conn)

        patcher = mock.patch.object(pymysql.connections.Connection,
                                    'rollback', rollback)
        patcher.start()
        self.addCleanup(patcher.stop)

    def _reset_to(self, status):
        ctx = _ctxt()
        with db_api.backup_reset_scope(ctx):
            row = db_api.backup_get(ctx, self.backup.id, with_metadata=False)
            db_api.backup_conditional_update(ctx, row.id, row.status,
                                             {'status': status})

    def _status_elsewhere(self, status):
        # NOTE: another engine, so another connection than the pool's.
        other = sa.create_engine(self.engine.url)
        self.addCleanup(other.dispose)
        with other.begin() as conn:
            conn.execute(sa.text('UPDATE backups SET status = :s'),
                         {'s': status})

    def test_pool_is_rebuilt_once(self):
        pool = self.engine.pool
        self.assertTrue(sa.event.contains(pool, 'reset', checkin._reset))
        db_api.tune_engine(self.engine)
        self.assertIs(pool, self.engine.pool)

    def test_committed_reset_checks_in_without_rollback(self):
        self._reset_to('available')
        self.assertEqual([], self.rollbacks)
        self.assertEqual('available', db_api.backup_get(
            _ctxt(), self.backup.id, with_metadata=False).status)

    def test_failed_reset_still_rolls_back(self):
        ctx = _ctxt()

        def refused():
            with db_api.backup_reset_scope(ctx):
                db_api.backup_get(ctx, self.backup.id, with_metadata=False)
                raise RuntimeError('refused after the read')

        self.assertRaises(RuntimeError, refused)
        self.assertEqual(1, len(self.rollbacks))

    def test_other_check_ins_still_roll_back(self):
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
            conn.commit()
        self.assertEqual(1, len(self.rollbacks))

    def test_next_borrower_sees_commits_made_meanwhile(self):
        # NOTE: if a transaction were left open on the pooled connection,
        # MySQL's REPEATABLE READ snapshot would hide the other commit.
        self._reset_to('available')
        self._status_elsewhere('creating')
        self.assertEqual('creating', db_api.backup_get(
            _ctxt(), self.backup.id, with_metadata=False).status)

    def test_a_read_after_the_commit_is_rolled_back(self):
        # NOTE: a statement after the commit opens a transaction again
        # (a snapshot, on MySQL); such a connection is not spared.
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT status FROM backups')).all()
            conn.commit()
            conn.execute(sa.text('SELECT status FROM backups')).all()
            checkin.close_committed(conn)
        self.assertEqual(1, len(self.rollbacks))
        self._status_elsewhere('creating')
        self.assertEqual('creating', db_api.backup_get(
            _ctxt(), self.backup.id, with_metadata=False).status)

    def test_a_stale_mark_is_dropped_at_checkout(self):
        # NOTE: as if a check-in had failed after close_committed() marked
        # the connection and before the reset consumed the mark.
        with self.engine.connect() as conn:
            record = conn.connection._connection_record
        record.info[checkin.COMMITTED] = True
        self.rollbacks.clear()
        with self.engine.connect() as conn:
            self.assertIs(record, conn.connection._connection_record)
            self.assertNotIn(checkin.COMMITTED, conn.connection.info)
            conn.execute(sa.text('SELECT 1'))
        self.assertEqual(1, len(self.rollbacks))

    def test_dispose_keeps_the_behaviour(self):
        self.engine.dispose()
        self._reset_to('available')
        self.assertEqual([], self.rollbacks)
        with self.engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
        self.assertEqual(1, len(self.rollbacks))


class TestCheckinElsewhere(base.OpportunisticTestCase):
    """SQLite (and PostgreSQL, below) keep SQLAlchemy's pool as it is."""

    def test_pool_left_alone(self):
        pool = self.engine.pool
        checkin.install(self.engine)
        self.assertIs(pool, self.engine.pool)
        self.assertFalse(sa.event.contains(pool, 'reset', checkin._reset))


class TestCheckinPostgreSQL(base.PostgreSQLMixin, TestCheckinElsewhere):
    pass
