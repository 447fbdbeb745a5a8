"""The backup-verify action and backups/{id}/verifications (in process)."""

import datetime

import fixtures
import sqlalchemy
import webob

from cinder_backup_reset.api import resource
from cinder_backup_reset.api import router
from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.tests import base
from cinder_backup_reset.verification import jobs


class TestBackupVerifyAPI(base.TestCase):

    # NOTE: the job runs in a thread while the test calls the API again.
    FILE_DATABASE = True

    def setUp(self):
        super().setUp()
        self.router = router.APIRouter(self.conf)
        self.backup = self.create_backup(status='creating')
        self.runner = jobs.get_runner(self.conf)
        self.addCleanup(jobs._RUNNERS.clear)
        self.addCleanup(self.runner.wait, 30)

    def _call(self, method, path, body=None, roles=('admin',)):
        req = webob.Request.blank('/p1' + path, method=method)
        if body is not None:
            req.content_type = 'application/json'
            req.json_body = body
        req.environ[resource.CONTEXT_KEY] = context.RequestContext(
            user_id='u', project_id='p1', roles=list(roles), overwrite=False)
        return req.get_response(self.router)

    def _verify(self, level='deep'):
        return self._call('POST', '/backups/%s/action' % self.backup.id,
                          {'backup-verify': {'level': level}})

    def test_job_accepted_then_listed_and_shown(self):
        fake.FakeBackupDriver.outcomes[self.backup.id] = True
        resp = self._verify()
        self.assertEqual(202, resp.status_int, resp.body)
        job = resp.json['verification']
        self.assertEqual(self.backup.id, job['backup_id'])
        self.assertEqual('deep', job['level'])
        self.assertIn(job['status'], ('queued', 'running', 'passed'))
        for key in ('id', 'progress', 'reason', 'evidence', 'created_at',
                    'updated_at'):
            self.assertIn(key, job)
        self.assertTrue(self.runner.wait(30))
        shown = self._call('GET', '/backups/%s/verifications/%s' % (
            self.backup.id, job['id']))
        self.assertEqual(200, shown.status_int)
        self.assertEqual('passed', shown.json['verification']['status'])
        listed = self._call('GET', '/backups/%s/verifications'
                            % self.backup.id)
        self.assertEqual([job['id']],
                         [v['id'] for v in listed.json['verifications']])

    def test_failed_job_never_changes_the_backup(self):
        fake.FakeBackupDriver.outcomes[self.backup.id] = 'object 1 missing'
        job = self._verify().json['verification']
        self.assertTrue(self.runner.wait(30))
        row = db_api.verification_get(self.admin, self.backup.id, job['id'])
        self.assertEqual('failed', row.status)
        self.assertEqual('object 1 missing', row.reason)
        self.assertEqual('creating', self.get_backup(self.backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       self.backup.id))

    def test_newest_first(self):
        fake.FakeBackupDriver.outcomes[self.backup.id] = True
        first = self._verify('shallow').json['verification']['id']
        second = self._verify('deep').json['verification']['id']
        self.assertTrue(self.runner.wait(30))
        listed = self._call('GET', '/backups/%s/verifications'
                            % self.backup.id).json['verifications']
        self.assertEqual([second, first], [v['id'] for v in listed])

    def test_bad_level_is_400_and_no_job(self):
        resp = self._verify('thorough')
        self.assertEqual(400, resp.status_int)
        self.assertIn('badRequest', resp.json)
        self.assertEqual([], db_api.verification_get_all(self.admin,
                                                         self.backup.id))

    def test_unknown_verification_is_404(self):
        resp = self._call('GET', '/backups/%s/verifications/nope'
                          % self.backup.id)
        self.assertEqual(404, resp.status_int)
        self.assertIn('itemNotFound', resp.json)

    def test_unknown_backup_is_404(self):
        resp = self._call('POST', '/backups/nope/action',
                          {'backup-verify': {}})
        self.assertEqual(404, resp.status_int)

    def test_non_admin_is_403_and_no_job(self):
        resp = self._call('POST', '/backups/%s/action' % self.backup.id,
                          {'backup-verify': {}}, roles=['member', 'reader'])
        self.assertEqual(403, resp.status_int)
        self.assertEqual([], db_api.verification_get_all(self.admin,
                                                         self.backup.id))

    def test_start_up_marks_jobs_a_previous_run_left_running(self):
        from cinder_backup_reset.db import migration
        from cinder_backup_reset.db import models
        from cinder_backup_reset import wsgi as wsgi_app
        url = 'sqlite:///%s/db.sqlite' % self.useFixture(
            fixtures.TempDir()).path
        engine = sqlalchemy.create_engine(url)
        self.addCleanup(engine.dispose)
        migration.db_sync(engine)
        table = models.BackupVerification.__table__
        now = datetime.datetime(2026, 1, 1)
        with engine.begin() as conn:
            for vid, status, runner in (('a', 'running', self.conf.host),
                                        ('b', 'queued', self.conf.host),
                                        ('c', 'running', 'other-host'),
                                        ('d', 'passed', self.conf.host)):
                conn.execute(table.insert().values(
                    id=vid, backup_id='b1', level='deep', status=status,
                    runner=runner, bytes_done=0, created_at=now))
        self.conf_fixture.config(connection=url, group='database')
        wsgi_app.recover_verifications(self.conf)
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(sqlalchemy.select(table))}
        self.assertEqual({'a': 'unavailable', 'b': 'unavailable',
                          'c': 'running', 'd': 'passed'},
                         {k: r.status for k, r in rows.items()})
        self.assertIn('interrupted', rows['a'].reason)

    def test_start_up_with_the_database_down_goes_on(self):
        from cinder_backup_reset import wsgi as wsgi_app
        logs = self.useFixture(fixtures.FakeLogger())
        self.conf_fixture.config(
            connection='sqlite:////nonexistent/cbr/db.sqlite',
            group='database')
        wsgi_app.recover_verifications(self.conf)
        self.assertIn('Could not mark the verification jobs', logs.output)

    def test_stopping_workers_interrupts_their_jobs(self):
        fake.FakeBackupDriver.outcomes[self.backup.id] = True
        jobs.stop_runners(timeout=30)
        resp = self._verify()
        self.assertEqual(503, resp.status_int)
        self.assertEqual([], db_api.verification_get_all(self.admin,
                                                         self.backup.id))
