"""backup_conditional_update is a real compare-and-swap on each backend."""

import datetime
import threading
import time
from unittest import mock

from oslo_utils import fixture as utils_fixture
from oslo_utils import uuidutils
import sqlalchemy as sa

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import models
from cinder_backup_reset import exception
from cinder_backup_reset.tests.functional.db import base

_HISTORY = {'from_status': 'error', 'to_status': 'available',
            'reason': 'verified', 'verified': 'passed'}

#: NOTE: how each server shows a transaction queued behind a row lock.
_LOCK_WAITERS_SQL = {
    'mysql': "SELECT COUNT(*) FROM information_schema.innodb_trx t "
             "JOIN information_schema.processlist p "
             "ON p.id = t.trx_mysql_thread_id "
             "WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()",
    'postgresql': "SELECT COUNT(*) FROM pg_stat_activity "
                  "WHERE wait_event_type = 'Lock' "
                  "AND datname = current_database()",
}


_ctxt = base.admin_context


class _CompareAndSwapMixin(base.WithBackup):
    """Sequential semantics, the same on every backend."""

    def _count_history(self):
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(
                models.BackupStatusHistory.__table__)).scalar()

    def _status(self):
        return db_api.backup_get(_ctxt(), self.backup.id).status

    def test_swap_when_status_matches(self):
        entry = db_api.backup_conditional_update(
            _ctxt(), self.backup.id, 'error', {'status': 'available'},
            history=_HISTORY)
        self.assertEqual('available', self._status())
        self.assertEqual('available', entry['to_status'])
        self.assertEqual(1, self._count_history())

    def test_conflict_writes_nothing(self):
        exc = self.assertRaises(
            exception.BackupStatusConflict,
            db_api.backup_conditional_update, _ctxt(), self.backup.id,
            'creating', {'status': 'available'}, history=_HISTORY)
        self.assertEqual('error', exc.kwargs['actual'])
        self.assertEqual('error', self._status())
        self.assertEqual(0, self._count_history())

    def test_deleted_backup_is_not_found(self):
        with self.engine.begin() as conn:
            conn.execute(models.Backup.__table__.update().values(
                deleted=True))
        self.assertRaises(
            exception.BackupNotFound,
            db_api.backup_conditional_update, _ctxt(), self.backup.id,
            'error', {'status': 'available'}, history=_HISTORY)
        self.assertEqual(0, self._count_history())

    def test_matched_but_unchanged_row_counts(self):
        # NOTE: MySQL reports *changed* rows unless the client sets
        # FOUND_ROWS (SQLAlchemy's PyMySQL dialect does). A reset that
        # writes the values the row already has (same status, same
        # updated_at second) must still count as the one matched row.
        now = datetime.datetime(2026, 11, 25, 12, 0, 0)
        self.useFixture(utils_fixture.TimeFixture(now))
        for _ in range(2):
            db_api.backup_conditional_update(
                _ctxt(), self.backup.id, 'error', {'status': 'error'})
        self.assertEqual('error', self._status())

    def test_conflict_reports_the_status_that_won(self):
        ctx = _ctxt()
        row = db_api.backup_get(ctx, self.backup.id, with_metadata=False)
        self.assertEqual('error', row.status)
        other = _ctxt()
        db_api.backup_conditional_update(
            other, self.backup.id, 'error', {'status': 'restoring'})
        exc = self.assertRaises(
            exception.BackupStatusConflict,
            db_api.backup_conditional_update, ctx, row.id, row.status,
            {'status': 'available'}, history=_HISTORY)
        self.assertEqual('restoring', exc.kwargs['actual'])
        self.assertEqual('restoring', self._status())
        self.assertEqual(0, self._count_history())

    def _statements(self):
        seen = []
        sa.event.listen(self.engine, 'before_cursor_execute',
                        lambda conn, cursor, statement, *args:
                        seen.append(statement.split(None, 1)[0].upper()))
        return seen

    def test_swap_and_history_statements(self):
        # NOTE: on PostgreSQL the compare-and-swap and its history row are
        # one statement (WITH ... UPDATE ... RETURNING, INSERT ... SELECT);
        # elsewhere an UPDATE and an INSERT (oslo.db runs SQLite's BEGIN
        # as a statement; it is not counted).
        statements = self._statements()
        db_api.backup_conditional_update(
            _ctxt(), self.backup.id, 'error', {'status': 'available',
                                               'fail_reason': None},
            history=_HISTORY)
        expected = {'postgresql': ['WITH']}.get(self.engine.name,
                                                ['UPDATE', 'INSERT'])
        self.assertEqual(expected, [s for s in statements if s != 'BEGIN'])

    def test_history_row_as_written(self):
        now = datetime.datetime(2026, 11, 25, 12, 0, 0)
        self.useFixture(utils_fixture.TimeFixture(now))
        entry = db_api.backup_conditional_update(
            _ctxt(), self.backup.id, 'error',
            {'status': 'available', 'fail_reason': None},
            history=dict(_HISTORY, evidence={'objects': 2, 'level': 'x'}))
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(
                models.BackupStatusHistory.__table__)).one()
            backup = conn.execute(sa.select(models.Backup.__table__)).one()
        self.assertEqual(
            (entry['id'], self.backup.id, 'u', 'p', 'req-x', 'error',
             'available', 'verified', 'passed',
             '{"level": "x", "objects": 2}', now),
            (row.id, row.backup_id, row.user_id, row.project_id,
             row.request_id, row.from_status, row.to_status, row.reason,
             row.verified, row.evidence, row.created_at))
        self.assertEqual(('available', None, now),
                         (backup.status, backup.fail_reason,
                          backup.updated_at))
        self.assertEqual('2026-11-25T12:00:00', entry['created_at'])

    def _many(self):
        """Four backups' items: two swaps, a conflict, a gone one."""
        ids = [self.backup.id] + [db_api.backup_create(_ctxt(), {
            'id': uuidutils.generate_uuid(), 'volume_id': 'v',
            'project_id': 'p', 'status': 'error'}).id for _ in range(3)]
        db_api.backup_conditional_update(_ctxt(), ids[1], 'error',
                                         {'status': 'restoring'})
        with self.engine.begin() as conn:
            conn.execute(models.Backup.__table__.update().where(
                models.Backup.__table__.c.id == ids[2]).values(deleted=True))
        values = [{'status': 'available', 'fail_reason': None}] * 3 + [
            {'status': 'available', 'fail_reason': 'long ' * 80}]
        return ids, [{'backup_id': backup_id, 'expected_status': 'error',
                      'values': value, 'history': _HISTORY}
                     for backup_id, value in zip(ids, values)]

    def test_many_each_its_own_compare_and_swap(self):
        ids, items = self._many()
        statements = self._statements()
        results = db_api.backup_conditional_update_many(_ctxt(), items)
        self.assertIsInstance(results[1], exception.BackupStatusConflict)
        self.assertEqual('restoring', results[1].kwargs['actual'])
        self.assertIsInstance(results[2], exception.BackupNotFound)
        for swapped in (results[0], results[3]):
            self.assertEqual('available', swapped['to_status'])
            self.assertIsInstance(swapped['id'], int)
        self.assertNotEqual(results[0]['id'], results[3]['id'])
        with self.engine.connect() as conn:
            rows = {row.id: row for row in conn.execute(
                sa.select(models.Backup.__table__))}
        self.assertEqual(['available', 'restoring', 'error', 'available'],
                         [rows[i].status for i in ids])
        self.assertIsNone(rows[ids[0]].fail_reason)
        self.assertEqual(db_api.FAIL_REASON_MAX,
                         len(rows[ids[3]].fail_reason))
        self.assertEqual(2, self._count_history())
        # NOTE: on MariaDB and PostgreSQL one locking read and one UPDATE
        # per distinct set of values, whatever the number of backups;
        # SQLite has no round trips to save: a statement per backup.
        self.assertEqual(4 if self.engine.name == 'sqlite' else 2,
                         statements.count('UPDATE'))


