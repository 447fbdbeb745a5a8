"""Keystone stops or hangs under a running API, then comes back.

A real ``cinder-backup-reset-api`` with ``auth_strategy = keystone`` and
only the service user configured in ``[keystone_authtoken]`` (no
timeouts: the defaults must hold) validates tokens against an identity
endpoint on loopback that is, in turn, dead (nothing listens), a black
hole (accepts, never answers) and a working fake keystone, always at the
same address. It checks that a request whose token must be validated:

- answers ``503 serviceUnavailable`` fault JSON with ``Retry-After`` and a
  plain-text message naming the identity service, never a 500, within
  the documented bound (conf/keystone.identity_bound());
- is served normally again once a working keystone answers at that
  address, by the same API process.
"""

import time

import requests
import testtools

from cinder_backup_reset.conf import keystone as keystone_conf
from cinder_backup_reset.tests import fixtures as test_fixtures
from cinder_backup_reset.tests.functional.fixtures import outage
from cinder_backup_reset.tests.functional.fixtures import server

#: NOTE: process scheduling and the loopback round trips on a busy host.
SLACK_SECONDS = 1.5
BOUND = keystone_conf.identity_bound() + SLACK_SECONDS


class TestIdentityOutage(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.port = test_fixtures.free_port()
        auth_url = 'http://127.0.0.1:%d/v3' % self.port
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'auth_strategy': 'keystone',
                        'backup_driver': 'fake'},
            'keystone_authtoken': {
                'auth_type': 'password', 'auth_url': auth_url,
                'username': 'cinder-backup-reset', 'password': 'secret',
                'project_name': 'service', 'user_domain_name': 'Default',
                'project_domain_name': 'Default',
                'www_authenticate_uri': auth_url},
        }))
        self.addOnException(lambda exc_info: self.addDetail(
            'api-log', testtools.content.text_content(self.api.log())))
        self.tokens = 0

    def _keystone(self):
        keystone = outage.FakeKeystone(self.port).start()
        self.addCleanup(keystone.stop)
        return keystone

    def _black_hole(self):
        hole = outage.BlackHole(self.port).start()
        self.addCleanup(hole.stop)
        return hole

    def _get(self, token):
        start = time.monotonic()
        resp = requests.get(self.api.url('backups', 'p1'),
                            headers={'X-Auth-Token': token,
                                     'Accept': 'application/json'},
                            timeout=120)
        return resp, time.monotonic() - start

    def _new_token(self, keystone=None):
        self.tokens += 1
        token = 'user-token-%d' % self.tokens
        if keystone is not None:
            keystone.add_token(token, 'admin-user', 'p1', ['admin'])
        return token

    def assert_identity_unavailable(self):
        resp, elapsed = self._get(self._new_token())
        self.assertEqual(503, resp.status_code, resp.text)
        self.assertLess(elapsed, BOUND)
        self.assertEqual('application/json', resp.headers['Content-Type'])
        fault = resp.json()['serviceUnavailable']
        self.assertEqual(503, fault['code'])
        self.assertIn('identity service (keystone)', fault['message'])
        for markup in ('<', '>', '\n', 'http://'):
            self.assertNotIn(markup, fault['message'])
        self.assertEqual('5', resp.headers.get('Retry-After'))
        self.assertTrue(resp.headers.get('x-openstack-request-id'))
        return elapsed

    def assert_served(self, keystone, token=None):
        resp, _elapsed = self._get(token or self._new_token(keystone))
        self.assertEqual(200, resp.status_code, resp.text)

    def test_dead_then_working(self):
        self.assert_identity_unavailable()
        self.assert_served(self._keystone())

    def test_black_hole_then_working(self):
        hole = self._black_hole()
        self.assert_identity_unavailable()
        # NOTE: the failed calls are not remembered: a working endpoint
        # serves the next request, without restarting the API.
        hole.stop()
        self.assert_served(self._keystone())

    def test_working_then_hung_then_working(self):
        # NOTE: the service's own token and the identity endpoint are
        # known by then, so a hung keystone costs the retried validation.
        keystone = self._keystone()
        cached = self._new_token(keystone)
        self.assert_served(keystone, cached)
        keystone.stop()
        hole = self._black_hole()
        elapsed = self.assert_identity_unavailable()
        # NOTE: the validation was attempted with the default timeout and
        # retry: fewer attempts would answer sooner.
        self.assertGreater(
            elapsed, (keystone_conf.HTTP_REQUEST_MAX_RETRIES + 1) *
            keystone_conf.HTTP_CONNECT_TIMEOUT - SLACK_SECONDS)
        # NOTE: a token validated before the outage is served from
        # keystonemiddleware's token cache ([keystone_authtoken]
        # token_cache_time), without asking keystone.
        self.assert_served(keystone, cached)
        hole.stop()
        self.assert_served(self._keystone())

    def test_working_then_dead_then_working(self):
        keystone = self._keystone()
        self.assert_served(keystone)
        keystone.stop()
        self.assert_identity_unavailable()
        self.assert_served(self._keystone())
