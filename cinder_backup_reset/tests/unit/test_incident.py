"""Whole-incident recovery: fail_reason as evidence, reconciliation of
volumes and snapshots, the stuck rule.

Cinder's volumes, snapshots and services tables are created on the test's
SQLite database from db/cinder_tables.py's models; tests/interop runs the
same paths on a database Cinder's own migrations built.
"""

import datetime

from oslo_utils import timeutils
import sqlalchemy as sa

from cinder_backup_reset.api.views import history as history_view
from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset import bulk
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import cinder_tables as ct
from cinder_backup_reset.db import stuck as db_stuck
from cinder_backup_reset import exception
from cinder_backup_reset import force_delete
from cinder_backup_reset import manager
from cinder_backup_reset.tests import base


def _ago(seconds):
    return timeutils.utcnow() - datetime.timedelta(seconds=seconds)


class TestFailReasonIsEvidence(base.TestCase):

    def setUp(self):
        super().setUp()
        self.mgr = manager.BackupResetManager(self.conf)

    def _history(self, backup_id):
        return [history_view.entry(e)
                for e in db_api.status_history_get(self.admin, backup_id)]

    def test_error_without_reason_keeps_cinders_reason(self):
        backup = self.create_backup(status='creating',
                                    fail_reason='Volume driver crashed')
        self.mgr.reset_backup(self.admin, backup, 'error')
        self.assertEqual('Volume driver crashed',
                         self.get_backup(backup.id).fail_reason)
        self.assertNotIn('previous_fail_reason',
                         self._history(backup.id)[0]['evidence'])

    def test_error_without_reason_and_none_before_says_who(self):
        backup = self.create_backup(status='creating')
        self.mgr.reset_backup(self.admin, backup, 'error')
        self.assertEqual('Status reset to error by user admin-user.',
                         self.get_backup(backup.id).fail_reason)
        self.assertIsNone(
            self._history(backup.id)[0]['evidence']['previous_fail_reason'])

    def test_new_reason_keeps_previous_in_history(self):
        backup = self.create_backup(status='creating',
                                    fail_reason='Volume driver crashed')
        self.mgr.reset_backup(self.admin, backup, 'error',
                              reason='outage of 30 Nov')
        self.assertEqual('outage of 30 Nov',
                         self.get_backup(backup.id).fail_reason)
        self.assertEqual(
            'Volume driver crashed',
            self._history(backup.id)[0]['evidence']['previous_fail_reason'])

    def test_available_clears_and_keeps_previous_in_history(self):
        backup = self.create_backup(status='error',
                                    fail_reason='Volume driver crashed')
        fake.FakeBackupDriver.outcomes[backup.id] = True
        self.mgr.reset_backup(self.admin, backup, 'available')
        self.assertIsNone(self.get_backup(backup.id).fail_reason)
        evidence = self._history(backup.id)[0]['evidence']
        self.assertEqual('Volume driver crashed',
                         evidence['previous_fail_reason'])
        self.assertEqual('shallow', evidence['level'])

    def test_failed_verification_keeps_previous_in_history(self):
        backup = self.create_backup(status='creating',
                                    fail_reason='Volume driver crashed')
        fake.FakeBackupDriver.outcomes[backup.id] = 'object 3 is missing'
        self.assertRaises(exception.BackupVerifyFailed,
                          self.mgr.reset_backup, self.admin, backup,
                          'available')
        self.assertEqual('object 3 is missing',
                         self.get_backup(backup.id).fail_reason)
        self.assertEqual(
            'Volume driver crashed',
            self._history(backup.id)[0]['evidence']['previous_fail_reason'])


class CinderTablesTestCase(base.TestCase):
    """With Cinder's volumes, snapshots and services tables."""

    def setUp(self):
        super().setUp()
        self.engine = db_api.get_engine()
        ct.METADATA.create_all(self.engine)
        ct.forget(self.engine)
        self.addCleanup(ct.forget, self.engine)
        self.mgr = manager.BackupResetManager(self.conf)

    def insert(self, table, **values):
        values.setdefault('deleted', False)
        with self.engine.begin() as conn:
            conn.execute(table.insert().values(**values))

    def status(self, table, ident):
        with self.engine.connect() as conn:
            return conn.execute(sa.select(table.c.status).where(
                table.c.id == ident)).scalar()


