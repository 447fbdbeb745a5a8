"""An API host without the backup storage: a warning, then 503s, no harm.

The real API server, with ``backup_posix_path`` pointing where nothing is
mounted (as on an API host that does not mount the backup storage): it
warns at start-up, and a reset that needs verification answers 503
``serviceUnavailable`` naming the cause and changes nothing, whatever the
backup's status; a reset to ``error`` still works.
"""

import os

import requests
import testtools

from cinder_backup_reset.tests.functional.fixtures import server

POSIX = 'cinder.backup.drivers.posix.PosixBackupDriver'


class TestUnavailableBackend(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.missing = '/nonexistent/cinder-backups-%d' % os.getpid()
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_posix_path': self.missing}}))

    def test_warning_at_start_up(self):
        self.assertIn('Backups cannot be verified from this host: cannot '
                      'read the backup root %s' % self.missing,
                      self.api.log())

    def test_reset_to_available_is_503_and_changes_nothing(self):
        for status in ('creating', 'error', 'available'):
            backup_id = self.api.create_backup(
                status=status, service=POSIX, fail_reason='kept',
                service_metadata='volume_v_20260101000000_backup_b',
                container='aa/bb/cc')
            resp = requests.post(
                self.api.url('backups/%s/action' % backup_id, 'p1'),
                json={'backup-reset_status': {'status': 'available'}},
                headers=self.api.headers(), timeout=30)
            self.assertEqual(503, resp.status_code, resp.text)
            fault = resp.json()['serviceUnavailable']
            self.assertEqual(503, fault['code'])
            self.assertIn('the backup root %s does not exist'
                          % self.missing, fault['message'])
            self.assertEqual(status, self.api.backup_status(backup_id))
            history = requests.get(
                self.api.url('backups/%s/status-history' % backup_id, 'p1'),
                headers=self.api.headers(), timeout=30).json()
            self.assertEqual([], history['status_history'])

        resp = requests.post(
            self.api.url('backups/%s/action' % backup_id, 'p1'),
            json={'backup-reset_status': {'status': 'error'}},
            headers=self.api.headers(), timeout=30)
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual('error', self.api.backup_status(backup_id))
