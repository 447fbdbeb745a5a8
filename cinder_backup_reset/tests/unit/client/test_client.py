#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Tests of cinder_backup_reset.client.Client against a fake transport."""

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1 import identity
from keystoneauth1 import session
import requests
import requests_mock
import testtools

from cinder_backup_reset import client
from cinder_backup_reset.client import exceptions
from cinder_backup_reset.tests.unit.client import base

AUTH_URL = 'http://keystone.example.com/identity/v3'


def _password():
    return identity.V3Password(auth_url=AUTH_URL, username='u',
                               password='p', project_id='p',
                               user_domain_id='default')


class TestGet(base.TestCase):

    def test_get_sends_json_and_noauth_headers(self):
        self.mock('GET', 'backups/%s' % base.BACKUP_ID,
                  json={'backup': base.fake_backup()})
        c = self.make_client('alice', 'p1')
        backup = c.get(base.BACKUP_ID)
        self.assertEqual('nightly', backup['name'])
        req = self.requests.last_request
        self.assertEqual('application/json', req.headers['Accept'])
        self.assertEqual('alice:p1', req.headers['X-Auth-Token'])
        self.assertEqual('alice', req.headers['x-user-id'])
        self.assertEqual('p1', req.headers['x-project-id'])
        self.assertIn('cinder-backup-reset', req.headers['User-Agent'])
        self.assertEqual(base.REQ_ID, c.last_request_id)

    def test_endpoint_override(self):
        self.requests.get('http://other:8776/v3/p1/backups/x',
                          json={'backup': {'id': 'x'}})
        auth = client.noauth.NoAuthPlugin('u', 'p1', endpoint=base.ENDPOINT)
        c = client.Client(session.Session(auth=auth),
                          endpoint_override='http://other:8776/v3/p1')
        self.assertEqual('x', c.get('x')['id'])


class TestList(base.TestCase):

    def test_filters(self):
        self.mock('GET', 'backups/detail', json={'backups': []})
        self.assertEqual([], self.make_client().list(
            all_projects=True, name='n', status='creating'))
        qs = self.requests.last_request.qs
        self.assertEqual({'all_tenants': ['1'], 'name': ['n'],
                          'status': ['creating']}, qs)

    def test_summary_list(self):
        self.mock('GET', 'backups', json={'backups': [{'id': 'a'}]})
        self.assertEqual([{'id': 'a'}],
                         self.make_client().list(detailed=False))

    def test_follows_next_links(self):
        pages = [
            {'backups': [base.fake_backup('a')], 'backups_links': [
                {'rel': 'next', 'href': 'http://internal:9/v3/backups/'
                 'detail?all_tenants=1&marker=a'}]},
            {'backups': [base.fake_backup('b')], 'backups_links': [
                {'rel': 'next', 'href': '%s/backups/detail?marker=b'
                 % base.ENDPOINT}]},
            {'backups': [base.fake_backup('c')]},
        ]
        self.mock('GET', 'backups/detail',
                  response_list=[{'json': p} for p in pages])
        backups = self.make_client().list(all_projects=True)
        self.assertEqual(['a', 'b', 'c'], [b['id'] for b in backups])
        history = self.requests.request_history
        self.assertEqual(3, len(history))
        # NOTE: the host of the next link is not followed, only its marker.
        self.assertEqual('fake.example.com', history[1].hostname)
        self.assertEqual(['a'], history[1].qs['marker'])
        self.assertEqual(['1'], history[2].qs['all_tenants'])
        self.assertEqual(['b'], history[2].qs['marker'])

    def test_limit_stops_paging(self):
        page = {'backups': [base.fake_backup('a'), base.fake_backup('b')],
                'backups_links': [{'rel': 'next',
                                   'href': 'x?marker=b'}]}
        self.mock('GET', 'backups/detail', json=page)
        backups = self.make_client().list(limit=2)
        self.assertEqual(2, len(backups))
        self.assertEqual(1, self.requests.call_count)
        self.assertEqual(['2'], self.requests.last_request.qs['limit'])

    def test_repeated_marker_ends_walk(self):
        page = {'backups': [base.fake_backup('a')],
                'backups_links': [{'rel': 'next', 'href': 'x?marker=a'}]}
        self.mock('GET', 'backups/detail', json=page)
        self.assertEqual(2, len(self.make_client().list()))
        self.assertEqual(2, self.requests.call_count)


