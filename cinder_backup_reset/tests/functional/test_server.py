"""cinder-backup-reset-api as operators run it: workers, SIGTERM, errors."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import requests
import testtools

from cinder_backup_reset.tests import fixtures as test_fixtures
from cinder_backup_reset.tests.functional.fixtures import server


class TestAPIServer(testtools.TestCase):

    def test_workers_answer_and_sigterm_is_clean(self):
        api = self.useFixture(server.APIServer(
            workers=2, config={'DEFAULT': {'backup_driver': 'fake'}}))
        pids = set()
        session = requests.Session()
        for _ in range(40):
            resp = session.get(api.url('backups', 'p1'),
                               headers=api.headers())
            self.assertEqual(200, resp.status_code)
        # NOTE: gunicorn forks the workers; the master must have children.
        children = subprocess.run(
            ['pgrep', '-P', str(api.process.pid)], capture_output=True,
            text=True).stdout.split()
        pids.update(children)
        self.assertEqual(2, len(pids))

        # A request in flight when SIGTERM arrives still gets its answer.
        backup = api.create_backup(status='creating')
        results = []

        def slow_client():
            results.append(requests.post(
                api.url('backups/%s/action' % backup, 'p1'),
                headers=api.headers(),
                json={'os-reset_status': {'status': 'error'}}, timeout=30))

        thread = threading.Thread(target=slow_client)
        thread.start()
        time.sleep(0.05)
        started = time.monotonic()
        os.killpg(api.process.pid, signal.SIGTERM)
        self.assertEqual(0, api.process.wait(30))
        self.assertLess(time.monotonic() - started, 10)
        thread.join(30)
        if results:
            self.assertEqual(202, results[0].status_code)
        self.assertIn('Shutting down', api.log())

    def start_failing(self, default, **sections):
        """Start the API with this configuration; expect exit code 1.

        Returns its output (stdout and stderr), checked for tracebacks.
        A refused start must leave nothing behind: state_path (where the
        embedded SQLite database would be created) must not exist after.
        """
        tmp = self.useFixture(__import__('fixtures').TempDir()).path
        conf = os.path.join(tmp, 'api.conf')
        state = os.path.join(tmp, 'state')
        default = dict({'auth_strategy': 'noauth', 'state_path': state,
                        'osapi_volume_listen_port': server.free_port()},
                       **default)
        server.write_config(conf, dict(sections, DEFAULT=default))
        proc = subprocess.run(
            [sys.executable, '-m', 'cinder_backup_reset.cmd.api',
             '--config-file', conf], capture_output=True, text=True,
            timeout=60)
        self.assertEqual(1, proc.returncode)
        output = proc.stdout + proc.stderr
        self.assertNotIn('Traceback', output)
        self.assertFalse(os.path.exists(state), os.listdir(tmp))
        return output

    def test_bad_configuration_stops_start_up_with_one_line(self):
        output = self.start_failing({'backup_driver': 'no-such-driver'})
        self.assertIn('Cannot start the API: Backup driver no-such-driver '
                      'could not be loaded', output)

    def test_port_in_use_is_one_line(self):
        with socket.socket() as busy:
            busy.bind(('127.0.0.1', 0))
            busy.listen()
            port = busy.getsockname()[1]
            output = self.start_failing({'backup_driver': 'fake',
                                         'osapi_volume_listen': '127.0.0.1',
                                         'osapi_volume_listen_port': port})
        problem = ('Cannot start the API: 127.0.0.1:%d is already in use'
                   % port)
        self.assertIn(problem, output)
        self.assertEqual([], [line for line in output.splitlines()
                              if 'ERROR' in line and problem not in line])
        self.assertNotIn('Serving the API', output)
        # gunicorn's own retries (five, a second apart) never start.
        self.assertNotIn('Connection in use', output)

    def test_missing_paste_file_stops_start_up(self):
        output = self.start_failing({'backup_driver': 'fake',
                                     'api_paste_config': '/nonexistent.ini'})
        self.assertIn('Cannot start the API: Could not find paste config '
                      'at /nonexistent.ini', output)

    def test_keystone_without_credentials_stops_start_up(self):
        output = self.start_failing({'backup_driver': 'fake',
                                     'auth_strategy': 'keystone'})
        self.assertIn('Cannot start the API: auth_strategy is keystone, '
                      'but keystonemiddleware has no credentials', output)

    def test_keystonemiddleware_starts_and_warns_once(self):
        # One keystonemiddleware for /v2 and /v3: its start-up lines once.
        # (No www_authenticate_uri, so keystonemiddleware warns.)
        service_user = dict(test_fixtures.KEYSTONE_SERVICE_USER,
                            auth_url='http://127.0.0.1:9/v3')
        del service_user['www_authenticate_uri']
        api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_driver': 'fake',
                        'auth_strategy': 'keystone'},
            'keystone_authtoken': service_user}))
        api.stop()
        output = api.log()
        self.assertEqual(1, output.count(
            'Starting Keystone auth_token middleware'), output)
        self.assertEqual(1, output.count(
            'Configuring www_authenticate_uri to point'), output)

    def test_unusable_database_connection_stops_start_up(self):
        output = self.start_failing(
            {'backup_driver': 'fake'},
            database={'connection': 'mysql+nodriver://u:secret@h/db'})
        self.assertIn('Cannot start the API: [database] connection '
                      'mysql+nodriver://u:***@h/db cannot be used: '
                      "SQLAlchemy knows no database or driver named "
                      "'mysql+nodriver'", output)
        self.assertEqual(1, output.count('SQLAlchemy knows no database'))
        self.assertNotIn('secret', output)