class TestReconcile(CinderTablesTestCase):

    def test_source_volume_back_to_previous_status(self):
        self.insert(ct.VOLUMES, id='vol-1', status='backing-up',
                    previous_status='in-use')
        backup = self.create_backup(status='creating', volume_id='vol-1')
        outcome = self.mgr.reset_backup(self.admin, backup, 'error')
        self.assertEqual('in-use', self.status(ct.VOLUMES, 'vol-1'))
        change = {'resource': 'volume', 'role': 'source', 'id': 'vol-1',
                  'from_status': 'backing-up', 'to_status': 'in-use',
                  'applied': True, 'reason': None}
        self.assertEqual([change], outcome.volumes)
        history = history_view.entry(
            db_api.status_history_get(self.admin, backup.id)[0])
        self.assertEqual([change], history['evidence']['volumes'])

    def test_previous_status_null_uses_attachments(self):
        self.insert(ct.VOLUMES, id='vol-1', status='backing-up')
        self.insert(ct.VOLUME_ATTACHMENT, id='att-1', volume_id='vol-1',
                    attach_status='attached')
        self.insert(ct.VOLUMES, id='vol-2', status='backing-up')
        self.insert(ct.VOLUME_ATTACHMENT, id='att-2', volume_id='vol-2',
                    attach_status='detached')
        for volume in ('vol-1', 'vol-2'):
            backup = self.create_backup(status='creating', volume_id=volume)
            self.mgr.reset_backup(self.admin, backup, 'error')
        self.assertEqual('in-use', self.status(ct.VOLUMES, 'vol-1'))
        self.assertEqual('available', self.status(ct.VOLUMES, 'vol-2'))

    def test_other_backup_still_creating_keeps_volume(self):
        self.insert(ct.VOLUMES, id='vol-1', status='backing-up',
                    previous_status='available')
        first = self.create_backup(status='creating', volume_id='vol-1')
        second = self.create_backup(status='creating', volume_id='vol-1')
        outcome = self.mgr.reset_backup(self.admin, first, 'error')
        self.assertEqual('backing-up', self.status(ct.VOLUMES, 'vol-1'))
        self.assertFalse(outcome.volumes[0]['applied'])
        self.assertIn('another backup', outcome.volumes[0]['reason'])
        outcome = self.mgr.reset_backup(self.admin, second, 'error')
        self.assertEqual('available', self.status(ct.VOLUMES, 'vol-1'))
        self.assertTrue(outcome.volumes[0]['applied'])

    def test_snapshot_and_restore_target(self):
        self.insert(ct.VOLUMES, id='vol-1', status='available')
        self.insert(ct.SNAPSHOTS, id='snap-1', status='backing-up')
        self.insert(ct.VOLUMES, id='vol-target', status='restoring-backup')
        backup = self.create_backup(status='restoring', volume_id='vol-1',
                                    snapshot_id='snap-1',
                                    restore_volume_id='vol-target')
        outcome = self.mgr.reset_backup(self.admin, backup, 'available')
        self.assertEqual('available', self.status(ct.SNAPSHOTS, 'snap-1'))
        self.assertEqual('error_restoring',
                         self.status(ct.VOLUMES, 'vol-target'))
        self.assertEqual('available', self.status(ct.VOLUMES, 'vol-1'))
        self.assertEqual(
            [('volume', 'restore_target', 'error_restoring', True),
             ('snapshot', 'snapshot', 'available', True)],
            [(c['resource'], c['role'], c['to_status'], c['applied'])
             for c in outcome.volumes])

    def test_reconcile_false_opts_out(self):
        self.insert(ct.VOLUMES, id='vol-1', status='backing-up',
                    previous_status='available')
        backup = self.create_backup(status='creating', volume_id='vol-1')
        outcome = self.mgr.reset_backup(self.admin, backup, 'error',
                                        reconcile=False)
        self.assertEqual('backing-up', self.status(ct.VOLUMES, 'vol-1'))
        self.assertEqual([], outcome.volumes)

    def test_dry_run_plans_and_writes_nothing(self):
        self.insert(ct.VOLUMES, id='vol-1', status='backing-up',
                    previous_status='available')
        backup = self.create_backup(status='creating', volume_id='vol-1')
        outcome = self.mgr.reset_backup(self.admin, backup, 'error',
                                        dry_run=True)
        self.assertEqual('backing-up', self.status(ct.VOLUMES, 'vol-1'))
        self.assertEqual([('vol-1', 'available', False)],
                         [(c['id'], c['to_status'], c['applied'])
                          for c in outcome.volumes])

    def test_volume_moved_on_is_left_alone_and_reported(self):
        self.insert(ct.VOLUMES, id='vol-1', status='backing-up',
                    previous_status='available')
        backup = self.create_backup(status='creating', volume_id='vol-1')
        real_plan = ct.plan

        def plan_then_race(conn, backups, row):
            changes = real_plan(conn, backups, row)
            # NOTE: another writer moves the volume on between our read
            # and our compare-and-swap.
            conn.execute(ct.VOLUMES.update().where(
                ct.VOLUMES.c.id == 'vol-1').values(status='deleting'))
            return changes

        self.patch(ct, 'plan', plan_then_race)
        outcome = self.mgr.reset_backup(self.admin, backup, 'error')
        self.assertEqual('error', self.get_backup(backup.id).status)
        self.assertEqual('deleting', self.status(ct.VOLUMES, 'vol-1'))
        self.assertFalse(outcome.volumes[0]['applied'])
        self.assertIn('changed meanwhile', outcome.volumes[0]['reason'])

    def test_failing_reconciliation_rolls_the_reset_back(self):
        self.insert(ct.VOLUMES, id='vol-1', status='backing-up',
                    previous_status='available')
        backup = self.create_backup(status='creating', volume_id='vol-1')

        def broken(conn, backups, row):
            raise RuntimeError('boom')

        self.patch(ct, 'reconcile', broken)
        self.assertRaises(RuntimeError, self.mgr.reset_backup, self.admin,
                          backup, 'error')
        self.assertEqual('creating', self.get_backup(backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       backup.id))


