"""Limits of the real server: body size, request head size, slow clients.

Attacks resource exhaustion at the HTTP layer, against a real gunicorn
server with small limits so the tests are cheap:

- a body over ``[oslo_middleware] max_request_body_size`` (announced, or
  chunked) is refused 413 ``overLimit`` and changes nothing;
- a request line or header over ``max_header_line``, or more headers than
  ``max_header_count``, is refused by gunicorn before the application
  (414/431; 400 with gunicorn < 23);
- more slow clients than the worker has threads (trickling headers one
  byte at a time, or connected and silent) do not delay a normal request,
  and are disconnected after ``client_header_timeout``;
- clients that stop in the middle of their body hold a thread for at most
  ``client_socket_timeout`` seconds, get 408 fault JSON and change nothing.
"""

import socket
import threading
import time

import requests
import testtools

from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional.reliability import databases

POOL_SIZE = 2
BODY_LIMIT = 4096
HEADER_LINE = 2048
HEADER_COUNT = 20
HEAD_TIMEOUT = 3
SOCKET_TIMEOUT = 2


class TestLimits(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_driver': 'fake',
                        'wsgi_default_pool_size': POOL_SIZE,
                        'max_header_line': HEADER_LINE,
                        'max_header_count': HEADER_COUNT,
                        'client_header_timeout': HEAD_TIMEOUT},
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

    def test_slow_clients_do_not_starve_the_worker(self):
        trickling = [self._connect() for _ in range(3 * POOL_SIZE)]
        silent = [self._connect() for _ in range(3 * POOL_SIZE)]
        stop = threading.Event()
        feeder = threading.Thread(target=_trickle, args=(trickling, stop))
        feeder.start()
        self.addCleanup(feeder.join)
        self.addCleanup(stop.set)
        time.sleep(1)
        for _ in range(5):
            start = time.monotonic()
            self._assert_still_serving()
            # NOTE: promptly: far below client_header_timeout.
            self.assertLess(time.monotonic() - start, 1.0)
        # NOTE: and the slow ones are cut off after client_header_timeout.
        for sock in trickling[:1] + silent[:1]:
            sock.settimeout(HEAD_TIMEOUT + 5)
            self.assertEqual(b'', _read_until_closed(sock))

    def _connect(self):
        sock = socket.create_connection(('127.0.0.1', self.api.port))
        self.addCleanup(sock.close)
        return sock

    def _assert_still_serving(self):
        resp = requests.get(self.api.url('backups', 'p1'),
                            headers=self.api.headers(), timeout=10)
        self.assertEqual(200, resp.status_code, resp.text)


class TestStalledBody(testtools.TestCase):
    """Clients that stop sending in the middle of their body."""

    def setUp(self):
        super().setUp()
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_driver': 'fake',
                        'wsgi_default_pool_size': POOL_SIZE,
                        'client_socket_timeout': SOCKET_TIMEOUT}}))
        self.engine = self.useFixture(databases.Engine(
            'sqlite:///%s/cbr.sqlite' % self.api.state_path)).engine
        self.backup_id = databases.create_backup(self.engine, 'creating')

    def _stall(self):
        """Send a head announcing 100 bytes of body, and 10 of them."""
        sock = socket.create_connection(('127.0.0.1', self.api.port))
        self.addCleanup(sock.close)
        body = b'{"backup-reset_status": {"status": "error"}}'.ljust(100)
        sock.sendall(
            b'POST /v3/p1/backups/%s/action HTTP/1.1\r\nHost: x\r\n'
            b'X-Auth-Token: admin:p1\r\nContent-Type: application/json\r\n'
            b'Content-Length: 100\r\n\r\n' % self.backup_id.encode()
            + body[:10])
        return sock

    def test_stalled_bodies_free_their_threads(self):
        # NOTE: as many stalled clients as the worker has threads: without
        # a time limit on reads, no thread would ever serve anyone again.
        stalled = [self._stall() for _ in range(POOL_SIZE)]
        start = time.monotonic()
        resp = requests.get(self.api.url('backups', 'p1'),
                            headers=self.api.headers(), timeout=30)
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertLess(time.monotonic() - start, SOCKET_TIMEOUT + 5)
        for sock in stalled:
            sock.settimeout(SOCKET_TIMEOUT + 10)
            answer = _read_until_closed(sock)
            self.assertTrue(answer.startswith(b'HTTP/1.1 408 '), answer)
            self.assertIn(b'"code": 408', answer)
            self.assertIn(b'client_socket_timeout', answer)
        self.assertEqual({self.backup_id: 'creating'},
                         databases.statuses(self.engine))
        self.assertEqual([], databases.history(self.engine))


def _trickle(socks, stop):
    """Send a request head one byte per 0.2 s on each socket, forever."""
    head = (b'GET /v3/p1/backups HTTP/1.1\r\nHost: x\r\n'
            b'X-Auth-Token: admin:p1\r\nX-Pad: ' + b'a' * 1000)
    for byte in range(len(head)):
        if stop.wait(0.2):
            return
        for sock in socks:
            try:
                sock.send(head[byte:byte + 1])
            except OSError:
                pass


def _read_until_closed(sock):
    """What the server sends before closing; b'' means closed silently."""
    data = b''
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data
            data += chunk
    except (ConnectionResetError, BrokenPipeError):
        return data