class TestFind(base.TestCase):

    def test_uuid_gets_by_id(self):
        self.mock('GET', 'backups/%s' % base.BACKUP_ID,
                  json={'backup': base.fake_backup()})
        self.assertEqual(base.BACKUP_ID,
                         self.make_client().find(base.BACKUP_ID)['id'])
        self.assertEqual(1, self.requests.call_count)

    def test_uuid_not_found_falls_back_to_name(self):
        self.mock('GET', 'backups/%s' % base.BACKUP_ID, status=404,
                  json=base.fault('itemNotFound', 404, 'not found'))
        named = base.fake_backup(base.BACKUP_ID2, name=base.BACKUP_ID)
        self.mock('GET', 'backups/detail', json={'backups': [named]})
        found = self.make_client().find(base.BACKUP_ID)
        self.assertEqual(base.BACKUP_ID2, found['id'])
        self.assertEqual({'all_tenants': ['1'], 'name': [base.BACKUP_ID]},
                         self.requests.last_request.qs)

    def test_name_exact_match_only(self):
        self.mock('GET', 'backups/detail', json={'backups': [
            base.fake_backup('a', name='nightly'),
            base.fake_backup('b', name='nightly-old')]})
        self.assertEqual('a', self.make_client().find('nightly')['id'])

    def test_none(self):
        self.mock('GET', 'backups/detail', json={'backups': []})
        exc = self.assertRaises(exceptions.NotFound,
                                self.make_client().find, 'ghost')
        self.assertEqual("No backup with a name or ID of 'ghost' exists.",
                         str(exc))

    def test_several(self):
        self.mock('GET', 'backups/detail', json={'backups': [
            base.fake_backup('b', name='dup'),
            base.fake_backup('a', name='dup')]})
        exc = self.assertRaises(exceptions.NoUniqueMatch,
                                self.make_client().find, 'dup')
        self.assertEqual("Multiple backups are named 'dup' (a, b); use an "
                         "ID.", str(exc))
        self.assertIsInstance(exc, exceptions.ClientException)


class TestResetState(base.TestCase):

    def test_minimal_body(self):
        self.mock('POST', 'backups/%s/action' % base.BACKUP_ID, status=202,
                  json={'backup_reset': base.fake_reset()})
        result = self.make_client().reset_state(base.BACKUP_ID, 'available')
        self.assertEqual({'backup-reset_status': {'status': 'available'}},
                         self.requests.last_request.json())
        self.assertEqual('application/json',
                         self.requests.last_request.headers['Content-Type'])
        self.assertEqual('creating', result['from_status'])
        self.assertTrue(result['applied'])

    def test_all_options_and_backup_dict(self):
        self.mock('POST', 'backups/%s/action' % base.BACKUP_ID, status=202,
                  json={'backup_reset': base.fake_reset(dry_run=True)})
        self.make_client().reset_state(
            base.fake_backup(), 'error', reason='db outage',
            expected_status='creating', dry_run=True)
        self.assertEqual({'backup-reset_status': {
            'status': 'error', 'reason': 'db outage',
            'expected_status': 'creating', 'dry_run': True}},
            self.requests.last_request.json())

    def test_conflict(self):
        self.mock('POST', 'backups/%s/action' % base.BACKUP_ID, status=409,
                  json=base.fault('conflictingRequest', 409,
                                  'Backup status changed to available.'))
        exc = self.assertRaises(exceptions.Conflict,
                                self.make_client().reset_state,
                                base.BACKUP_ID, 'error')
        self.assertEqual(409, exc.code)
        self.assertEqual(base.REQ_ID, exc.request_id)
        self.assertEqual('Backup status changed to available.', exc.message)

    def test_verification_failed(self):
        self.mock('POST', 'backups/%s/action' % base.BACKUP_ID, status=400,
                  json=base.fault('badRequest', 400,
                                  'Verification failed: object missing.'))
        self.assertRaises(exceptions.BadRequest,
                          self.make_client().reset_state,
                          base.BACKUP_ID, 'available')


