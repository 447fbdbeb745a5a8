"""The openstackclient plugin and the cliff output, against a real server.

``openstack volume backup reset-state`` / ``status history`` come from
this package's ``openstack.cli.extension`` entry point; they run in the
real ``openstack`` command of the test environment, as subprocesses,
against a server on loopback, and the stored status is checked.
"""

import json
import os

import yaml

from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional import test_real_clients

ClientTestCase = test_real_clients.ClientTestCase
FAKE = test_real_clients.FAKE


class TestOpenStackPlugin(ClientTestCase):

    def openstack(self, *args, token='admin:p1'):
        # NOTE: with auth_strategy=noauth the token "user:project" is the
        # identity; keystoneauth's admin_token plugin sends it as is.
        return self.run_cmd(
            'openstack', '--os-auth-type', 'admin_token', '--os-token',
            token, '--os-endpoint', self.endpoint, *args)

    def test_reset_state_and_history(self):
        backup = self.api.create_backup(status='creating',
                                        display_name='weekly')
        proc = self.openstack('volume', 'backup', 'reset-state', '--state',
                              'error', '--reason', 'db outage', 'weekly')
        self.assertEqual((0, ''), (proc.returncode, proc.stderr))
        self.assertEqual('weekly (%s): creating -> error: reset, '
                         'verification skipped\n' % backup, proc.stdout)
        self.assertEqual('error', self.api.backup_status(backup))
        proc = self.openstack('volume', 'backup', 'status', 'history',
                              '-f', 'json', backup)
        self.assertEqual(0, proc.returncode)
        history = json.loads(proc.stdout)
        self.assertEqual([('creating', 'error', 'db outage', 'admin')],
                         [(h['from_status'], h['to_status'], h['reason'],
                           h['user_id']) for h in history])

    def test_partial_failure_json_exits_1(self):
        good = self.api.create_backup(status='restoring')
        bad = self.api.create_backup(status='creating', service=None)
        proc = self.openstack('volume', 'backup', 'reset-state', '--state',
                              'available', '-f', 'json', good, bad)
        self.assertEqual(1, proc.returncode)
        results = json.loads(proc.stdout)
        self.assertEqual([(good, 'reset'), (bad, 'error')],
                         [(r['backup'], r['result']) for r in results])
        self.assertEqual(400, results[1]['error']['code'])
        self.assertIn('no backup service recorded',
                      results[1]['error']['message'])
        self.assertEqual(1, len(proc.stderr.splitlines()))
        self.assertTrue(proc.stderr.startswith('ERROR: %s: ' % bad))
        self.assertIn('(HTTP 400) (Request-ID: req-', proc.stderr)
        self.assertEqual('available', self.api.backup_status(good))
        self.assertEqual('creating', self.api.backup_status(bad))

    def test_non_admin_refused(self):
        backup = self.api.create_backup(status='creating')
        proc = self.openstack('volume', 'backup', 'reset-state', '--state',
                              'error', backup, token='alice:p1')
        self.assertEqual((1, ''), (proc.returncode, proc.stdout))
        self.assertRegex(proc.stderr, r'^ERROR: %s: .* \(HTTP 403\) '
                         r'\(Request-ID: req-[0-9a-f-]+\)\n$' % backup)
        self.assertEqual('creating', self.api.backup_status(backup))

    def test_usage_error(self):
        proc = self.openstack('volume', 'backup', 'reset-state', 'x')
        self.assertEqual(2, proc.returncode)
        self.assertIn('--state', proc.stderr)

    def test_this_projects_noauth_plugin(self):
        backup = self.api.create_backup(status='creating',
                                        display_name='nightly')
        proc = self.run_cmd(
            'openstack', '--os-auth-type', 'backup_reset_noauth',
            '--os-user-id', 'admin', '--os-project-id', 'p1',
            '--os-endpoint', self.endpoint, 'volume', 'backup',
            'reset-state', '--state', 'error', '-f', 'value', '-c', 'ID',
            '-c', 'Result', 'nightly')
        self.assertEqual((0, ''), (proc.returncode, proc.stderr))
        self.assertEqual('%s reset\n' % backup, proc.stdout)

    def test_clouds_yaml_endpoint_override(self):
        # NOTE: the auth plugin's endpoint is a closed port; only the
        # cloud's block_storage_endpoint_override reaches the server.
        backup = self.api.create_backup(status='creating')
        config_dir = os.path.join(self.env['HOME'], '.config', 'openstack')
        os.makedirs(config_dir)
        with open(os.path.join(config_dir, 'clouds.yaml'), 'w') as f:
            yaml.safe_dump({'clouds': {'cbr': {
                'auth_type': 'admin_token',
                'auth': {'token': 'admin:p1',
                         'endpoint': 'http://127.0.0.1:%d/v3'
                                     % server.free_port()},
                'block_storage_endpoint_override': self.endpoint}}}, f)
        proc = self.run_cmd('openstack', '--os-cloud', 'cbr', 'volume',
                            'backup', 'reset-state', '--state', 'error',
                            '-f', 'value', '-c', 'Result', backup)
        self.assertEqual((0, 'reset\n', ''),
                         (proc.returncode, proc.stdout, proc.stderr))
        self.assertEqual('error', self.api.backup_status(backup))


class TestStandaloneFormats(ClientTestCase):
    """-f and -c of cinder-backup-reset, now from cliff."""

    def cbr(self, *args):
        return self.run_cmd(
            'cinder-backup-reset', '--os-auth-type', 'noauth',
            '--os-user-id', 'admin', '--os-project-id', 'p1',
            '--os-endpoint', self.endpoint, *args)

    def test_list_yaml_and_columns(self):
        backup = self.api.create_backup(status='creating', display_name='y1')
        proc = self.cbr('backup-list', '-f', 'yaml', '-c', 'ID', '-c',
                        'status')
        self.assertEqual((0, ''), (proc.returncode, proc.stderr))
        self.assertEqual([{'id': backup, 'status': 'creating'}],
                         yaml.safe_load(proc.stdout))
        proc = self.cbr('backup-list', '-f', 'value', '-c', 'Name', '-c',
                        'Status')
        self.assertEqual('y1 creating\n', proc.stdout)

    def test_reset_table_and_show_column(self):
        backup = self.api.create_backup(status='creating', display_name='t1')
        proc = self.cbr('backup-reset-state', '--state', 'error', '-f',
                        'table', 't1')
        self.assertEqual((0, ''), (proc.returncode, proc.stderr))
        lines = proc.stdout.splitlines()
        self.assertEqual(5, len(lines))
        self.assertEqual(['Backup', 'ID', 'From', 'To', 'Status', 'Result',
                          'Verified'],
                         [c.strip() for c in lines[1].split('|')[1:-1]])
        self.assertEqual(['t1', backup, 'creating', 'error', 'error',
                          'reset', 'skipped'],
                         [c.strip() for c in lines[3].split('|')[1:-1]])
        proc = self.cbr('backup-show', '-f', 'value', '-c', 'status', 't1')
        self.assertEqual('error\n', proc.stdout)
