"""The database server hangs (accepts, never answers), then comes back.

The API's ``[database] connection`` goes through a relay on loopback to
the local MariaDB or PostgreSQL (opportunistic, see databases.py), with
no timeout in the URL: the service's driver defaults
(conf/database.DRIVER_TIMEOUTS) must bound the wait. The relay then acts
as a black hole: from the start, and under a running API whose pool
holds connections. It checks that:

- a request answers ``503 serviceUnavailable`` fault JSON with
  ``Retry-After`` and a message naming the database, never a 500, within
  the documented bound, and a refused reset changes nothing;
- once the relay forwards again, the same API process serves normally.
"""

import time

import fixtures
import requests
import sqlalchemy as sa
import testtools

from cinder_backup_reset.tests.functional.fixtures import outage
from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional.reliability import databases

#: NOTE: process scheduling on a busy host.
SLACK_SECONDS = 2
#: seconds, documented in doc/source/admin/reliability.rst: MySQL waits
#: read_timeout for the handshake, and once more when a pooled
#: connection's ping timed out and the pool connects again; libpq waits
#: connect_timeout for the whole start-up, and a pooled connection's ping
#: postgresql_read_timeout before that (db/postgresql.py).
BOUNDS = {'mysql': {'new': 2 * 10, 'pooled': 2 * 10},
          'postgresql': {'new': 5, 'pooled': 10 + 5}}
DEFAULT_PORTS = {'mysql': 3306, 'postgresql': 5432}


class _Hang:

    backend = None

    def setUp(self):
        super().setUp()
        reason = databases.unreachable(self.backend)
        if reason:
            self.skipTest(reason)
        tmp = self.useFixture(fixtures.TempDir()).path
        db = self.useFixture(databases.ThrowawayDatabase(self.backend))
        db.db_sync(tmp)
        self.engine = db.engine
        real = sa.engine.make_url(db.url)
        # NOTE: oslo.db's provisioned URLs leave the port to the driver.
        port = real.port or DEFAULT_PORTS[self.backend]
        self.relay = outage.Relay((real.host, port)).start()
        self.addCleanup(self.relay.stop)
        self.url = real.set(port=self.relay.port).render_as_string(
            hide_password=False)
        self.backup_id = databases.create_backup(self.engine, 'creating')

    def start_api(self):
        api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_driver': 'fake'},
            'database': {'connection': self.url}}))
        self.addOnException(lambda exc_info: self.addDetail(
            'api-log', testtools.content.text_content(api.log()[-20000:])))
        return api

    def _request(self, api, method, path, body=None):
        start = time.monotonic()
        resp = requests.request(method, api.url(path, 'p1'), json=body,
                                headers=api.headers(), timeout=120)
        return resp, time.monotonic() - start

    def assert_unavailable(self, api, method, path, body=None,
                           connections='new'):
        resp, elapsed = self._request(api, method, path, body)
        self.assertEqual(503, resp.status_code, resp.text)
        self.assertLess(elapsed,
                        BOUNDS[self.backend][connections] + SLACK_SECONDS)
        message = resp.json()['serviceUnavailable']['message']
        self.assertIn('database', message)
        self.assertEqual('5', resp.headers.get('Retry-After'))
        for leak in ('Traceback', 'pymysql', 'psycopg2', 'sqlalchemy',
                     'OperationalError', '\n'):
            self.assertNotIn(leak, resp.text)

    def assert_served(self, api):
        resp, _elapsed = self._request(api, 'GET',
                                       'backups/%s' % self.backup_id)
        self.assertEqual(200, resp.status_code, resp.text)

    def test_black_hole_then_working(self):
        self.relay.freeze()
        api = self.start_api()
        self.assert_unavailable(api, 'GET', 'backups/%s' % self.backup_id)
        self.relay.thaw()
        self.assert_served(api)

    def test_working_then_hung_then_working(self):
        api = self.start_api()
        self.assert_served(api)
        self.relay.freeze()
        self.assert_unavailable(api, 'GET', 'backups/%s' % self.backup_id,
                                connections='pooled')
        self.assert_unavailable(
            api, 'POST', 'backups/%s/action' % self.backup_id,
            {'backup-reset_status': {'status': 'error'}},
            connections='pooled')
        self.relay.thaw()
        self.assert_served(api)
        self.assertEqual('creating',
                         databases.statuses(self.engine)[self.backup_id])


class TestMySQLHang(_Hang, testtools.TestCase):
    backend = 'mysql'


class TestPostgreSQLHang(_Hang, testtools.TestCase):
    backend = 'postgresql'