class TestStatusHistory(base.TestCase):

    def test_history(self):
        entries = [{'id': 2, 'from_status': 'creating',
                    'to_status': 'available'}]
        self.mock('GET', 'backups/%s/status-history' % base.BACKUP_ID,
                  json={'status_history': entries})
        self.assertEqual(entries, self.make_client().status_history(
            base.fake_backup()))


class TestErrors(base.TestCase):

    def _get_error(self, status, body=None, headers=None, **kw):
        self.mock('GET', 'backups/x', status=status, json=body,
                  headers=headers, **kw)
        return self.assertRaises(exceptions.ClientException,
                                 self.make_client().get, 'x')

    def test_status_classes(self):
        for status, cls in [(400, exceptions.BadRequest),
                            (401, exceptions.Unauthorized),
                            (403, exceptions.Forbidden),
                            (404, exceptions.NotFound),
                            (409, exceptions.Conflict),
                            (413, exceptions.OverLimit),
                            (415, exceptions.UnsupportedMediaType),
                            (500, exceptions.ServerError),
                            (503, exceptions.ServiceUnavailable),
                            (502, exceptions.ServerError),
                            (418, exceptions.HttpError)]:
            exc = self._get_error(status, base.fault('x', status, 'm'))
            self.assertIs(cls, type(exc), status)
            self.assertEqual(status, exc.code)

    def test_fault_message_code_request_id(self):
        exc = self._get_error(403, base.fault(
            'forbidden', 403, "Policy doesn't allow reset."))
        self.assertEqual("Policy doesn't allow reset. (HTTP 403) "
                         "(Request-ID: %s)" % base.REQ_ID, str(exc))

    def test_compute_request_id_header(self):
        self.mock('GET', 'backups/y', status=404,
                  json=base.fault('itemNotFound', 404, 'gone'),
                  headers={'x-openstack-request-id': '',
                           'x-compute-request-id': 'req-c'})
        exc = self.assertRaises(exceptions.NotFound,
                                self.make_client().get, 'y')
        self.assertEqual('req-c', exc.request_id)

    def test_webob_shape(self):
        exc = self._get_error(404, {'code': '404 Not Found', 'title': 'Not',
                                    'message': 'The resource could not be '
                                               'found.'})
        self.assertEqual('The resource could not be found.', exc.message)

    def test_text_body_is_one_line(self):
        exc = self._get_error(502, text='<html>\n Bad\n gateway</html>')
        self.assertEqual('<html> Bad gateway</html> (HTTP 502) '
                         '(Request-ID: %s)' % base.REQ_ID, str(exc))

    def test_empty_body_uses_reason(self):
        exc = self._get_error(503, headers={'x-openstack-request-id': ''},
                              reason='Service Unavailable')
        self.assertEqual('Service Unavailable (HTTP 503)', str(exc))

    def test_connection_failed(self):
        self.requests.get('%s/backups/x' % base.ENDPOINT,
                          exc=requests.exceptions.ConnectionError(
                              "NewConnectionError('[Errno 111] Connection "
                              "refused')"))
        exc = self.assertRaises(exceptions.ConnectionFailed,
                                self.make_client().get, 'x')
        self.assertEqual('Unable to establish connection to %s/backups/x: '
                         'Connection refused' % base.ENDPOINT, str(exc))
        self.assertIsNone(exc.code)