class TestStuckRule(CinderTablesTestCase):

    def _stuck(self):
        rule = db_stuck.Stuck(self.conf)
        rows = _stuck_rows(self.admin, rule)
        return rule.describe(self.admin, rows)

    def test_service_down_and_no_progress(self):
        self.conf_fixture.config(service_down_time=60,
                                 backup_stuck_after=3600)
        self.insert(ct.SERVICES, id=1, host='up', binary='cinder-backup',
                    disabled=False, created_at=_ago(9999),
                    updated_at=_ago(5))
        self.insert(ct.SERVICES, id=2, host='down', binary='cinder-backup',
                    disabled=False, created_at=_ago(9999),
                    updated_at=_ago(600))
        self.insert(ct.SERVICES, id=3, host='off', binary='cinder-backup',
                    disabled=True, created_at=_ago(9999),
                    updated_at=_ago(1))
        fresh = self.create_backup(host='up', created_at=_ago(10))
        old = self.create_backup(host='up', created_at=_ago(7200),
                                 updated_at=_ago(7200))
        bumped = self.create_backup(host='up', created_at=_ago(7200),
                                    updated_at=_ago(10))
        on_down = self.create_backup(host='down', created_at=_ago(10),
                                     status='restoring')
        on_off = self.create_backup(host='off', created_at=_ago(10),
                                    status='deleting')
        on_missing = self.create_backup(host='gone', created_at=_ago(10))
        no_host = self.create_backup(host=None, created_at=_ago(10))
        done = self.create_backup(host='down', created_at=_ago(10),
                                  status='available')
        stuck = self._stuck()
        self.assertEqual({old.id, on_down.id, on_off.id, on_missing.id},
                         set(stuck))
        for ident in (fresh.id, bumped.id, no_host.id, done.id):
            self.assertNotIn(ident, stuck)
        self.assertEqual(('no_progress', True, 'up'),
                         (stuck[old.id]['reason'],
                          stuck[old.id]['service_up'],
                          stuck[old.id]['host']))
        for ident in (on_down.id, on_off.id, on_missing.id):
            self.assertEqual(('service_down', False),
                             (stuck[ident]['reason'],
                              stuck[ident]['service_up']))
        since = timeutils.parse_isotime(stuck[on_down.id]['since'])
        self.assertLess(abs((since.replace(tzinfo=None) - _ago(600))
                            .total_seconds()), 60)


