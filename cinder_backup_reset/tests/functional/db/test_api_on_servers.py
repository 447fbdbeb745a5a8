"""The reset API on a real MySQL/MariaDB or PostgreSQL database.

The paste pipeline runs in-process on a provisioned database: resets, a
failed verification, a value MySQL's utf8 (3-byte) columns refuse, and two
concurrent resets of one backup (one 202, one 409, one history row).
"""

import threading

from oslo_config import cfg
import webob

from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.tests import fixtures
from cinder_backup_reset.tests.functional.db import base
from cinder_backup_reset import wsgi


class _APIOnServer:
    """The cases; each backend class below runs them."""

    def setUp(self):
        super().setUp()
        conf_fixture = self.useFixture(fixtures.ConfFixture())
        conf_fixture.config(backup_driver='fake')
        self.useFixture(fixtures.PolicyFixture())
        self.useFixture(fixtures.Database(engine=self.engine))
        fake.FakeBackupDriver.outcomes = {}
        self.app = wsgi.load_app(cfg.CONF)
        self.admin = context.get_admin_context()

    def _backup(self, status='creating', verifies=True):
        backup = db_api.backup_create(self.admin, {
            'status': status, 'project_id': 'p1', 'volume_id': 'v',
            'service': fake.FakeBackupDriver.name})
        fake.FakeBackupDriver.outcomes[backup.id] = (
            True if verifies else 'chunk missing')
        return backup.id

    def _post_reset(self, backup_id, **args):
        req = webob.Request.blank('/v3/p1/backups/%s/action' % backup_id,
                                  method='POST')
        req.headers['X-Auth-Token'] = 'admin:p1'
        req.content_type = 'application/json'
        req.json_body = {'backup-reset_status': args}
        return req.get_response(self.app)

    def _history(self, backup_id):
        return db_api.status_history_get(self.admin, backup_id)

    def test_verified_reset_and_failed_verification(self):
        good, bad = self._backup(), self._backup(verifies=False)
        self.assertEqual(202, self._post_reset(good, status='available')
                         .status_int)
        resp = self._post_reset(bad, status='available')
        self.assertEqual(400, resp.status_int)
        row = db_api.backup_get(self.admin, bad)
        self.assertEqual(('error', 'chunk missing'),
                         (row.status, row.fail_reason))
        self.assertEqual(['failed'], [h.verified for h in self._history(bad)])

    def test_four_byte_characters_are_400_and_change_nothing(self):
        backup = self._backup()
        resp = self._post_reset(backup, status='error',
                                reason='stuck \U0001F4A5 after the outage')
        # PostgreSQL stores it; MySQL's utf8 columns refuse it cleanly.
        self.assertIn(resp.status_int, (202, 400))
        if resp.status_int == 400:
            self.assertIn('badRequest', resp.json)
            self.assertEqual('creating',
                             db_api.backup_get(self.admin, backup).status)
            self.assertEqual([], self._history(backup))

    def test_two_concurrent_resets_one_winner(self):
        backup = self._backup()
        barrier = threading.Barrier(2)
        results = []

        def reset(target):
            barrier.wait()
            results.append(self._post_reset(
                backup, status=target, expected_status='creating'))

        threads = [threading.Thread(target=reset, args=(t,))
                   for t in ('available', 'error')]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual([202, 409], sorted(r.status_int for r in results))
        history = self._history(backup)
        self.assertEqual(1, len(history))
        winner = [r for r in results if r.status_int == 202][0]
        self.assertEqual(winner.json['backup_reset']['to_status'],
                         db_api.backup_get(self.admin, backup).status)
        self.assertEqual(winner.json['backup_reset']['history']['id'],
                         history[0].id)


class TestAPIOnSQLite(_APIOnServer, base.OpportunisticTestCase):

    def test_two_concurrent_resets_one_winner(self):
        # NOTE: the provisioned SQLite database is in memory, one connection
        # shared by every thread: no concurrency to test. The SQLite file
        # case runs against the real server in the concurrency tests.
        self.skipTest('in-memory SQLite has a single shared connection')


class TestAPIOnMySQL(base.MySQLMixin, _APIOnServer,
                     base.OpportunisticTestCase):
    pass


class TestAPIOnPostgreSQL(base.PostgreSQLMixin, _APIOnServer,
                          base.OpportunisticTestCase):
    pass
