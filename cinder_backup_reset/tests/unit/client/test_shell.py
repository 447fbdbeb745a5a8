#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Tests of the cinder-backup-reset command against a fake transport."""

import io
import json
import subprocess
import sys

import fixtures
from keystoneauth1 import fixture as ks_fixture
import requests
import yaml

from cinder_backup_reset.client import shell
from cinder_backup_reset.tests.unit.client import base

NOAUTH = ['--os-auth-type', 'noauth', '--os-user-id', 'admin',
          '--os-project-id', 'adminp', '--os-endpoint', base.ENDPOINT]
ACTION = 'backups/%s/action' % base.BACKUP_ID
ACTION2 = 'backups/%s/action' % base.BACKUP_ID2
ERR_SUFFIX = '(Request-ID: %s)' % base.REQ_ID


class ShellTestCase(base.TestCase):

    def run_shell(self, *argv, auth=NOAUTH):
        """Run main(); return (exit code, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', err))
        code = shell.main(list(auth) + list(argv))
        return code, out.getvalue(), err.getvalue()

    def mock_get(self, backup=None):
        backup = backup or base.fake_backup()
        return self.mock('GET', 'backups/%s' % backup['id'],
                         json={'backup': backup})

    def mock_names(self, *backups):
        return self.mock('GET', 'backups/detail',
                         json={'backups': list(backups)})


class TestResetState(ShellTestCase):

    def test_success_by_id(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202,
                  json={'backup_reset': base.fake_reset()})
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'available', '--reason', 'db',
            base.BACKUP_ID)
        self.assertEqual((0, ''), (code, err))
        self.assertEqual('%s: creating -> available: reset, verification '
                         'passed (shallow)\n' % base.BACKUP_ID, out)
        self.assertEqual({'backup-reset_status': {
            'status': 'available', 'reason': 'db'}},
            self.requests.last_request.json())
        headers = self.requests.last_request.headers
        self.assertEqual('admin:adminp', headers['X-Auth-Token'])
        self.assertEqual('adminp', headers['x-project-id'])

    def test_by_name_several_with_partial_failure(self):
        self.mock_names(base.fake_backup(name='nightly'))
        self.mock('GET', 'backups/detail?name=weekly', json={'backups': [
            base.fake_backup(base.BACKUP_ID2, name='weekly')]})
        self.mock('POST', ACTION, status=202, json={
            'backup_reset': base.fake_reset(
                from_status='restoring', verified='skipped',
                verification=None)})
        self.mock('POST', ACTION2, status=409, json=base.fault(
            'conflictingRequest', 409,
            'Backup status changed from creating to available.'))
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'available', 'nightly',
            'weekly')
        self.assertEqual(1, code)
        self.assertEqual('nightly (%s): restoring -> available: reset, '
                         'verification skipped\n' % base.BACKUP_ID, out)
        self.assertEqual('ERROR: weekly: Backup status changed from '
                         'creating to available. (HTTP 409) %s\n'
                         % ERR_SUFFIX, err)

    def test_verification_failed(self):
        self.mock_get()
        self.mock('POST', ACTION, status=400, json=base.fault(
            'badRequest', 400, 'Backup verification failed: object '
            'backup_00001 is missing.'))
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'available', base.BACKUP_ID)
        self.assertEqual((1, ''), (code, out))
        self.assertEqual('ERROR: %s: Backup verification failed: object '
                         'backup_00001 is missing. (HTTP 400) %s\n'
                         % (base.BACKUP_ID, ERR_SUFFIX), err)

    def test_not_found_and_ambiguous(self):
        self.mock('GET', 'backups/detail?name=ghost', json={'backups': []})
        self.mock('GET', 'backups/detail?name=dup', json={'backups': [
            base.fake_backup('a', name='dup'),
            base.fake_backup('b', name='dup')]})
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'error', 'ghost', 'dup')
        self.assertEqual((1, ''), (code, out))
        self.assertEqual(
            "ERROR: ghost: No backup with a name or ID of 'ghost' exists.\n"
            "ERROR: dup: Multiple backups are named 'dup' (a, b); use an "
            "ID.\n", err)
        self.assertEqual(0, len([r for r in self.requests.request_history
                                 if r.method == 'POST']))

    def test_dry_run_and_expected_status(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202, json={
            'backup_reset': base.fake_reset(applied=False, dry_run=True,
                                            status='creating')})
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'available', '--dry-run',
            '--expected-status', 'creating', base.BACKUP_ID)
        self.assertEqual((0, ''), (code, err))
        self.assertIn('creating -> available: dry run, nothing changed, '
                      'verification passed (shallow)', out)
        self.assertEqual({'backup-reset_status': {
            'status': 'available', 'expected_status': 'creating',
            'dry_run': True}}, self.requests.last_request.json())

    def test_dry_run_verification_would_fail(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202, json={
            'backup_reset': base.fake_reset(applied=False, dry_run=True,
                                            verified='failed')})
        code, out, _err = self.run_shell(
            'backup-reset-state', '--state', 'available', '--dry-run',
            base.BACKUP_ID)
        self.assertEqual(1, code)
        self.assertIn('dry run, would be refused: verification failed', out)

    def test_not_applied(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202, json={
            'backup_reset': base.fake_reset(applied=False, status='error',
                                            to_status='error')})
        code, out, _err = self.run_shell(
            'backup-reset-state', '--state', 'error', base.BACKUP_ID)
        self.assertEqual(0, code)
        self.assertIn('not applied, status is error', out)

    def test_empty_202_body(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202)
        code, out, _err = self.run_shell(
            'backup-reset-state', '--state', 'error', base.BACKUP_ID)
        self.assertEqual(0, code)
        self.assertEqual('%s: accepted, the server reported no outcome\n'
                         % base.BACKUP_ID, out)

    def test_json_output(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202,
                  json={'backup_reset': base.fake_reset()})
        self.mock('GET', 'backups/detail', json={'backups': []})
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'available', '-f', 'json',
            base.BACKUP_ID, 'ghost')
        self.assertEqual(1, code)
        results = json.loads(out)
        self.assertEqual(['reset', 'error'], [r['result'] for r in results])
        self.assertEqual(base.BACKUP_ID, results[0]['backup_id'])
        self.assertIsNone(results[0]['error'])
        self.assertEqual({'message': "No backup with a name or ID of "
                          "'ghost' exists.", 'code': None,
                          'request_id': None}, results[1]['error'])
        self.assertIn('ERROR: ghost:', err)

    def test_value_output(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202,
                  json={'backup_reset': base.fake_reset()})
        code, out, _err = self.run_shell(
            'backup-reset-state', '--state', 'available', '-f', 'value',
            base.BACKUP_ID)
        self.assertEqual(0, code)
        self.assertEqual('%s %s creating available available reset passed\n'
                         % (base.BACKUP_ID, base.BACKUP_ID), out)

    def test_table_output(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202,
                  json={'backup_reset': base.fake_reset()})
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'available', '-f', 'table',
            base.BACKUP_ID)
        self.assertEqual((0, ''), (code, err))
        lines = out.splitlines()
        self.assertEqual(5, len(lines))
        self.assertEqual(['Backup', 'ID', 'From', 'To', 'Status', 'Result',
                          'Verified'],
                         [c.strip() for c in lines[1].split('|')[1:-1]])
        self.assertEqual([base.BACKUP_ID, base.BACKUP_ID, 'creating',
                          'available', 'available', 'reset', 'passed'],
                         [c.strip() for c in lines[3].split('|')[1:-1]])

    def test_yaml_output_and_columns(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202,
                  json={'backup_reset': base.fake_reset()})
        code, out, _err = self.run_shell(
            'backup-reset-state', '--state', 'available', '-f', 'yaml',
            '-c', 'ID', '-c', 'result', '-c', 'From', base.BACKUP_ID)
        self.assertEqual(0, code)
        self.assertEqual([{'backup_id': base.BACKUP_ID,
                           'from_status': 'creating', 'result': 'reset'}],
                         yaml.safe_load(out))

    def test_value_columns_and_error_rows(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202,
                  json={'backup_reset': base.fake_reset()})
        self.mock('GET', 'backups/detail', json={'backups': []})
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'available', '-f', 'value',
            '-c', 'Backup', '-c', 'Result', base.BACKUP_ID, 'ghost')
        self.assertEqual(1, code)
        self.assertEqual('%s reset\nghost error\n' % base.BACKUP_ID, out)
        self.assertEqual("ERROR: ghost: No backup with a name or ID of "
                         "'ghost' exists.\n", err)

    def test_unknown_column(self):
        self.mock_get()
        self.mock('POST', ACTION, status=202,
                  json={'backup_reset': base.fake_reset()})
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'available', '-f', 'value',
            '-c', 'nope', base.BACKUP_ID)
        self.assertEqual((1, ''), (code, out))
        self.assertEqual('ERROR: No column named nope; the columns are: '
                         'Backup, backup, ID, backup_id, From, from_status, '
                         'To, to_status, Status, status, Result, result, '
                         'Verified, verified, applied, dry_run, '
                         'verification, reason, history, error.\n', err)
        self.assertEqual(0, self.requests.call_count)

    def test_state_is_required(self):
        code, _out, err = self.run_shell('backup-reset-state', 'b')
        self.assertEqual(2, code)
        self.assertIn('the following arguments are required: --state', err)
        self.assertEqual(0, self.requests.call_count)

    def test_state_choices(self):
        code, _out, err = self.run_shell(
            'backup-reset-state', '--state', 'restoring', 'b')
        self.assertEqual(2, code)
        self.assertIn("invalid choice: 'restoring'", err)

    def test_unreachable_stops_after_first(self):
        self.requests.get('%s/backups/%s' % (base.ENDPOINT, base.BACKUP_ID),
                          exc=requests.exceptions.ConnectionError(
                              '[Errno 111] Connection refused'))
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'error', base.BACKUP_ID,
            base.BACKUP_ID)
        self.assertEqual((1, ''), (code, out))
        self.assertEqual(1, len(err.splitlines()))
        self.assertIn('Unable to establish connection', err)


class TestList(ShellTestCase):

    def test_table_filters_pagination(self):
        pages = [{'json': {'backups': [base.fake_backup('a', name='n1')],
                           'backups_links': [{'rel': 'next',
                                              'href': 'x?marker=a'}]}},
                 {'json': {'backups': [base.fake_backup(
                     'b', name='n2', status='restoring')]}}]
        self.mock('GET', 'backups/detail', response_list=pages)
        code, out, err = self.run_shell(
            'backup-list', '--all-projects', '--status', 'creating',
            '--name', 'n')
        self.assertEqual((0, ''), (code, err))
        lines = out.splitlines()
        self.assertEqual('| ID | Name | Status    | Size | Volume ID'
                         '                            | Updated At'
                         '          |', lines[1])
        self.assertEqual(6, len(lines))
        self.assertIn('| b  | n2   | restoring |', lines[4])
        qs = self.requests.request_history[0].qs
        self.assertEqual({'all_tenants': ['1'], 'status': ['creating'],
                          'name': ['n']}, qs)
        self.assertEqual(['a'], self.requests.request_history[1].qs['marker'])

    def test_table_columns_and_yaml(self):
        self.mock_names(base.fake_backup(fail_reason='boom'))
        code, out, _err = self.run_shell('backup-list', '-c', 'ID', '-c',
                                         'fail_reason', '--long')
        self.assertEqual(0, code)
        self.assertEqual('| ID' + ' ' * 35 + '| Fail Reason |',
                         out.splitlines()[1])
        code, out, _err = self.run_shell('backup-list', '-f', 'yaml')
        self.assertEqual([base.fake_backup(fail_reason='boom')],
                         yaml.safe_load(out))

    def test_sort_column(self):
        self.mock_names(base.fake_backup('b', name='zz', size=2),
                        base.fake_backup('a', name='aa', size=None),
                        base.fake_backup('c', name='mm', size=10))
        code, out, err = self.run_shell('backup-list', '--sort-column',
                                        'Name', '-f', 'value', '-c', 'ID')
        self.assertEqual((0, 'a\nc\nb\n', ''), (code, out, err))
        code, out, err = self.run_shell('backup-list', '--sort-column',
                                        'size', '-f', 'value', '-c', 'ID')
        self.assertEqual((0, 'b\nc\na\n', ''), (code, out, err))
        code, out, err = self.run_shell(
            'backup-list', '--sort-column', 'size', '--sort-descending',
            '-f', 'value', '-c', 'ID')
        self.assertEqual((0, 'a\nc\nb\n', ''), (code, out, err))

    def test_json_and_value_and_long(self):
        self.mock_names(base.fake_backup(fail_reason='boom'))
        code, out, _err = self.run_shell('backup-list', '-f', 'json')
        self.assertEqual(0, code)
        self.assertEqual('nightly', json.loads(out)[0]['name'])
        code, out, _err = self.run_shell('backup-list', '-f', 'value')
        self.assertEqual('%s nightly creating 1 c5a6a6f4-0000-4000-8000-'
                         '000000000001 2026-09-01T10:05:00\n'
                         % base.BACKUP_ID, out)
        code, out, _err = self.run_shell('backup-list', '--long')
        self.assertIn('Fail Reason', out)
        self.assertIn('boom', out)

    def test_forbidden(self):
        self.mock('GET', 'backups/detail', status=403, json=base.fault(
            'forbidden', 403, "Policy doesn't allow backup:get_all to be "
            "performed."))
        code, out, err = self.run_shell('backup-list', '--all-projects')
        self.assertEqual((1, ''), (code, out))
        self.assertEqual("ERROR: Policy doesn't allow backup:get_all to be "
                         "performed. (HTTP 403) %s\n" % ERR_SUFFIX, err)


class TestShow(ShellTestCase):

    def test_table_hides_links(self):
        self.mock_get(base.fake_backup(metadata={'k': 'v'}))
        code, out, _err = self.run_shell('backup-show', base.BACKUP_ID)
        self.assertEqual(0, code)
        self.assertIn('| status                | creating', out)
        self.assertIn('| metadata              | {"k": "v"}', out)
        self.assertNotIn('links', out)

    def test_json(self):
        self.mock_get()
        code, out, _err = self.run_shell('backup-show', '-f', 'json',
                                         base.BACKUP_ID)
        self.assertEqual(0, code)
        self.assertEqual(base.fake_backup(), json.loads(out))

    def test_not_found(self):
        self.mock('GET', 'backups/%s' % base.BACKUP_ID, status=404,
                  json=base.fault('itemNotFound', 404, 'gone'))
        self.mock_names()
        code, _out, err = self.run_shell('backup-show', base.BACKUP_ID)
        self.assertEqual(1, code)
        self.assertEqual("ERROR: No backup with a name or ID of '%s' "
                         "exists.\n" % base.BACKUP_ID, err)


class TestStatusHistory(ShellTestCase):

    ENTRY = {'id': 1, 'backup_id': base.BACKUP_ID, 'user_id': 'admin',
             'project_id': 'adminp', 'request_id': 'req-1',
             'from_status': 'creating', 'to_status': 'available',
             'reason': 'db outage', 'verified': 'passed',
             'evidence': {'objects': 2}, 'created_at': '2026-09-01T11:00'}

    def test_table_and_json(self):
        self.mock_get()
        self.mock('GET', 'backups/%s/status-history' % base.BACKUP_ID,
                  json={'status_history': [self.ENTRY]})
        code, out, _err = self.run_shell('backup-status-history',
                                         base.BACKUP_ID)
        self.assertEqual(0, code)
        self.assertIn('| 2026-09-01T11:00 | creating | available | passed '
                      '  | db outage | admin   | req-1      |', out)
        code, out, _err = self.run_shell('backup-status-history', '-f',
                                         'json', base.BACKUP_ID)
        self.assertEqual([self.ENTRY], json.loads(out))

    def test_unauthorized(self):
        self.mock('GET', 'backups/%s' % base.BACKUP_ID, status=401,
                  json=base.fault('unauthorized', 401,
                                  'The request you have made requires '
                                  'authentication.'))
        code, _out, err = self.run_shell('backup-status-history',
                                         base.BACKUP_ID)
        self.assertEqual(1, code)
        self.assertEqual('ERROR: The request you have made requires '
                         'authentication. (HTTP 401) %s\n' % ERR_SUFFIX, err)


class TestGlobal(ShellTestCase):

    def test_help_on_every_command(self):
        for cmd in ('backup-reset-state', 'backup-list', 'backup-show',
                    'backup-status-history', 'backup-verify'):
            code, out, _err = self.run_shell(cmd, '--help')
            self.assertEqual(0, code, cmd)
            self.assertIn('usage: cinder-backup-reset %s' % cmd, out)
            if cmd not in ('backup-reset-state', 'backup-verify'):
                self.assertIn('only reads', out)
        code, out, _err = self.run_shell('backup-reset-state', '--help')
        self.assertIn('only after the\n    backup driver verifies', out)
        self.assertIn('available from restoring: direct', out)
        code, out, _err = self.run_shell('--help', auth=())
        self.assertIn('--os-auth-url', out)
        self.assertIn('backup-status-history', out)

    def test_no_command(self):
        code, _out, err = self.run_shell()
        self.assertEqual(2, code)
        self.assertIn('required', err)

    def test_error_has_no_traceback_unless_debug(self):
        self.mock('GET', 'backups/detail', status=503, json=base.fault(
            'serviceUnavailable', 503, 'Down for maintenance.'))
        code, _out, err = self.run_shell('backup-list')
        self.assertEqual(1, code)
        self.assertEqual('ERROR: Down for maintenance. (HTTP 503) %s\n'
                         % ERR_SUFFIX, err)
        code, _out, err = self.run_shell('--debug', 'backup-list')
        self.assertEqual(1, code)
        self.assertIn('Traceback', err)
        self.assertTrue(err.endswith('ERROR: Down for maintenance. '
                                     '(HTTP 503) %s\n' % ERR_SUFFIX))

    def test_unexpected_error(self):
        self.useFixture(fixtures.MonkeyPatch(
            'cinder_backup_reset.client.Client.list',
            lambda *a, **k: 1 / 0))
        code, _out, err = self.run_shell('backup-list')
        self.assertEqual(1, code)
        self.assertEqual('ERROR: unexpected ZeroDivisionError: division by '
                         'zero\n', err)

    def test_unreachable(self):
        self.requests.get('%s/backups/detail' % base.ENDPOINT,
                          exc=requests.exceptions.ConnectTimeout('slow'))
        code, _out, err = self.run_shell('backup-list')
        self.assertEqual(1, code)
        self.assertTrue(err.startswith('ERROR: '), err)
        self.assertEqual(1, len(err.splitlines()))

    def test_missing_auth_options(self):
        code, _out, err = self.run_shell(
            'backup-list', auth=['--os-auth-type', 'noauth'])
        self.assertEqual(1, code)
        self.assertEqual('ERROR: Missing authentication option(s): '
                         '--os-user-id (or OS_USER_ID), --os-endpoint (or '
                         'OS_ENDPOINT)\n', err)
        code, _out, err = self.run_shell('backup-list', auth=())
        self.assertEqual('ERROR: Missing authentication option(s): '
                         '--os-auth-url (or OS_AUTH_URL)\n', err)

    def test_unknown_auth_type(self):
        code, _out, err = self.run_shell(
            'backup-list', auth=['--os-auth-type', 'bogus'])
        self.assertEqual(1, code)
        self.assertEqual('ERROR: The plugin bogus could not be found\n', err)

    def test_noauth_from_environment(self):
        for key, value in [('OS_AUTH_TYPE', 'noauth'),
                           ('OS_USER_ID', 'envuser'),
                           ('OS_ENDPOINT', base.ENDPOINT)]:
            self.useFixture(fixtures.EnvironmentVariable(key, value))
        self.mock_names()
        code, _out, _err = self.run_shell('backup-list', auth=())
        self.assertEqual(0, code)
        headers = self.requests.last_request.headers
        self.assertEqual('envuser:envuser', headers['X-Auth-Token'])
        self.assertEqual('envuser', headers['x-user-id'])

    def test_entry_point_name_resolved_by_shell(self):
        self.mock_names()
        code, _out, err = self.run_shell(
            'backup-list', auth=['--os-auth-type', 'backup_reset_noauth',
                                 '--os-user-id', 'u', '--os-endpoint',
                                 base.ENDPOINT])
        self.assertEqual((0, ''), (code, err))
        self.assertEqual('u:u',
                         self.requests.last_request.headers['X-Auth-Token'])

    def test_keystone_password_and_catalog(self):
        auth_url = 'http://keystone.example.com/v3'
        token = ks_fixture.V3Token()
        token.set_project_scope()
        token.add_service('block-storage').add_standard_endpoints(
            public='http://pub/v3/p', internal='http://int/v3/p',
            region='R1')
        self.requests.post(auth_url + '/auth/tokens', json=token,
                           headers={'X-Subject-Token': 'tok'})
        self.requests.get('http://int/v3/p/backups/detail',
                          json={'backups': []})
        code, _out, err = self.run_shell(
            'backup-list', auth=['--os-auth-type', 'v3password',
                                 '--os-auth-url', auth_url,
                                 '--os-username', 'u',
                                 '--os-password', 'p',
                                 '--os-project-id', 'p',
                                 '--os-user-domain-id', 'default',
                                 '--os-interface', 'internal',
                                 '--os-region-name', 'R1'])
        self.assertEqual((0, ''), (code, err))
        self.assertEqual('tok',
                         self.requests.last_request.headers['X-Auth-Token'])

    def test_keystone_endpoint_override(self):
        self.requests.post('http://ks/v3/auth/tokens',
                           json=ks_fixture.V3Token(),
                           headers={'X-Subject-Token': 'tok'})
        self.requests.get('http://direct/v3/backups/detail',
                          json={'backups': []})
        code, _out, err = self.run_shell(
            'backup-list', auth=['--os-auth-type', 'v3token',
                                 '--os-auth-url', 'http://ks/v3',
                                 '--os-token', 'tok0',
                                 '--os-endpoint', 'http://direct/v3'])
        self.assertEqual((0, ''), (code, err))


class TestSubprocess(base.TestCase):
    """main() as a real process: exit codes reach the OS."""

    def test_exit_codes(self):
        cmd = [sys.executable, '-m', 'cinder_backup_reset.client.shell',
               '--os-auth-type', 'noauth', '--os-user-id', 'a',
               '--os-endpoint', 'http://127.0.0.1:9/v3', '--timeout', '5']
        proc = subprocess.run(cmd + ['backup-list'], capture_output=True,
                              text=True, timeout=60)
        self.assertEqual(1, proc.returncode)
        self.assertTrue(proc.stderr.startswith(
            'ERROR: Unable to establish connection to '
            'http://127.0.0.1:9/v3/backups/detail'), proc.stderr)
        self.assertNotIn('Traceback', proc.stderr)
        proc = subprocess.run(cmd + ['backup-reset-state', 'x'],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(2, proc.returncode)
