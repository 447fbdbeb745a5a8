"""Verification over RPC, with oslo.messaging's fake driver."""

from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset.cmd import agent as agent_cmd
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import manager
from cinder_backup_reset import rpc
from cinder_backup_reset.tests import base


class TestVerifyViaRPC(base.TestCase):

    def setUp(self):
        super().setUp()
        rpc.register_opts(self.conf)
        self.conf_fixture.config(transport_url='fake:/', host='backup-1',
                                 verify_via='rpc')
        rpc.reset()
        self.addCleanup(rpc.reset)
        self.backup = self.create_backup(status='creating', host='backup-1')

    def _start_agent(self):
        agent = agent_cmd.Agent(self.conf)
        agent.start()
        self.addCleanup(agent.stop)
        return agent

    def test_reset_verifies_through_the_agent(self):
        self._start_agent()
        fake.FakeBackupDriver.outcomes[self.backup.id] = True
        outcome = manager.BackupResetManager(self.conf).reset_backup(
            self.admin, self.backup, 'available')
        self.assertEqual('available', outcome.status)
        self.assertEqual('passed', outcome.verified)
        self.assertEqual([(self.backup.id, False)],
                         fake.FakeBackupDriver.calls)

    def test_failed_verification_on_the_agent_is_failed_here(self):
        self._start_agent()
        fake.FakeBackupDriver.outcomes[self.backup.id] = 'object 2 missing'
        exc = self.assertRaises(
            exception.BackupVerifyFailed,
            manager.BackupResetManager(self.conf).reset_backup,
            self.admin, self.backup, 'available')
        self.assertEqual('object 2 missing', exc.reason)
        self.assertEqual('error', self.get_backup(self.backup.id).status)

    def test_no_agent_is_unavailable_and_changes_nothing(self):
        self.conf_fixture.config(rpc_response_timeout=1)
        fake.FakeBackupDriver.outcomes[self.backup.id] = True
        exc = self.assertRaises(
            exception.BackupBackendUnavailable,
            manager.BackupResetManager(self.conf).reset_backup,
            self.admin, self.backup, 'available')
        self.assertIn('no agent answered on host backup-1', exc.msg)
        self.assertEqual(503, exc.code)
        self.assertEqual('creating', self.get_backup(self.backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       self.backup.id))
        self.assertEqual([], fake.FakeBackupDriver.calls)

    def test_backup_without_host_is_unavailable(self):
        backup = self.create_backup(status='creating', host=None)
        exc = self.assertRaises(
            exception.BackupBackendUnavailable,
            manager.BackupResetManager(self.conf).verify, self.admin, backup)
        self.assertIn('no host recorded', exc.msg)

    def test_job_runs_on_the_agent(self):
        agent = self._start_agent()
        fake.FakeBackupDriver.outcomes[self.backup.id] = True
        job = rpc.AgentAPI(self.conf).start_verification(
            self.admin, self.backup, 'deep')
        self.assertEqual('queued', job['status'])
        self.assertEqual('backup-1', job['runner'])
        self.assertTrue(agent.endpoint.runner.wait(timeout=30))
        row = db_api.verification_get(self.admin, self.backup.id, job['id'])
        self.assertEqual('passed', row.status)
        self.assertEqual([(self.backup.id, True)],
                         fake.FakeBackupDriver.calls)

    def test_agent_refusal_keeps_its_code(self):
        self._start_agent()
        backup = self.create_backup(service='cinder.backup.drivers.ceph',
                                    host='backup-1')
        exc = self.assertRaises(
            exception.AgentRefused, rpc.AgentAPI(self.conf).start_verification,
            self.admin, backup, 'deep')
        self.assertEqual(400, exc.code)
        self.assertIn('ceph', exc.msg)

    def test_agent_marks_its_unfinished_jobs_at_start(self):
        job = db_api.verification_create(self.admin, {
            'backup_id': self.backup.id, 'level': 'deep',
            'status': 'running', 'runner': 'backup-1'})
        self._start_agent()
        row = db_api.verification_get(self.admin, self.backup.id, job.id)
        self.assertEqual('unavailable', row.status)
