"""Hostile input: hypothesis-generated requests through the real pipeline.

Attacks input handling from the outermost middleware to the DB API:
methods, paths (traversal, encodings, junk ids, project ids), query
strings, headers (tokens, content types, API versions, request ids,
proxy headers) and bodies (valid-looking actions with wrong types,
arbitrary JSON, raw bytes).

Invariants: never a 5xx; every answer carries a request id; an error
answer is Cinder's fault JSON; and a rejected request changes nothing in
the database (backups, metadata and history tables compared before and
after) and sends no notification. The one rejection that writes by
design, a failed verification (400), may only set its backup to
``error`` and add one history row.

``CBR_FUZZ_EXAMPLES`` sets the number of examples (default 300; the
``fuzz`` tox environment runs 5000).
"""

import json
import os
from urllib import parse

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
import testtools

from cinder_backup_reset.tests.functional.reliability import inprocess

EXAMPLES = int(os.environ.get('CBR_FUZZ_EXAMPLES', 300))
STATUSES = ('available', 'error', 'creating', 'restoring', 'deleting',
            'error_deleting', 'deleted', 'AVAILABLE', 'Error', '')
#: NOTE: latin-1 without control characters: what a WSGI header can hold.
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=255),
                      max_size=80)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() |
    st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) |
    st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12)


def _segment(ids):
    raw = st.one_of(st.text(max_size=40), st.binary(max_size=20))
    return st.one_of(
        st.sampled_from(ids),
        st.sampled_from(['..', '.', '%2e%2e', '%00', 'detail', 'action',
                         'status-history', 'a' * 300, '-1', "' OR 1=1 --",
                         '%s' % ('9' * 40), 'p1', 'p2', 'v3', 'v2']),
        raw.map(lambda value: parse.quote(value, safe='')))


def _paths(ids):
    prefixes = st.sampled_from(['', '/v3', '/v2', '/v3/p1', '/v3/p2',
                                '/v2/p1', '/v3/admin', '/v1', '/v3/',
                                '//v3', '/healthcheck', '/v3/p1/'])
    collections = st.sampled_from(['/backups', '/extensions', '', '/volumes',
                                   '/backups/detail', '/BACKUPS'])
    suffixes = st.lists(_segment(ids), max_size=3).map(
        lambda parts: ''.join('/' + p for p in parts))
    queries = st.one_of(
        st.just(''),
        st.dictionaries(st.sampled_from(['limit', 'marker', 'sort_key',
                                         'sort_dir', 'all_tenants', 'name',
                                         'status', 'volume_id', 'x']),
                        st.text(max_size=20), max_size=3).map(
            lambda q: '?' + parse.urlencode(q)),
        st.text(max_size=30).map(lambda q: '?' + parse.quote(q, safe='=&')))
    return st.tuples(prefixes, collections, suffixes, queries).map(''.join)


def _action_bodies():
    args = st.fixed_dictionaries({}, optional={
        'status': st.one_of(st.sampled_from(STATUSES), JSON),
        'expected_status': st.one_of(st.sampled_from(STATUSES), JSON),
        'reason': st.one_of(st.text(max_size=300), JSON),
        'dry_run': st.one_of(st.booleans(), JSON),
        'extra': JSON})
    key = st.sampled_from(['backup-reset_status', 'os-reset_status',
                           'os-force_delete', 'restore'])
    return st.one_of(
        st.builds(lambda k, a: {k: a}, key, args),
        st.builds(lambda k, a: {k: a}, key, JSON),
        JSON)


def _bodies():
    encoded = _action_bodies().map(
        lambda body: json.dumps(body).encode('utf-8'))
    return st.one_of(st.none(), encoded, st.binary(max_size=200),
                     st.text(max_size=100).map(
                         lambda t: t.encode('utf-8')))


