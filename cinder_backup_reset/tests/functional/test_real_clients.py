"""The real OpenStack clients, unchanged, against the real server.

python-cinderclient's ``backup-reset-state`` and python-openstackclient's
``volume backup set --state`` send Cinder's ``os-reset_status``; our own
``cinder-backup-reset`` sends ``backup-reset_status``. Each runs as a
subprocess against a server on loopback, and the stored status is checked.
"""

import datetime
import json
import os
import shutil
import subprocess
import sys

import sqlalchemy as sa
import testtools

from cinder_backup_reset.db import models
from cinder_backup_reset.tests.functional.fixtures import server

FAKE = 'cinder_backup_reset.backup.drivers.fake.FakeBackupDriver'


def _which(name):
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get(
        'PATH', '')
    return shutil.which(name, path=path)


class ClientTestCase(testtools.TestCase):
    """One server per test (noauth, fake driver), clean client env."""

    def setUp(self):
        super().setUp()
        self.api = self.useFixture(server.APIServer(
            config={'DEFAULT': {'backup_driver': 'fake'}}))
        self.endpoint = self.api.endpoint + '/v3'
        # NOTE: no clouds.yaml or OS_* of the machine may leak in.
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(('OS_', 'CINDER_'))}
        self.env['HOME'] = self.api.state_path

    def run_cmd(self, name, *args):
        exe = _which(name)
        if exe is None:
            self.skipTest('%s is not installed' % name)
        proc = subprocess.run([exe] + list(args), env=self.env,
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        self.addDetail('%s-output' % name, testtools.content.text_content(
            'rc=%s\nstdout:\n%s\nstderr:\n%s' % (proc.returncode,
                                                 proc.stdout, proc.stderr)))
        return proc


class TestCinderClient(ClientTestCase):

    def cinder(self, *args):
        return self.run_cmd(
            'cinder', '--os-auth-type', 'noauth', '--os-user-id', 'admin',
            '--os-project-id', 'p1', '--os-endpoint', self.endpoint, *args)

    def test_reset_by_id(self):
        backup = self.api.create_backup(status='creating')
        proc = self.cinder('backup-reset-state', '--state', 'error', backup)
        self.assertEqual(0, proc.returncode)
        self.assertIn('has been accepted', proc.stdout)
        self.assertEqual('error', self.api.backup_status(backup))

    def test_reset_to_error_keeps_cinders_reason(self):
        backup = self.api.create_backup(
            status='creating', fail_reason='Volume driver crashed')
        proc = self.cinder('backup-reset-state', '--state', 'error', backup)
        self.assertEqual(0, proc.returncode)
        table = models.Backup.__table__
        with self.api.engine().connect() as conn:
            row = conn.execute(sa.select(table.c.status,
                                         table.c.fail_reason).where(
                table.c.id == backup)).one()
        self.assertEqual(('error', 'Volume driver crashed'), tuple(row))

    def test_force_delete(self):
        backup = self.api.create_backup(status='deleting', service=FAKE)
        proc = self.cinder('backup-delete', '--force', backup)
        self.assertEqual(0, proc.returncode, proc.stderr)
        table = models.Backup.__table__
        with self.api.engine().connect() as conn:
            row = conn.execute(sa.select(table.c.status,
                                         table.c.deleted).where(
                table.c.id == backup)).one()
        self.assertEqual(('deleted', True), tuple(row))

    def test_reset_by_name(self):
        backup = self.api.create_backup(status='restoring',
                                        display_name='nightly-db')
        proc = self.cinder('backup-reset-state', '--state', 'available',
                           'nightly-db')
        self.assertEqual(0, proc.returncode)
        self.assertEqual('available', self.api.backup_status(backup))

    def test_refusal_is_reported(self):
        backup = self.api.create_backup(status='creating', service=None)
        proc = self.cinder('backup-reset-state', '--state', 'available',
                           backup)
        self.assertEqual(1, proc.returncode)
        self.assertIn('no backup service recorded', proc.stderr)
        self.assertIn('(HTTP 400)', proc.stderr)
        self.assertEqual('creating', self.api.backup_status(backup))


class TestOpenStackClient(ClientTestCase):

    def openstack(self, *args):
        # NOTE: with auth_strategy=noauth the token "user:project" is the
        # identity; keystoneauth's admin_token plugin sends it as is.
        return self.run_cmd(
            'openstack', '--os-auth-type', 'admin_token', '--os-token',
            'admin:p1', '--os-endpoint', self.endpoint, *args)

    def test_backup_set_state(self):
        backup = self.api.create_backup(status='creating',
                                        display_name='weekly')
        proc = self.openstack('volume', 'backup', 'set', '--state', 'error',
                              'weekly')
        self.assertEqual(0, proc.returncode)
        self.assertEqual('error', self.api.backup_status(backup))
        proc = self.openstack('volume', 'backup', 'show', '-f', 'json',
                              backup)
        self.assertEqual(0, proc.returncode)
        self.assertEqual('error', json.loads(proc.stdout)['status'])


class TestOurCommand(ClientTestCase):

    def cbr(self, *args, user='admin'):
        return self.run_cmd(
            'cinder-backup-reset', '--os-auth-type', 'noauth',
            '--os-user-id', user, '--os-project-id', 'p1',
            '--os-endpoint', self.endpoint, *args)

    def test_stuck_list_and_bulk_reset(self):
        old = datetime.datetime.utcnow() - datetime.timedelta(hours=3)
        stuck = self.api.create_backup(status='creating', host='b-1',
                                       created_at=old)
        running = self.api.create_backup(status='creating', host='b-1')
        proc = self.cbr('backup-list', '--stuck', '-f', 'json')
        self.assertEqual(0, proc.returncode)
        listed = json.loads(proc.stdout)
        self.assertEqual([stuck], [b['id'] for b in listed])
        self.assertEqual(('no_progress', 'unknown', 'b-1'),
                         (listed[0]['stuck_reason'],
                          listed[0]['service_up'], listed[0]['stuck_host']))
        proc = self.cbr('backup-reset-state', '--state', 'error',
                        '--all-stuck', '--host', 'b-1', '--max', '5')
        self.assertEqual(0, proc.returncode)
        self.assertIn('1 matched, 1 reset, 0 failed.', proc.stderr)
        self.assertIn(stuck, proc.stdout)
        self.assertEqual('error', self.api.backup_status(stuck))
        self.assertEqual('creating', self.api.backup_status(running))

    def test_reset_several_and_history(self):
        first = self.api.create_backup(status='creating', display_name='a')
        second = self.api.create_backup(status='restoring', display_name='b')
        proc = self.cbr('backup-reset-state', '--state', 'error',
                        '--reason', 'db outage', 'a', second)
        self.assertEqual(0, proc.returncode)
        self.assertEqual(2, len(proc.stdout.strip().splitlines()))
        self.assertEqual('error', self.api.backup_status(first))
        self.assertEqual('error', self.api.backup_status(second))
        proc = self.cbr('backup-status-history', '-f', 'json', 'a')
        self.assertEqual(0, proc.returncode)
        history = json.loads(proc.stdout)
        self.assertEqual('db outage', history[0]['reason'])
        self.assertEqual('creating', history[0]['from_status'])

    def test_partial_failure_exits_1(self):
        good = self.api.create_backup(status='creating', service=FAKE)
        bad = self.api.create_backup(status='creating', service=None)
        proc = self.cbr('backup-reset-state', '--state', 'available', good,
                        bad)
        # The fake driver in the server knows no backup: verification of
        # "good" fails and it goes to error; "bad" cannot be verified.
        self.assertEqual(1, proc.returncode)
        self.assertEqual('error', self.api.backup_status(good))
        self.assertEqual('creating', self.api.backup_status(bad))
        self.assertIn('no backup service recorded', proc.stderr)
        self.assertIn('Request-ID: req-', proc.stderr)

    def test_dry_run_changes_nothing(self):
        backup = self.api.create_backup(status='creating')
        proc = self.cbr('backup-reset-state', '--state', 'error',
                        '--dry-run', backup)
        self.assertEqual(0, proc.returncode)
        self.assertEqual('creating', self.api.backup_status(backup))

    def test_expected_status_conflict(self):
        backup = self.api.create_backup(status='creating')
        proc = self.cbr('backup-reset-state', '--state', 'error',
                        '--expected-status', 'restoring', backup)
        self.assertEqual(1, proc.returncode)
        self.assertIn('(HTTP 409)', proc.stderr)

    def test_state_is_required(self):
        backup = self.api.create_backup(status='creating')
        proc = self.cbr('backup-reset-state', backup)
        self.assertNotEqual(0, proc.returncode)
        self.assertEqual('creating', self.api.backup_status(backup))

    def test_list_and_show(self):
        backup = self.api.create_backup(status='error', display_name='x1')
        proc = self.cbr('backup-list', '-f', 'json', '--status', 'error')
        self.assertEqual(0, proc.returncode)
        self.assertEqual([backup], [b['id'] for b in json.loads(proc.stdout)])
        proc = self.cbr('backup-show', '-f', 'json', 'x1')
        self.assertEqual(0, proc.returncode)
        self.assertEqual('error', json.loads(proc.stdout)['status'])
        proc = self.cbr('backup-show', 'no-such-backup')
        self.assertEqual(1, proc.returncode)
        self.assertIn('no-such-backup', proc.stderr)

    def test_non_admin_refused(self):
        backup = self.api.create_backup(status='creating')
        proc = self.cbr('backup-reset-state', '--state', 'error', backup,
                        user='alice')
        self.assertEqual(1, proc.returncode)
        self.assertIn('(HTTP 403)', proc.stderr)
        proc = self.cbr('backup-status-history', backup, user='alice')
        self.assertEqual(1, proc.returncode)
        self.assertIn('(HTTP 403)', proc.stderr)
        self.assertEqual('creating', self.api.backup_status(backup))

    def test_verify_wait_and_list(self):
        # NOTE: the server's fake backend has none of this test's data, so
        # the job fails; --wait says so and exits 1, the backup's status
        # stays what it was.
        backup = self.api.create_backup(status='creating', service=FAKE,
                                        display_name='v')
        proc = self.cbr('backup-verify', '--deep', '--wait',
                        '--poll-interval', '0.2', '-f', 'json', 'v')
        self.assertEqual(1, proc.returncode, proc.stderr)
        job = json.loads(proc.stdout)
        self.assertEqual(('failed', 'deep'), (job['status'], job['level']))
        self.assertIn('ERROR: Verification %s of backup v failed: no such '
                      'backup on the fake backend' % job['id'], proc.stderr)
        self.assertEqual('creating', self.api.backup_status(backup))
        proc = self.cbr('backup-verifications', '-f', 'value', '-c', 'ID',
                        '-c', 'Status', backup)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual('%s failed\n' % job['id'], proc.stdout)
        proc = self.cbr('backup-verify', backup, user='alice')
        self.assertEqual(1, proc.returncode)
        self.assertIn('(HTTP 403)', proc.stderr)

    def test_unreachable_endpoint(self):
        self.endpoint = 'http://127.0.0.1:%d/v3' % server.free_port()
        proc = self.cbr('backup-list')
        self.assertEqual(1, proc.returncode)
        self.assertNotIn('Traceback', proc.stderr)
        self.assertTrue(proc.stderr.startswith('ERROR:'))
