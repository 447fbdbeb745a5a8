"""Limits of the real server: body size, request head size, slow clients.

Attacks resource exhaustion at the HTTP layer, against a real gunicorn
server with small limits so the tests are cheap:

- a body over ``[oslo_middleware] max_request_body_size`` (announced, or
  chunked) is refused 413 ``overLimit`` and changes nothing;
- a request line or header over ``max_header_line``, or more headers than
  ``max_header_count``, is refused by gunicorn before the application
  (414/431; 400 with gunicorn < 23);
- more silent clients than the worker has threads (connected, sending
  nothing) stop holding threads once gunicorn has handed them back to its
  poller, so normal requests are served.

Clients that trickle their head or body hold a thread until they are
done: gunicorn has no public setting for that, and a reverse proxy's
request timeouts bound them (doc/source/admin/reliability.rst).
"""

import socket
import time

import requests
import testtools

from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional.reliability import databases

POOL_SIZE = 2
BODY_LIMIT = 4096
HEADER_LINE = 2048
HEADER_COUNT = 20
#: NOTE: gunicorn's gthread worker gives a new connection a few seconds
#: (its DEFAULT_WORKER_DATA_TIMEOUT, 5 s) to send something before it
#: hands it to its poller; generous, so a loaded host does not fail it.
DEFER_WITHIN = 30


class TestLimits(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_driver': 'fake',
                        'wsgi_default_pool_size': POOL_SIZE,
                        'max_header_line': HEADER_LINE,
                        'max_header_count': HEADER_COUNT},
            'oslo_middleware': {'max_request_body_size': BODY_LIMIT}}))
        self.engine = self.useFixture(databases.Engine(
            'sqlite:///%s/cbr.sqlite' % self.api.state_path)).engine
        self.backup_id = databases.create_backup(self.engine, 'creating')

    def _post_action(self, body, **kwargs):
        return requests.post(
            self.api.url('backups/%s/action' % self.backup_id, 'p1'),
            data=body, headers=self.api.headers(), timeout=10, **kwargs)

    def _assert_unchanged(self):
        self.assertEqual({self.backup_id: 'creating'},
                         databases.statuses(self.engine))
        self.assertEqual([], databases.history(self.engine))

    def test_body_over_limit(self):
        reason = 'x' * BODY_LIMIT
        body = ('{"backup-reset_status": {"status": "error", '
                '"reason": "%s"}}' % reason).encode()
        resp = self._post_action(body)
        self.assertEqual(413, resp.status_code, resp.text)
        self.assertEqual(413, resp.json()['overLimit']['code'])
        # NOTE: chunked: no Content-Length to refuse up front.
        resp = self._post_action(iter([body[:1000], body[1000:]]))
        self.assertEqual(413, resp.status_code, resp.text)
        self._assert_unchanged()
        self.assertEqual(202, self._post_action(
            b'{"backup-reset_status": {"status": "error"}}').status_code)

    def test_request_line_too_long(self):
        resp = requests.get(
            self.api.url('backups', 'p1') + '?name=' + 'a' * HEADER_LINE,
            headers=self.api.headers(), timeout=10)
        # NOTE: gunicorn >= 23 answers 414; older ones 400.
        self.assertIn(resp.status_code, (400, 414))
        self._assert_still_serving()

    def test_header_too_long(self):
        headers = dict(self.api.headers(), **{'X-Pad': 'a' * HEADER_LINE})
        resp = requests.get(self.api.url('backups', 'p1'), headers=headers,
                            timeout=10)
        # NOTE: gunicorn >= 23 answers 431; older ones 400.
        self.assertIn(resp.status_code, (400, 431))
        self._assert_still_serving()

    def test_too_many_headers(self):
        headers = self.api.headers()
        headers.update(('X-Pad-%d' % i, 'a') for i in range(HEADER_COUNT))
        resp = requests.get(self.api.url('backups', 'p1'), headers=headers,
                            timeout=10)
        # NOTE: gunicorn >= 23 answers 431; older ones 400.
        self.assertIn(resp.status_code, (400, 431))
        self._assert_still_serving()

    def test_silent_clients_do_not_starve_the_worker(self):
        silent = [self._connect() for _ in range(3 * POOL_SIZE)]
        # NOTE: at first each silent connection holds a thread while
        # gunicorn waits for its first bytes; then it waits in the poller.
        start = time.monotonic()
        self._assert_still_serving(timeout=DEFER_WITHIN)
        self.assertLess(time.monotonic() - start, DEFER_WITHIN)
        for _ in range(3):
            self._assert_still_serving(timeout=5)
        self.assertEqual(3 * POOL_SIZE, len(silent))

    def _connect(self):
        sock = socket.create_connection(('127.0.0.1', self.api.port))
        self.addCleanup(sock.close)
        return sock

    def _assert_still_serving(self, timeout=10):
        resp = requests.get(self.api.url('backups', 'p1'),
                            headers=self.api.headers(), timeout=timeout)
        self.assertEqual(200, resp.status_code, resp.text)