def _headers():
    return st.fixed_dictionaries({}, optional={
        'X-Auth-Token': st.one_of(
            st.sampled_from(['admin:p1', 'member:p1', 'member:p2',
                             'admin:p2', 'admin', ':', ':p1', 'admin:',
                             '', ' ', 'admin:p1:x']),
            HEADER_TEXT),
        'Content-Type': st.one_of(
            st.sampled_from(['application/json', 'text/plain',
                             'application/json; charset=latin-1',
                             'application/vnd.openstack.volume+json',
                             'multipart/form-data; boundary=x', '']),
            HEADER_TEXT),
        'Accept': st.one_of(st.sampled_from(['application/json', '*/*',
                                             'text/html', 'application/xml']),
                            HEADER_TEXT),
        'OpenStack-API-Version': st.one_of(
            st.sampled_from(['volume 3.0', 'volume latest', 'volume 3.99',
                             'volume 2.0', 'volume', 'volume 3.0, compute 2',
                             'volume 03.0', 'volume 3.0.1']),
            HEADER_TEXT),
        'X-Openstack-Request-Id': HEADER_TEXT,
        'X-Forwarded-Proto': HEADER_TEXT,
        'X-Forwarded-Host': HEADER_TEXT,
        'X-Forwarded-Prefix': HEADER_TEXT,
        'Forwarded': HEADER_TEXT,
        'Host': HEADER_TEXT,
        'Content-Length': st.sampled_from(['0', '-1', 'abc', '99999999']),
    })


METHODS = st.one_of(
    st.sampled_from(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD',
                     'OPTIONS', 'TRACE']),
    st.text(st.characters(min_codepoint=33, max_codepoint=126),
            min_size=1, max_size=10))


class TestHostileInput(testtools.TestCase):
    """Random requests never 5xx and a refusal never writes."""

    def setUp(self):
        super().setUp()
        # NOTE: proxy header parsing on, so it is fuzzed too.
        self.api = self.useFixture(inprocess.InProcessAPI(config={
            'oslo_middleware': {'enable_proxy_headers_parsing': True}}))
        self.ids = [self.api.create_backup(s) for s in (
            'creating', 'restoring', 'available', 'error')]
        self.ids.append(self.api.create_backup('creating', project_id='p2'))
        self.ids.append(self.api.create_backup('error', deleted=True))
        # NOTE: one backup the fake backend verifies, so the accepted
        # "-> available" path is reachable too.
        from cinder_backup_reset.backup.drivers import fake
        fake.FakeBackupDriver.outcomes[self.ids[0]] = True
        self.codes = {}

    def _check(self, method, path, headers, body):
        before = self.api.snapshot()
        notified = len(self.api.notifications())
        resp = self.api.request(path, method, headers, body)
        after = self.api.snapshot()
        self.codes[resp.status_int] = self.codes.get(resp.status_int, 0) + 1
        self.assertLess(resp.status_int, 500, resp.body[:500])
        self.assertTrue(resp.headers.get('x-openstack-request-id') or
                        path.startswith('/healthcheck'))
        if resp.status_int < 400:
            return
        if method != 'HEAD' and resp.body:
            fault = json.loads(resp.body)
            self.assertEqual(1, len(fault), fault)
            self.assertEqual(resp.status_int,
                             next(iter(fault.values()))['code'])
        if b'failed verification' in resp.body:
            self._check_verify_failure(before, after)
            return
        self.assertEqual(before, after)
        self.assertEqual(notified, len(self.api.notifications()))

    def _check_verify_failure(self, before, after):
        self.assertEqual(len(before['backup_status_history']) + 1,
                         len(after['backup_status_history']))
        self.assertEqual(before['backup_metadata'], after['backup_metadata'])
        changed = set(after['backups']) - set(before['backups'])
        self.assertEqual(1, len(changed))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow,
                                     HealthCheck.data_too_large])
    @given(data=st.data())
    def test_random_requests(self, data):
        path = data.draw(_paths(self.ids), label='path')
        method = data.draw(METHODS, label='method')
        headers = data.draw(_headers(), label='headers')
        body = data.draw(_bodies(), label='body')
        self._check(method, path, headers, body)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(data=st.data())
    def test_random_actions(self, data):
        """Well-formed requests with hostile action bodies and tokens."""
        backup_id = data.draw(st.sampled_from(self.ids), label='backup')
        project = data.draw(st.sampled_from(['p1', 'p2', None]))
        token = data.draw(st.sampled_from(['admin:p1', 'member:p1',
                                           'admin:p2', 'reader:p1']))
        body = data.draw(_action_bodies(), label='body')
        path = '/v3%s/backups/%s/action' % (
            '/' + project if project else '', backup_id)
        self._check('POST', path, {'X-Auth-Token': token,
                                   'Content-Type': 'application/json'},
                    json.dumps(body).encode('utf-8'))
