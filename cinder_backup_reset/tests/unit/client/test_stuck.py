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

"""backup-list --stuck and backup-reset-state --all-stuck."""

import datetime
import json

from cinder_backup_reset.client import commands
from cinder_backup_reset.tests.unit.client import base
from cinder_backup_reset.tests.unit.client import test_shell


def _stuck_backup(reason='service_down', up=False):
    since = (datetime.datetime.now(datetime.timezone.utc) -
             datetime.timedelta(hours=2, minutes=5)).replace(tzinfo=None)
    return base.fake_backup(stuck={
        'reason': reason, 'since': since.isoformat(),
        'host': 'backup-1', 'service_up': up})


class TestAge(base.TestCase):

    def test_age_text(self):
        now = datetime.datetime(2026, 11, 30, 12, 0, 0)
        self.assertEqual('42s', commands.age_text('2026-11-30T11:59:18',
                                                  now))
        self.assertEqual('1h05m', commands.age_text('2026-11-30T10:55:00',
                                                    now))
        self.assertEqual('2d03h', commands.age_text('2026-11-28T09:00:00',
                                                    now))
        self.assertEqual('', commands.age_text(None, now))
        self.assertEqual('', commands.age_text('yesterday', now))


class TestListStuck(test_shell.ShellTestCase):

    def test_stuck_columns(self):
        mock = self.mock_names(_stuck_backup())
        code, out, err = self.run_shell('backup-list', '--stuck', '-f',
                                        'json')
        self.assertEqual(0, code, err)
        self.assertEqual(['true'], mock.last_request.qs['stuck'])
        row = json.loads(out)[0]
        self.assertEqual(('service_down', 'backup-1', 'no', '2h05m'),
                         (row['stuck_reason'], row['stuck_host'],
                          row['service_up'], row['stuck_age']))
        self.assertEqual('creating', row['status'])

    def test_without_stuck_no_query(self):
        mock = self.mock_names(base.fake_backup())
        code, _out, err = self.run_shell('backup-list', '-f', 'json')
        self.assertEqual(0, code, err)
        self.assertNotIn('stuck', mock.last_request.qs)


class TestResetAllStuck(test_shell.ShellTestCase):

    def _answer(self):
        return {'matched': 2, 'backup_resets': [
            {'backup_id': base.BACKUP_ID, 'outcome': base.fake_reset(
                to_status='error', verified='skipped', volumes=[
                    {'resource': 'volume', 'role': 'source', 'id': 'v1',
                     'from_status': 'backing-up', 'to_status': 'in-use',
                     'applied': True, 'reason': None}])},
            {'backup_id': base.BACKUP_ID2,
             'error': {'code': 409, 'message': 'status changed'}}]}

    def test_bulk_request_and_summary(self):
        mock = self.mock('POST', 'backups/action', json=self._answer())
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'error', '--all-stuck',
            '--host', 'backup-1', '--max', '50', '--reason', 'outage')
        self.assertEqual(1, code, err)
        self.assertEqual(
            {'backup-reset_status': {
                'status': 'error', 'reason': 'outage', 'max': 50,
                'filter': {'stuck': True, 'host': 'backup-1'}}},
            mock.last_request.json())
        self.assertIn('2 matched, 1 reset, 1 failed.', err)
        self.assertIn('v1 backing-up->in-use', out)
        self.assertIn('error 409: status changed', out)
        self.assertIn('| ID ', out)

    def test_dry_run_all_projects_no_reconcile_json(self):
        answer = {'matched': 1, 'backup_resets': [
            {'backup_id': base.BACKUP_ID, 'outcome': base.fake_reset(
                to_status='error', applied=False, dry_run=True,
                verified='skipped')}]}
        mock = self.mock('POST', 'backups/action', json=answer)
        code, out, err = self.run_shell(
            'backup-reset-state', '--state', 'error', '--all-stuck',
            '--dry-run', '--all-projects', '--no-reconcile', '-f', 'json')
        self.assertEqual(0, code, err)
        body = mock.last_request.json()['backup-reset_status']
        self.assertEqual((True, False, {'stuck': True, 'all_tenants': True}),
                         (body['dry_run'], body['reconcile'],
                          body['filter']))
        self.assertEqual('dry-run', json.loads(out)[0]['result'])
        self.assertIn('would be reset (dry run)', err)

    def test_backups_and_all_stuck_refused(self):
        code, _out, err = self.run_shell(
            'backup-reset-state', '--state', 'error', '--all-stuck',
            base.BACKUP_ID)
        self.assertEqual(1, code)
        self.assertIn('either BACKUP names or --all-stuck', err)

    def test_nothing_named_refused(self):
        code, _out, err = self.run_shell('backup-reset-state', '--state',
                                         'error')
        self.assertEqual(1, code)
        self.assertIn('--all-stuck', err)
