"""Verification on the backup host, over a real RabbitMQ (opportunistic).

The API's own backup root does not exist (an API host that does not
mount the backup storage); with ``verify_via = rpc`` it verifies through
the agent of the backup's host, which has the data. With the agent
stopped, the same requests answer 503 and change nothing.
"""

import json
import os
import subprocess
import sys
import time
import uuid

import requests
import sqlalchemy as sa
import testtools

from cinder_backup_reset.db import models
from cinder_backup_reset.tests.functional.fixtures import agent
from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional import test_notifications_rabbit
from cinder_backup_reset.tests.functional import test_real_clients

RABBIT_URL = test_notifications_rabbit.RABBIT_URL
_rabbit_answers = test_notifications_rabbit._rabbit_answers


class AgentTestCase(testtools.TestCase):
    """An API without the backup storage, an agent with it, a backup.

    ``api_transport_url`` is where the API finds the message bus (the
    agent always uses the real one).
    """

    api_workers = 2

    def api_transport_url(self):
        return RABBIT_URL

    def setUp(self):
        super().setUp()
        if not _rabbit_answers():
            self.skipTest('RabbitMQ does not answer on 127.0.0.1:5672')
        # NOTE: a host name of this test's own: other tests share the bus.
        self.host = 'backup-node-%s' % uuid.uuid4().hex[:12]
        self.missing = '/nonexistent/cinder-backups-%d' % os.getpid()
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_posix_path': self.missing,
                        'verify_via': 'rpc', 'host': 'api-node',
                        'transport_url': self.api_transport_url(),
                        'rpc_response_timeout': 5}},
            workers=self.api_workers))
        self.root = os.path.join(self.api.state_path, 'backups')
        os.mkdir(self.root)
        self.agent_config = {
            'DEFAULT': {'backup_driver': 'posix',
                        'backup_posix_path': self.root,
                        'state_path': self.api.state_path,
                        'host': self.host, 'transport_url': RABBIT_URL,
                        'graceful_shutdown_timeout': 10},
            'database': {'connection': self.api.db_url},
        }
        self.backup_id = self._create_backup(self.agent_config, self.host)
        self.agent = self.useFixture(agent.Agent(self.agent_config))

    def _create_backup(self, agent_config, host, name='vol-backup'):
        volume = os.path.join(self.api.state_path, 'volume.img')
        with open(volume, 'wb') as f:
            f.write(os.urandom(3 << 20) + b'\0' * (1 << 20))
        conf = os.path.join(self.api.state_path, 'manage.conf')
        server.write_config(conf, agent_config)
        proc = subprocess.run(
            [sys.executable, '-m', 'cinder_backup_reset.cmd.manage',
             '--config-file', conf, 'backup', 'create', '--volume-file',
             volume, '--project-id', 'p1', '--name', name],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(0, proc.returncode, proc.stderr + proc.stdout)
        table = models.Backup.__table__
        with self.api.engine().begin() as conn:
            backup_id = conn.execute(sa.select(table.c.id).where(
                table.c.display_name == name)).scalar_one()
            # NOTE: the stuck backup an operator resets, on the host
            # whose agent holds its data.
            conn.execute(table.update().where(table.c.id == backup_id)
                         .values(status='creating', host=host))
        return backup_id

    def _post(self, body, backup_id=None):
        return requests.post(
            self.api.url('backups/%s/action' % (backup_id or self.backup_id),
                         'p1'),
            json=body, headers=self.api.headers(), timeout=60)

    def _get(self, path):
        resp = requests.get(self.api.url(path, 'p1'),
                            headers=self.api.headers(), timeout=60)
        self.assertEqual(200, resp.status_code, resp.text)
        return resp.json()

    def _wait(self, job, timeout=60):
        deadline = time.monotonic() + timeout
        while job['status'] in ('queued', 'running'):
            self.assertLess(time.monotonic(), deadline, job)
            time.sleep(0.2)
            job = self._get('backups/%s/verifications/%s' % (
                job['backup_id'], job['id']))['verification']
        return job


class TestVerifyThroughAgent(AgentTestCase):

    def test_reset_verifies_on_the_agent(self):
        resp = self._post({'backup-reset_status': {'status': 'available'}})
        self.assertEqual(202, resp.status_code, resp.text)
        outcome = resp.json()['backup_reset']
        self.assertEqual('passed', outcome['verified'])
        self.assertEqual('available', self.api.backup_status(self.backup_id))

    def test_each_backup_verified_by_its_hosts_agent(self):
        other_host = self.host + '-b'
        other_root = os.path.join(self.api.state_path, 'backups-b')
        os.mkdir(other_root)
        config = {'DEFAULT': dict(self.agent_config['DEFAULT'],
                                  host=other_host,
                                  backup_posix_path=other_root),
                  'database': self.agent_config['database']}
        other_id = self._create_backup(config, other_host, 'other')
        self.useFixture(agent.Agent(config))
        runners = {}
        for backup_id in (self.backup_id, other_id) * 2:
            resp = self._post({'backup-verify': {'level': 'shallow'}},
                              backup_id)
            self.assertEqual(202, resp.status_code, resp.text)
            job = resp.json()['verification']
            job = self._wait(job)
            self.assertEqual('passed', job['status'], job)
            runners.setdefault(backup_id, set()).add(job['runner'])
        self.assertEqual({self.backup_id: {self.host},
                          other_id: {other_host}}, runners)
        # NOTE: each agent reads only its own root: the other backup is
        # not there, so a job sent to the wrong agent would fail.
        for backup_id in (self.backup_id, other_id):
            resp = self._post({'backup-reset_status': {
                'status': 'available'}}, backup_id)
            self.assertEqual(202, resp.status_code, resp.text)

    def test_deep_job_runs_on_the_agent(self):
        resp = self._post({'backup-verify': {'level': 'deep'}})
        self.assertEqual(202, resp.status_code, resp.text)
        job = self._wait(resp.json()['verification'])
        self.assertEqual('passed', job['status'], job)
        self.assertEqual(self.host, job['runner'])
        self.assertEqual(4 << 20, job['progress']['bytes_total'])
        self.assertEqual(4 << 20, job['progress']['bytes_done'])
        self.assertEqual('deep', job['evidence']['level'])
        # NOTE: a job never changes the backup's status.
        self.assertEqual('creating', self.api.backup_status(self.backup_id))
        listed = self._get('backups/%s/verifications'
                           % self.backup_id)['verifications']
        self.assertEqual([job['id']], [v['id'] for v in listed])

    def test_real_client_waits_for_the_job(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('OS_', 'CINDER_'))}
        exe = test_real_clients._which('cinder-backup-reset')
        if exe is None:
            self.skipTest('cinder-backup-reset is not installed')
        common = [exe, '--os-auth-type', 'noauth', '--os-user-id', 'admin',
                  '--os-project-id', 'p1', '--os-endpoint',
                  self.api.endpoint + '/v3']
        proc = subprocess.run(
            common + ['backup-verify', '--deep', '--wait',
                      '--poll-interval', '0.2', '-f', 'json', 'vol-backup'],
            env=env, capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual('passed', json.loads(proc.stdout)['status'])
        # NOTE: stderr is not a terminal here: plain progress lines.
        self.assertIn('passed', proc.stderr)
        proc = subprocess.run(
            common + ['backup-verifications', '-f', 'json', 'vol-backup'],
            env=env, capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual(['passed'],
                         [v['status'] for v in json.loads(proc.stdout)])

    def test_agent_stopped_is_503_and_changes_nothing(self):
        self.assertEqual(0, self.agent.stop())
        self.assertIn('cinder-backup-reset-agent stopped', self.agent.log())
        resp = self._post({'backup-reset_status': {'status': 'available'}})
        self.assertEqual(503, resp.status_code, resp.text)
        message = resp.json()['serviceUnavailable']['message']
        self.assertIn('no agent answered on host %s' % self.host, message)
        self.assertEqual('creating', self.api.backup_status(self.backup_id))
        self.assertEqual([], self._get('backups/%s/status-history'
                                       % self.backup_id)['status_history'])
        resp = self._post({'backup-verify': {'level': 'deep'}})
        self.assertEqual(503, resp.status_code, resp.text)
        self.assertEqual([], self._get('backups/%s/verifications'
                                       % self.backup_id)['verifications'])