class TestKeystoneAuth(base.TestCase):
    """Any keystoneauth plugin works: password auth and the catalog."""

    def _client(self, service_type):
        token = ks_fixture.V3Token()
        token.set_project_scope()
        svc = token.add_service(service_type)
        svc.add_standard_endpoints(public='http://cinder.example.com/v3/p')
        self.requests.post(AUTH_URL + '/auth/tokens', json=token,
                           headers={'X-Subject-Token': 'tok'})
        auth = _password()
        return client.Client(session.Session(auth=auth))

    def test_catalog_alias_and_token(self):
        self.requests.get('http://cinder.example.com/v3/p/backups/b',
                          json={'backup': {'id': 'b'}})
        self.assertEqual('b', self._client('volumev3').get('b')['id'])
        self.assertEqual('tok',
                         self.requests.last_request.headers['X-Auth-Token'])

    def test_keystone_rejects(self):
        self.requests.post(AUTH_URL + '/auth/tokens', status_code=401,
                           json={'error': {'code': 401,
                                           'message': 'bad password'}},
                           headers={'x-openstack-request-id': 'req-k'})
        auth = _password()
        c = client.Client(session.Session(auth=auth))
        exc = self.assertRaises(exceptions.Unauthorized, c.get, 'b')
        self.assertEqual(401, exc.code)
        self.assertEqual('req-k', exc.request_id)

    def test_no_endpoint_in_catalog(self):
        exc = self.assertRaises(exceptions.EndpointNotFound,
                                self._client('compute').get, 'b')
        self.assertIsNone(exc.code)


class TestFromKeystoneauth(testtools.TestCase):
    """keystoneauth1's exceptions become the client's, same messages."""

    def _response(self, status, body=None, headers=None):
        request = requests.Request('GET', 'http://h/v3/backups/x').prepare()
        return requests_mock.create_response(
            request, status_code=status, json=body, headers=headers or {},
            reason='Reason %d' % status)

    def test_http_errors_from_keystoneauth_parsing(self):
        resp = self._response(
            409, base.fault('conflictingRequest', 409, 'changed'),
            headers={'x-openstack-request-id': 'req-1'})
        ks = ks_exc.from_response(resp, 'POST', 'http://h/v3/backups/x')
        self.assertIsInstance(ks, ks_exc.Conflict)
        exc = exceptions.from_keystoneauth(ks)
        self.assertIs(exceptions.Conflict, type(exc))
        self.assertEqual('changed (HTTP 409) (Request-ID: req-1)', str(exc))
        self.assertEqual(('POST', 'http://h/v3/backups/x'),
                         (exc.method, exc.url))

    def test_keystone_error_shape(self):
        resp = self._response(401, {'error': {'code': 401, 'title': 'U',
                                              'message': 'bad token'}})
        exc = exceptions.from_keystoneauth(
            ks_exc.from_response(resp, 'GET', 'u'))
        self.assertEqual('bad token (HTTP 401)', str(exc))
        self.assertIsInstance(exc, exceptions.Unauthorized)

    def test_http_error_without_response(self):
        exc = exceptions.from_keystoneauth(ks_exc.ServiceUnavailable(
            message='down', request_id='req-2'))
        self.assertEqual('down (HTTP 503) (Request-ID: req-2)', str(exc))
        self.assertIsInstance(exc, exceptions.ServiceUnavailable)

    def test_connection_errors(self):
        for ks in (ks_exc.ConnectFailure('Unable to establish connection '
                                         'to http://h:1/v3/backups: '
                                         "[Errno 111] Connection refused'"),
                   ks_exc.ConnectTimeout('Request to http://h timed out'),
                   ks_exc.SSLError('SSL exception connecting to h')):
            exc = exceptions.from_keystoneauth(ks)
            self.assertIs(exceptions.ConnectionFailed, type(exc), ks)
            self.assertIsNone(exc.code)
        self.assertEqual(
            'Unable to establish connection to http://h:1/v3/backups: '
            'Connection refused', exceptions.from_keystoneauth(
                ks_exc.ConnectFailure(
                    'Unable to establish connection to http://h:1/v3/'
                    "backups: [Errno 111] Connection refused'")).message)
        self.assertEqual('Request to http://h timed out',
                         exceptions.from_keystoneauth(
                             ks_exc.ConnectTimeout(
                                 'Request to http://h timed out')).message)

    def test_catalog_and_plugin_errors(self):
        exc = exceptions.from_keystoneauth(
            ks_exc.EndpointNotFound('no block-storage here'))
        self.assertEqual((exceptions.EndpointNotFound,
                          'no block-storage here'), (type(exc), str(exc)))
        exc = exceptions.from_keystoneauth(
            ks_exc.NoMatchingPlugin('bogus'))
        self.assertEqual((exceptions.AuthPluginError,
                          'The plugin bogus could not be found'),
                         (type(exc), str(exc)))