class TestCompareAndSwapSQLite(_CompareAndSwapMixin,
                               base.OpportunisticTestCase):
    pass


class _RaceMixin(_CompareAndSwapMixin):
    """Two connections race the same expected status: one wins."""

    def _wait_for_lock_waiter(self, timeout=20):
        sql = sa.text(_LOCK_WAITERS_SQL[self.engine.name])
        deadline = time.monotonic() + timeout
        with self.engine.connect() as conn:
            while time.monotonic() < deadline:
                if conn.execute(sql).scalar():
                    return True
                conn.rollback()
                # NOTE: InnoDB refreshes innodb_trx only when it was not
                # read for 0.1 s; polling faster would see a stale list.
                time.sleep(0.25)
        return False

    def test_racing_updates_one_wins(self):
        saw_waiter = []
        real_history_added = db_api._history_added

        def history_added_after_loser_queues(entry, history_id):
            # NOTE: only the winner gets here, after its UPDATE and history
            # INSERT (one statement on PostgreSQL) and before its commit,
            # holding the row lock. Keep it until the other caller's UPDATE
            # is queued behind that lock, so the race is real rather than
            # two calls one after the other.
            saw_waiter.append(self._wait_for_lock_waiter())
            return real_history_added(entry, history_id)

        results = [None, None]
        start = threading.Barrier(2)

        def caller(i):
            start.wait()
            try:
                results[i] = db_api.backup_conditional_update(
                    _ctxt(), self.backup.id, 'error',
                    {'status': 'available'}, history=_HISTORY)
            except Exception as exc:
                results[i] = exc

        patcher = mock.patch.object(
            db_api, '_history_added',
            side_effect=history_added_after_loser_queues)
        patcher.start()
        self.addCleanup(patcher.stop)
        threads = [threading.Thread(target=caller, args=(i,))
                   for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
            self.assertFalse(thread.is_alive(), 'a racing caller hung')

        conflicts = [r for r in results
                     if isinstance(r, exception.BackupStatusConflict)]
        wins = [r for r in results
                if isinstance(r, dict) and r.get('to_status') == 'available']
        self.assertEqual((1, 1), (len(wins), len(conflicts)), results)
        self.assertEqual([True], saw_waiter,
                         'the loser never queued behind the row lock')
        # NOTE: the loser re-reads after the winner committed, so it
        # reports the status that beat it.
        self.assertEqual('available', conflicts[0].kwargs['actual'])
        self.assertEqual('available', self._status())
        self.assertEqual(1, self._count_history())


class TestCompareAndSwapMySQL(base.MySQLMixin, _RaceMixin,
                              base.OpportunisticTestCase):
    pass


class TestCompareAndSwapPostgreSQL(base.PostgreSQLMixin, _RaceMixin,
                                   base.OpportunisticTestCase):
    pass
