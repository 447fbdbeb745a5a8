"""Verification jobs: outcomes, progress, restart recovery, stop."""

import threading

from cinder_backup_reset.backup import driver as backup_driver
from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base
from cinder_backup_reset.verification import jobs


class _Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


class _ScriptedDriver(fake.FakeBackupDriver):
    """Calls progress as told, then does what ``outcome`` says."""

    def __init__(self, conf, steps=(), outcome=None, clock=None):
        super().__init__(conf)
        self.steps = steps
        self.outcome = outcome
        self.clock = clock
        self.seen = []

    def verify(self, context, backup, deep=False, progress=None):
        for at, done, total in self.steps:
            if self.clock is not None:
                self.clock.now = at
            progress(done, total)
            row = db_api.verification_get(context, backup.id,
                                          self.job_id())
            self.seen.append((row.bytes_done, row.bytes_total, row.status))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return backup_driver.VerifyResult(level='deep' if deep else
                                          'shallow', evidence={'ok': 1})

    def job_id(self):
        return db_api.verification_get_all(self.context, self.backup_id)[
            0].id


class TestJobRunner(base.TestCase):

    def setUp(self):
        super().setUp()
        self.backup = self.create_backup(status='creating')
        self.clock = _Clock()

    def _run(self, driver, level='deep'):
        driver.context, driver.backup_id = self.admin, self.backup.id
        runner = jobs.JobRunner(self.conf, driver=driver, host='node-1',
                                clock=self.clock)
        job = runner.start(self.admin, self.backup, level)
        self.assertEqual('queued', job['status'])
        self.assertEqual('node-1', job['runner'])
        self.assertTrue(runner.wait(timeout=30))
        return jobs.as_dict(db_api.verification_get(
            self.admin, self.backup.id, job['id']))

    def test_passed_keeps_the_backup_status(self):
        job = self._run(_ScriptedDriver(self.conf))
        self.assertEqual('passed', job['status'])
        self.assertEqual({'ok': 1, 'level': 'deep'}, job['evidence'])
        self.assertEqual('creating', self.get_backup(self.backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       self.backup.id))

    def test_failed_keeps_the_backup_status(self):
        job = self._run(_ScriptedDriver(
            self.conf, outcome=exception.BackupVerifyFailed(
                backup_id=self.backup.id, reason='object 3 is short',
                evidence={'object_count': 4})))
        self.assertEqual('failed', job['status'])
        self.assertEqual('object 3 is short', job['reason'])
        self.assertEqual({'object_count': 4}, job['evidence'])
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_unreadable_backend_is_unavailable_not_failed(self):
        job = self._run(_ScriptedDriver(
            self.conf, outcome=exception.BackupBackendUnavailable(
                backup_id=self.backup.id, reason='not mounted')))
        self.assertEqual('unavailable', job['status'])
        self.assertIn('not mounted', job['reason'])
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_progress_written_at_most_once_per_interval(self):
        mib = 1 << 20
        driver = _ScriptedDriver(self.conf, clock=self.clock, steps=[
            (0.0, 1 * mib, 4 * mib), (0.5, 2 * mib, 4 * mib),
            (1.1, 3 * mib, 4 * mib), (1.2, 4 * mib, 4 * mib)])
        job = self._run(driver)
        self.assertEqual('passed', job['status'], job['reason'])
        # NOTE: the first call writes; the next within a second does not;
        # the one after a second does.
        self.assertEqual([(mib, 4 * mib, 'running'),
                          (mib, 4 * mib, 'running'),
                          (3 * mib, 4 * mib, 'running'),
                          (3 * mib, 4 * mib, 'running')], driver.seen)
        # the end records the last progress reported
        self.assertEqual({'bytes_done': 4 * mib, 'bytes_total': 4 * mib},
                         job['progress'])
        self.assertEqual('passed', job['status'])

    def test_unknown_level_refused_without_a_job(self):
        runner = jobs.JobRunner(self.conf, driver=_ScriptedDriver(self.conf))
        self.assertRaises(exception.InvalidParameterValue, runner.start,
                          self.admin, self.backup, 'thorough')
        self.assertEqual([], db_api.verification_get_all(self.admin,
                                                         self.backup.id))

    def test_other_drivers_backup_refused_without_a_job(self):
        backup = self.create_backup(service='cinder.backup.drivers.ceph')
        runner = jobs.JobRunner(self.conf, driver=_ScriptedDriver(self.conf))
        self.assertRaises(exception.BackupDriverMismatch, runner.start,
                          self.admin, backup, 'shallow')
        self.assertEqual([], db_api.verification_get_all(self.admin,
                                                         backup.id))

    def test_recover_marks_only_this_hosts_unfinished_jobs(self):
        make = db_api.verification_create
        mine = make(self.admin, {'backup_id': self.backup.id,
                                 'level': 'deep', 'status': 'running',
                                 'runner': 'node-1'})
        queued = make(self.admin, {'backup_id': self.backup.id,
                                   'level': 'deep', 'status': 'queued',
                                   'runner': 'node-1'})
        other = make(self.admin, {'backup_id': self.backup.id,
                                  'level': 'deep', 'status': 'running',
                                  'runner': 'node-2'})
        ended = make(self.admin, {'backup_id': self.backup.id,
                                  'level': 'deep', 'status': 'passed',
                                  'runner': 'node-1'})
        runner = jobs.JobRunner(self.conf, host='node-1')
        self.assertEqual(2, runner.recover(self.admin))

        def status(job):
            return db_api.verification_get(self.admin, self.backup.id,
                                           job.id)
        self.assertEqual('unavailable', status(mine).status)
        self.assertIn('node-1', status(mine).reason)
        self.assertEqual('unavailable', status(queued).status)
        self.assertEqual('running', status(other).status)
        self.assertEqual('passed', status(ended).status)

    def test_stop_interrupts_a_running_job(self):
        started = threading.Event()
        release = threading.Event()

        class Slow(fake.FakeBackupDriver):
            def verify(self, context, backup, deep=False, progress=None):
                progress(1, 10)
                started.set()
                release.wait(30)
                progress(2, 10)

        runner = jobs.JobRunner(self.conf, driver=Slow(self.conf),
                                host='node-1', clock=self.clock)
        job = runner.start(self.admin, self.backup, 'deep')
        self.assertTrue(started.wait(30))
        stopper = threading.Thread(target=runner.stop, args=(30,))
        stopper.start()
        runner.stopping.wait(30)
        release.set()
        stopper.join(30)
        row = db_api.verification_get(self.admin, self.backup.id, job['id'])
        self.assertEqual('unavailable', row.status)
        self.assertIn('interrupted', row.reason)
        self.assertRaises(exception.ServiceUnavailable, runner.start,
                          self.admin, self.backup, 'deep')
