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

"""backup-verify: the client side of the verification jobs.

NOTE: the server's ``backup-verify`` action and ``verifications``
resource are specified in PRODUCT.md ("Verification jobs"); these tests
pin the client to that contract with a fake transport.
"""

import io
import json

import fixtures

from cinder_backup_reset import client
from cinder_backup_reset.client import commands
from cinder_backup_reset.client import exceptions
from cinder_backup_reset.client import shell
from cinder_backup_reset.tests.unit.client import base
from cinder_backup_reset.tests.unit.client import test_shell

VID = 'a4e1c0de-0000-4000-8000-00000000000a'
ACTION = 'backups/%s/action' % base.BACKUP_ID
JOB_URL = 'backups/%s/verifications/%s' % (base.BACKUP_ID, VID)
MIB = 1024 * 1024


def job(status='queued', done=0, total=4 * MIB, **extra):
    """Return a verification as the server shapes it."""
    verification = {
        'id': VID, 'backup_id': base.BACKUP_ID, 'level': 'shallow',
        'status': status,
        'progress': {'bytes_done': done, 'bytes_total': total},
        'reason': None, 'evidence': {}, 'created_at': '2026-09-01T12:00:00',
        'updated_at': '2026-09-01T12:00:01'}
    verification.update(extra)
    return verification


class FakeClock(object):
    """A clock that only moves when sleep() is called."""

    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


class TestClientVerify(base.TestCase):

    def test_verify_posts_the_action(self):
        self.mock('POST', ACTION, status=202,
                  json={'verification': job(level='deep')})
        result = self.make_client().verify(base.BACKUP_ID, level='deep')
        self.assertEqual(VID, result['id'])
        self.assertEqual({'backup-verify': {'level': 'deep'}},
                         self.requests.last_request.json())

    def test_default_level_is_shallow(self):
        self.mock('POST', ACTION, status=202, json={'verification': job()})
        self.make_client().verify({'id': base.BACKUP_ID})
        self.assertEqual({'backup-verify': {'level': 'shallow'}},
                         self.requests.last_request.json())

    def test_get_and_list(self):
        self.mock('GET', JOB_URL, json={'verification': job('running')})
        self.mock('GET', 'backups/%s/verifications' % base.BACKUP_ID,
                  json={'verifications': [job('passed'), job('failed')]})
        c = self.make_client()
        self.assertEqual('running',
                         c.get_verification(base.BACKUP_ID, VID)['status'])
        self.assertEqual(['passed', 'failed'], [
            v['status'] for v in c.list_verifications(base.BACKUP_ID)])

    def test_wait_polls_until_final(self):
        self.mock('GET', JOB_URL, response_list=[
            {'json': {'verification': job('running', MIB)}},
            {'json': {'verification': job('running', 3 * MIB)}},
            {'json': {'verification': job('passed', 4 * MIB)}}])
        clock, seen = FakeClock(), []
        final = self.make_client().wait_for_verification(
            job(), interval=5, callback=seen.append, sleep=clock.sleep,
            clock=clock)
        self.assertEqual('passed', final['status'])
        self.assertEqual([5, 5, 5], clock.sleeps)
        self.assertEqual([MIB, 3 * MIB, 4 * MIB],
                         [s['progress']['bytes_done'] for s in seen])

    def test_wait_returns_a_final_job_at_once(self):
        final = self.make_client().wait_for_verification(job('failed'))
        self.assertEqual('failed', final['status'])
        self.assertEqual(0, self.requests.call_count)

    def test_wait_timeout(self):
        self.mock('GET', JOB_URL, json={'verification': job('running')})
        clock = FakeClock()
        exc = self.assertRaises(
            exceptions.VerificationTimeout,
            self.make_client().wait_for_verification, job(), interval=2,
            timeout=5, sleep=clock.sleep, clock=clock)
        self.assertEqual([2, 2, 2], clock.sleeps)
        self.assertEqual('Verification %s of backup %s is still running '
                         'after 5 seconds.' % (VID, base.BACKUP_ID),
                         str(exc))
        self.assertIsInstance(exc, exceptions.ClientException)

    def test_server_without_the_action(self):
        self.mock('POST', ACTION, status=400, json=base.fault(
            'badRequest', 400, 'There is no such action: backup-verify.'))
        exc = self.assertRaises(exceptions.BadRequest,
                                self.make_client().verify, base.BACKUP_ID)
        self.assertEqual('There is no such action: backup-verify. (HTTP '
                         '400) (Request-ID: %s)' % base.REQ_ID, str(exc))


class TTY(io.StringIO):
    """stderr that says it is a terminal."""

    def isatty(self):
        return True


