"""Notifications of a reset: Cinder's event types, publisher and payload."""

import os
import subprocess
import sys
import threading

import fixtures as fx
import testtools

from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import manager
from cinder_backup_reset import notifier
from cinder_backup_reset.tests import base
from cinder_backup_reset.tests import fixtures


class TestResetNotifications(base.TestCase):

    def setUp(self):
        super().setUp()
        self.conf_fixture.config(host='node-7')
        self.notes = self.useFixture(fixtures.Notifications(self.conf))
        self.mgr = manager.BackupResetManager(self.conf)

    def test_start_and_end_carry_old_and_new_status(self):
        backup = self.create_backup(status='creating', display_name='b1')
        self.mgr.reset_backup(self.admin, backup, 'error')
        self.assertEqual(
            [('backup.node-7', 'backup.reset_status.start', 'creating'),
             ('backup.node-7', 'backup.reset_status.end', 'error')],
            [(pub, event, payload['status'])
             for pub, event, payload in self.notes.messages])
        payload = self.notes.messages[0][2]
        self.assertEqual(
            {'tenant_id', 'user_id', 'availability_zone', 'backup_id', 'host',
             'display_name', 'created_at', 'status', 'volume_id', 'size',
             'service_metadata', 'service', 'fail_reason', 'parent_id',
             'num_dependent_backups', 'snapshot_id'}, set(payload))
        self.assertEqual(backup.id, payload['backup_id'])
        self.assertEqual('b1', payload['display_name'])

    def test_failed_verification_notifies_the_error(self):
        backup = self.create_backup(status='creating')
        fake.FakeBackupDriver.outcomes[backup.id] = 'metadata missing'
        self.assertRaises(exception.BackupVerifyFailed,
                          self.mgr.reset_backup, self.admin, backup,
                          'available')
        end = self.notes.messages[-1]
        self.assertEqual('backup.reset_status.end', end[1])
        self.assertEqual(('error', 'metadata missing'),
                         (end[2]['status'], end[2]['fail_reason']))

    def test_dry_run_and_refusals_send_nothing(self):
        backup = self.create_backup(status='creating')
        self.mgr.reset_backup(self.admin, backup, 'error', dry_run=True)
        self.assertRaises(exception.BackupStatusConflict,
                          self.mgr.reset_backup, self.admin, backup,
                          'error', expected_status='restoring')
        raced = self.create_backup(status='creating')
        db_api.backup_conditional_update(self.admin, raced.id, 'creating',
                                         {'status': 'deleting'})
        self.assertRaises(exception.BackupStatusConflict,
                          self.mgr.reset_backup, self.admin, raced, 'error')
        no_service = self.create_backup(status='creating', service=None)
        self.assertRaises(exception.BackupNothingToVerify,
                          self.mgr.reset_backup, self.admin, no_service,
                          'available')
        self.assertEqual([], self.notes.messages)

    def test_off_by_default(self):
        self.conf_fixture.config(driver=[],
                                 group='oslo_messaging_notifications')
        notifier.reset()
        backup = self.create_backup(status='creating')
        self.mgr.reset_backup(self.admin, backup, 'error')
        self.assertEqual([], self.notes.messages)


class TestBrokerOutage(base.TestCase):

    def test_never_waits_forever_for_the_broker(self):
        from cinder_backup_reset import notifier
        notifier.get_notifier(self.conf)
        self.assertEqual(-1, self.conf.oslo_messaging_notifications.retry)
        self.assertEqual(1, notifier.notify_retry(self.conf))
        self.conf_fixture.config(retry=5,
                                 group='oslo_messaging_notifications')
        self.assertEqual(5, notifier.notify_retry(self.conf))

    def test_reset_stands_when_the_broker_is_down(self):
        # A broker nobody listens on: the notification fails (logged) and
        # the reset is applied within the retry budget.
        import time

        from cinder_backup_reset.tests import fixtures as cbr_fixtures
        port = cbr_fixtures.free_port()
        notifier.get_notifier(self.conf)
        notifier.reset()
        self.conf_fixture.config(
            driver=['messagingv2'],
            transport_url='rabbit://guest:guest@127.0.0.1:%d/' % port,
            retry=0, group='oslo_messaging_notifications')
        backup = self.create_backup(status='creating')
        started = time.monotonic()
        result = manager.BackupResetManager(self.conf).reset_backup(
            self.admin, backup, 'error')
        self.assertEqual('error', result.status)
        self.assertLess(time.monotonic() - started, 10)
        self.assertEqual('error', self.get_backup(backup.id).status)