class TestStuckWithoutServices(base.TestCase):

    def test_progress_age_only(self):
        self.conf_fixture.config(backup_stuck_after=3600)
        old = self.create_backup(host='h', created_at=_ago(7200))
        self.create_backup(host='h', created_at=_ago(10))
        self.create_backup(host='h', status='available',
                           created_at=_ago(7200))
        rule = db_stuck.Stuck(self.conf)
        rows = _stuck_rows(self.admin, rule)
        self.assertEqual([old.id], [row.id for row in rows])
        self.assertEqual({'reason': 'no_progress', 'host': 'h',
                          'service_up': None,
                          'since': old.created_at.isoformat()},
                         rule.describe(self.admin, rows)[old.id])


class TestStuckPages(base.TestCase):
    """The report reads one page per stuck status and merges them."""

    def setUp(self):
        super().setUp()
        self.conf_fixture.config(backup_stuck_after=3600)
        statuses = ['creating', 'restoring', 'deleting', 'available']
        self.stuck = []
        # NOTE: ages interleave the statuses, so that any page draws on
        # all three; two share an instant (the id breaks the tie).
        for n in range(12):
            backup = self.create_backup(
                status=statuses[n % 4],
                created_at=_ago(7200 + 60 * (n // 2)))
            if backup.status != 'available':
                self.stuck.append(backup)
        self.create_backup(status='creating', created_at=_ago(10))
        self.newest_first = sorted(
            self.stuck, key=lambda b: (b.created_at, b.id), reverse=True)

    def _page(self, limit, marker=None, **filters):
        rule = db_stuck.Stuck(self.conf)
        return [row.id for row in _stuck_rows(
            self.admin, rule, limit=limit, marker=marker, **filters)]

    def test_pages_in_order_across_statuses(self):
        seen, marker = [], None
        while True:
            page = self._page(4, marker)
            if not page:
                break
            self.assertLessEqual(len(page), 4)
            seen.extend(page)
            marker = page[-1]
        self.assertEqual([b.id for b in self.newest_first], seen)

    def test_one_page_is_the_newest(self):
        self.assertEqual([b.id for b in self.newest_first[:5]],
                         self._page(5))

    def test_oldest_first(self):
        rule = db_stuck.Stuck(self.conf)
        rows = _stuck_rows(self.admin, rule, limit=3,
                           sort_keys=['created_at', 'id'],
                           sort_dirs=['asc', 'asc'])
        self.assertEqual([b.id for b in self.newest_first[::-1][:3]],
                         [row.id for row in rows])

    def test_a_status_filter_narrows(self):
        self.assertEqual(
            [b.id for b in self.newest_first if b.status == 'restoring'],
            self._page(50, status='restoring'))
        self.assertEqual([], self._page(50, status='available'))

    def test_one_query_without_the_index(self):
        # NOTE: as on Cinder's table: a page per status would read the
        # whole table three times.
        engine = db_api.get_engine()
        with engine.begin() as conn:
            conn.execute(sa.text(
                'DROP INDEX backups_deleted_status_created_at_id_idx'))
        ct.forget(engine)
        self.addCleanup(ct.forget, engine)
        seen = []

        def record(conn, cursor, statement, *args):
            seen.append(statement)

        sa.event.listen(engine, 'before_cursor_execute', record)
        self.addCleanup(sa.event.remove, engine, 'before_cursor_execute',
                        record)
        self.assertEqual([b.id for b in self.newest_first[:5]],
                         self._page(5))
        self.assertEqual([], [s for s in seen if 'UNION' in s])
        self.assertTrue([s for s in seen if 'IN (' in s], seen)

    def test_without_a_limit_every_stuck_backup(self):
        rule = db_stuck.Stuck(self.conf)
        rows = db_api.backup_get_all(
            self.admin, filters=rule.filters({}), all_projects=True,
            criteria=rule.criteria)
        self.assertEqual({b.id for b in self.stuck},
                         {row.id for row in rows})


def _stuck_rows(context, rule, limit=None, marker=None, sort_keys=None,
                sort_dirs=None, **filters):
    return db_api.backup_get_all(
        context, filters=rule.filters(filters), limit=limit, marker=marker,
        sort_keys=sort_keys, sort_dirs=sort_dirs, all_projects=True,
        criteria=rule.criteria)


class TestTouch(base.TestCase):

    def test_touch_only_while_status_holds(self):
        backup = self.create_backup(status='creating',
                                    created_at=_ago(7200))
        self.assertTrue(db_api.backup_touch(self.admin, backup.id,
                                            'creating'))
        row = self.get_backup(backup.id)
        self.assertLess((timeutils.utcnow() - row.updated_at)
                        .total_seconds(), 60)
        self.assertEqual('creating', row.status)
        self.assertFalse(db_api.backup_touch(self.admin, backup.id,
                                             'restoring'))


class TestDeleting(CinderTablesTestCase):

    def setUp(self):
        super().setUp()
        fake.FakeBackupDriver.deleted = []

    def test_deleting_to_error_keeps_reason(self):
        backup = self.create_backup(status='deleting',
                                    fail_reason='Cinder lost the bus')
        self.mgr.reset_backup(self.admin, backup, 'error')
        row = self.get_backup(backup.id)
        self.assertEqual(('error', 'Cinder lost the bus'),
                         (row.status, row.fail_reason))

    def test_deleting_to_available_is_verified(self):
        backup = self.create_backup(status='deleting')
        fake.FakeBackupDriver.outcomes[backup.id] = True
        outcome = self.mgr.reset_backup(self.admin, backup, 'available')
        self.assertEqual(('available', 'passed'),
                         (outcome.status, outcome.verified))

    def test_force_delete(self):
        self.insert(ct.VOLUMES, id='vol-1', status='backing-up',
                    previous_status='available')
        parent = self.create_backup(status='available', volume_id='vol-1',
                                    num_dependent_backups=1)
        backup = self.create_backup(status='creating', volume_id='vol-1',
                                    parent_id=parent.id,
                                    fail_reason='stuck')
        entry = force_delete.force_delete(self.mgr, self.admin, backup)
        self.assertEqual([backup.id], fake.FakeBackupDriver.deleted)
        self.assertRaises(exception.BackupNotFound, self.get_backup,
                          backup.id)
        self.assertEqual(('creating', 'deleted'),
                         (entry['from_status'], entry['to_status']))
        self.assertEqual('stuck', entry['evidence']['previous_fail_reason'])
        self.assertEqual('available', self.status(ct.VOLUMES, 'vol-1'))
        self.assertEqual(0, self.get_backup(parent.id).num_dependent_backups)
        history = db_api.status_history_get(self.admin, backup.id)
        self.assertEqual(['deleted'], [h.to_status for h in history])
        # The audit trail outlives the backup, through the API's path too.
        self.assertEqual(['deleted'], [h.to_status for h in
                                       self.mgr.status_history(
                                           self.admin, backup.id)])

    def test_force_delete_refused_with_dependents(self):
        parent = self.create_backup(status='deleting')
        child = self.create_backup(status='available', parent_id=parent.id)
        exc = self.assertRaises(exception.BackupHasDependents,
                                force_delete.force_delete, self.mgr,
                                self.admin, parent)
        self.assertEqual(400, exc.code)
        self.assertIn(child.id, str(exc))
        self.assertEqual('deleting', self.get_backup(parent.id).status)
        self.assertEqual([], fake.FakeBackupDriver.deleted)

    def test_force_delete_unavailable_backend_changes_nothing(self):
        backup = self.create_backup(status='creating')

        class Down(fake.FakeBackupDriver):
            def delete(self, context, backup):
                raise exception.BackupBackendUnavailable(
                    backup_id=backup.id, reason='share not mounted')

        mgr = manager.BackupResetManager(self.conf, driver=Down(self.conf))
        self.assertRaises(exception.BackupBackendUnavailable,
                          force_delete.force_delete, mgr, self.admin,
                          backup)
        self.assertEqual('creating', self.get_backup(backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       backup.id))


class TestHeartbeat(base.TestCase):

    def test_bumps_when_due_and_stops_when_status_changed(self):
        from cinder_backup_reset.cmd import backup_commands
        long_ago = _ago(7200)
        backup = self.create_backup(status='creating',
                                    created_at=long_ago,
                                    updated_at=long_ago)
        drawn = []
        beat = backup_commands.Heartbeat(
            self.admin, backup.id, 'creating',
            progress=lambda done, total: drawn.append(done),
            conf=self.conf)
        beat(10, 100)
        # NOTE: not due yet: no write.
        self.assertEqual(long_ago.replace(microsecond=0),
                         self.get_backup(backup.id).updated_at.replace(
                             microsecond=0))
        beat.last -= self.conf.backup_progress_interval
        beat(20, 100)
        self.assertEqual([10, 20], drawn)
        self.assertLess((timeutils.utcnow() -
                         self.get_backup(backup.id).updated_at)
                        .total_seconds(), 60)
        self.assertTrue(beat.should_continue())
        db_api.backup_conditional_update(self.admin, backup.id, 'creating',
                                         {'status': 'error'})
        self.assertFalse(beat.should_continue())
        beat.last -= self.conf.backup_progress_interval
        self.assertFalse(beat.should_continue())
        self.assertEqual('error', self.get_backup(backup.id).status)


class TestBulk(CinderTablesTestCase):

    FILE_DATABASE = True

    def _old(self, **values):
        values.setdefault('created_at', _ago(7200))
        values.setdefault('status', 'creating')
        return self.create_backup(**values)

    def test_one_failure_never_stops_the_others(self):
        first, second, third = self._old(), self._old(), self._old()
        real = db_api.backup_conditional_update_many

        def race_then_write(context, items):
            # NOTE: another writer finishes the second backup between the
            # selection and the batch's compare-and-swap.
            db_api.backup_conditional_update(self.admin, second.id,
                                             'creating',
                                             {'status': 'available'})
            return real(context, items)

        self.patch(db_api, 'backup_conditional_update_many',
                   race_then_write)
        answer = bulk.bulk_reset(self.mgr, self.admin, 'error',
                                 {'stuck': True}, 10)
        self.assertEqual(3, answer['matched'])
        by_id = {e['backup_id']: e for e in answer['backup_resets']}
        self.assertEqual(409, by_id[second.id]['error']['code'])
        for backup in (first, third):
            self.assertTrue(by_id[backup.id]['outcome']['applied'])
            self.assertEqual('error', self.get_backup(backup.id).status)
            self.assertEqual(
                1, len(db_api.status_history_get(self.admin, backup.id)))
        self.assertEqual('available', self.get_backup(second.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       second.id))
        self.assertIsNotNone(by_id[first.id]['outcome']['history']['id'])

    def test_max_refuses_and_changes_nothing(self):
        backups = [self._old() for _ in range(3)]
        exc = self.assertRaises(exception.InvalidParameterValue,
                                bulk.bulk_reset, self.mgr, self.admin,
                                'error', {'stuck': True}, 2)
        self.assertIn('3 backups match', str(exc))
        for backup in backups:
            self.assertEqual('creating', self.get_backup(backup.id).status)

    def test_verifications_in_parallel_each_its_own_result(self):
        good, bad = self._old(), self._old()
        fake.FakeBackupDriver.outcomes[good.id] = True
        fake.FakeBackupDriver.outcomes[bad.id] = 'object 1 is missing'
        restoring = self._old(status='restoring')
        answer = bulk.bulk_reset(self.mgr, self.admin, 'available',
                                 {'stuck': True}, 10)
        by_id = {e['backup_id']: e for e in answer['backup_resets']}
        self.assertEqual('passed', by_id[good.id]['outcome']['verified'])
        self.assertEqual(400, by_id[bad.id]['error']['code'])
        self.assertEqual('skipped',
                         by_id[restoring.id]['outcome']['verified'])
        self.assertEqual(('available', 'error', 'available'),
                         (self.get_backup(good.id).status,
                          self.get_backup(bad.id).status,
                          self.get_backup(restoring.id).status))

    def test_filters(self):
        on_a = self._old(host='a')
        self._old(host='b')
        recent = self._old(host='a', created_at=_ago(600))
        answer = bulk.bulk_reset(self.mgr, self.admin, 'error',
                                 {'status': 'creating', 'host': 'a',
                                  'older_than': 1800}, 10, dry_run=True)
        self.assertEqual([on_a.id],
                         [e['backup_id'] for e in answer['backup_resets']])
        self.assertFalse(answer['backup_resets'][0]['outcome']['applied'])
        self.assertEqual('creating', self.get_backup(recent.id).status)