class _Ticks(object):
    """A clock that advances one second each time it is read."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        self.now += 1.0
        return self.now


class TestVerifyCommand(test_shell.ShellTestCase):

    def setUp(self):
        super().setUp()
        self.mock_get()
        self.useFixture(fixtures.MonkeyPatch(
            'cinder_backup_reset.client.commands.Verify.clock',
            staticmethod(_Ticks())))

    def test_starts_a_job_and_shows_it(self):
        self.mock('POST', ACTION, status=202, json={'verification': job()})
        code, out, err = self.run_shell('backup-verify', '-f', 'json',
                                        base.BACKUP_ID)
        self.assertEqual((0, ''), (code, err))
        self.assertEqual(job(), json.loads(out))
        self.assertEqual({'backup-verify': {'level': 'shallow'}},
                         self.requests.last_request.json())

    def test_table_shows_progress_as_json(self):
        self.mock('POST', ACTION, status=202,
                  json={'verification': job(level='deep')})
        code, out, _err = self.run_shell('backup-verify', '--deep',
                                         base.BACKUP_ID)
        self.assertEqual(0, code)
        self.assertIn('| level      | deep ', out)
        self.assertIn('| progress   | {"bytes_done": 0, "bytes_total": '
                      '4194304} |', out)
        self.assertEqual({'backup-verify': {'level': 'deep'}},
                         self.requests.last_request.json())

    def _wait(self, final, *extra):
        self.mock('POST', ACTION, status=202, json={'verification': job()})
        self.mock('GET', JOB_URL, response_list=[
            {'json': {'verification': job('running', 2 * MIB)}},
            {'json': {'verification': final}}])
        return self.run_shell('backup-verify', '--wait', '--poll-interval',
                              '0', *extra)

    def test_wait_passed(self):
        code, out, err = self._wait(job('passed', 4 * MIB), '-f', 'value',
                                    '-c', 'status', base.BACKUP_ID)
        # NOTE: stderr is not a terminal: one plain line per change.
        self.assertEqual((0, 'passed\n'), (code, out))
        self.assertEqual(
            'queued   0% 0.0/4.0 MiB\n'
            'running  50% 2.0/4.0 MiB, 2.0 MiB/s, 0:00:01 left\n'
            'passed 100% 4.0/4.0 MiB, 2.0 MiB/s, 0:00:00 left\n', err)

    def test_wait_failed_exits_1(self):
        code, out, err = self._wait(
            job('failed', 4 * MIB, reason='object backup_00002 is missing'),
            '-f', 'value', '-c', 'status', base.BACKUP_ID)
        self.assertEqual((1, 'failed\n'), (code, out))
        self.assertTrue(err.endswith(
            'ERROR: Verification %s of backup %s failed: '
            'object backup_00002 is missing\n' % (VID, base.BACKUP_ID)), err)

    def test_wait_unavailable_exits_1(self):
        code, _out, err = self._wait(job('unavailable', reason='not mounted'),
                                     base.BACKUP_ID)
        self.assertEqual(1, code)
        self.assertTrue(err.endswith(
            'ERROR: Verification %s of backup %s unavailable: '
            'not mounted\n' % (VID, base.BACKUP_ID)), err)

    def test_progress_bar_on_a_terminal(self):
        self.mock('POST', ACTION, status=202, json={'verification': job()})
        self.mock('GET', JOB_URL, response_list=[
            {'json': {'verification': job('running', 2 * MIB)}},
            {'json': {'verification': job('passed', 4 * MIB)}}])
        tty, out = TTY(), io.StringIO()
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', tty))
        self.useFixture(fixtures.MonkeyPatch('sys.stdout', out))
        code = shell.main(test_shell.NOAUTH + [
            'backup-verify', '--wait', '--poll-interval', '0', '-f',
            'value', '-c', 'status', base.BACKUP_ID])
        self.assertEqual((0, 'passed\n'), (code, out.getvalue()))
        self.assertEqual(
            '\r[------------------------------]   0% 0.0/4.0 MiB queued'
            '\r[###############---------------]  50% 2.0/4.0 MiB, '
            '2.0 MiB/s, 0:00:01 left running'
            '\r[##############################] 100% 4.0/4.0 MiB, '
            '2.0 MiB/s, 0:00:00 left passed\n',
            tty.getvalue())

    def test_verifications_listed_newest_first(self):
        self.mock('GET', 'backups/%s/verifications' % base.BACKUP_ID,
                  json={'verifications': [
                      job('running', 1 * MIB, level='deep'),
                      job('passed', 4 * MIB, id='older')]})
        code, out, err = self.run_shell('backup-verifications', '-f', 'csv',
                                        '-c', 'ID', '-c', 'Status', '-c',
                                        'Progress', base.BACKUP_ID)
        self.assertEqual((0, ''), (code, err))
        self.assertEqual('"ID","Status","Progress"\n'
                         '"%s","running","25%% 1.0/4.0 MiB"\n'
                         '"older","passed","100%% 4.0/4.0 MiB"\n' % VID,
                         out.replace('\r\n', '\n'))

    def test_help(self):
        code, out, _err = self.run_shell('backup-verify', '--help')
        self.assertEqual(0, code)
        self.assertIn('usage: cinder-backup-reset backup-verify', out)
        self.assertIn("never changes the backup's status", out)
        self.assertIn('--deep', out)


class TestProgressBar(base.TestCase):

    def test_shapes(self):
        self.assertEqual('[#####-----]  50% 1.0/2.0 MiB',
                         commands.progress_bar(
                             {'bytes_done': MIB, 'bytes_total': 2 * MIB},
                             width=10))
        self.assertEqual('[----------]   0% 0.0/0.0 MiB',
                         commands.progress_bar(None, width=10))
        self.assertEqual('[##########] 100% 3.0/2.0 MiB',
                         commands.progress_bar(
                             {'bytes_done': 3 * MIB, 'bytes_total': 2 * MIB},
                             width=10))

    def test_levels(self):
        self.assertEqual(('shallow', 'deep'),
                         (client.LEVEL_SHALLOW, client.LEVEL_DEEP))