class TestSenderThread(base.TestCase):
    """A reset never waits for the message bus."""

    def setUp(self):
        super().setUp()
        self.notes = self.useFixture(fixtures.Notifications(self.conf))
        self.release = threading.Event()
        self.sent = []
        real_send = notifier._send

        def blocked_send(*item):
            # NOTE: a broker that does not answer until released.
            self.release.wait(30)
            self.sent.append(item[2])
            real_send(*item)
        self.useFixture(fx.MockPatchObject(notifier, '_send', blocked_send))
        self.addCleanup(self.release.set)

    def test_reset_answers_while_the_broker_hangs(self):
        backup = self.create_backup(status='creating')
        result = manager.BackupResetManager(self.conf).reset_backup(
            self.admin, backup, 'error')
        self.assertEqual('error', result.status)
        self.assertEqual([], self.sent)
        self.assertFalse(notifier.flush(timeout=0.01))
        self.release.set()
        self.assertTrue(notifier.flush(timeout=30))
        self.assertEqual(['backup.reset_status.start',
                          'backup.reset_status.end'], self.sent)
        self.assertEqual(['creating', 'error'],
                         [p['status'] for _pub, _ev, p in
                          self.notes.messages])

    def test_full_queue_drops_and_logs(self):
        self.useFixture(fx.MockPatchObject(notifier, 'QUEUE_SIZE', 1))
        log = self.useFixture(fx.FakeLogger(name='cinder_backup_reset'))
        backup = self.create_backup(status='creating')
        manager.BackupResetManager(self.conf).reset_backup(
            self.admin, backup, 'error')
        self.assertIn('backup.reset_status.end for backup %s dropped'
                      % backup.id, log.output)
        self.release.set()
        self.assertTrue(notifier.flush(timeout=30))
        self.assertEqual(['backup.reset_status.start'], self.sent)


class TestEnabled(base.TestCase):

    def setUp(self):
        super().setUp()
        # NOTE: registers [oslo_messaging_notifications], which the tests
        # set before anything else would.
        notifier.get_notifier(self.conf)

    def _enabled(self, drivers):
        self.conf_fixture.config(driver=drivers,
                                 group='oslo_messaging_notifications')
        return notifier.enabled(self.conf)

    def test_no_driver_is_off(self):
        # NOTE: oslo.messaging's Notifier.is_enabled() says True here.
        self.assertFalse(self._enabled([]))

    def test_noop_is_off(self):
        self.assertFalse(self._enabled(['noop']))

    def test_a_real_driver_is_on(self):
        self.assertTrue(self._enabled(['messagingv2']))
        self.assertTrue(self._enabled(['noop', 'log']))

    def test_off_builds_no_payload(self):
        self._enabled([])
        spy = self.useFixture(fx.MockPatchObject(
            notifier, 'usage_from_backup')).mock
        notifier.notify_backup_usage(self.admin, self.create_backup(),
                                     'reset_status.end', conf=self.conf)
        spy.assert_not_called()


class TestImportIsQuiet(testtools.TestCase):

    def test_no_word_of_eventlet(self):
        # NOTE: a fresh interpreter with Python's default warning filters
        # and the service's logging (INFO, to stderr), as an operator's
        # start of the API or of a manage command: neither eventlet's
        # deprecation warning nor oslo.service's "Loading backend:
        # eventlet".
        env = dict(os.environ)
        env.pop('PYTHONWARNINGS', None)
        code = ('from cinder_backup_reset import service\n'
                'service.parse_args(["--config-file", "/dev/null"])\n'
                'import cinder_backup_reset.notifier\n')
        proc = subprocess.run([sys.executable, '-c', code],
                              capture_output=True, text=True, timeout=60,
                              env=env)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertNotIn('eventlet', (proc.stdout + proc.stderr).lower())
