"""The keystone pipeline: keystonemiddleware auth_token + KeystoneContext.

keystonemiddleware's AuthTokenFixture stands in for keystone: tokens it
knows are valid, any other token is refused by the real middleware.
"""

from keystonemiddleware import fixture as ksm_fixture
import webob

from cinder_backup_reset import exception
from cinder_backup_reset.tests import base
from cinder_backup_reset.tests import fixtures
from cinder_backup_reset import wsgi


class TestKeystonePipeline(base.TestCase):

    def setUp(self):
        super().setUp()
        self.conf_fixture.config(auth_strategy='keystone')
        fixtures.register_keystone_password_opts(self.conf_fixture)
        self.conf_fixture.config(delay_auth_decision=False,
                                 group='keystone_authtoken',
                                 **fixtures.KEYSTONE_SERVICE_USER)
        self.tokens = self.useFixture(ksm_fixture.AuthTokenFixture())
        self.admin_token = self._token(['admin', 'member', 'reader'])
        self.member_token = self._token(['member', 'reader'])
        self.app = wsgi.load_app(self.conf)
        self.backup = self.create_backup(status='creating')

    def _token(self, roles):
        token = 'tok-%s' % '-'.join(roles)
        self.tokens.add_token_data(token_id=token, user_id='u-' + roles[0],
                                   project_id='p1', role_list=roles)
        return token

    def _post_reset(self, token=None, status='error'):
        req = webob.Request.blank(
            '/v3/p1/backups/%s/action' % self.backup.id, method='POST')
        req.content_type = 'application/json'
        req.json_body = {'os-reset_status': {'status': status}}
        if token:
            req.headers['X-Auth-Token'] = token
        return req.get_response(self.app)

    def test_admin_token_resets(self):
        resp = self._post_reset(self.admin_token)
        self.assertEqual(202, resp.status_int, resp.body)
        self.assertEqual('error', self.get_backup(self.backup.id).status)
        self.assertTrue(resp.headers['x-openstack-request-id'])

    def test_member_token_is_forbidden(self):
        resp = self._post_reset(self.member_token)
        self.assertEqual(403, resp.status_int)
        self.assertIn('reset_status', resp.json['forbidden']['message'])
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_no_token_is_401_fault(self):
        resp = self._post_reset(None)
        self.assertEqual(401, resp.status_int)
        self.assertEqual(401, resp.json['unauthorized']['code'])
        self.assertIn('WWW-Authenticate', resp.headers)

    def test_unknown_token_is_401_fault(self):
        resp = self._post_reset('not-a-token')
        self.assertEqual(401, resp.status_int)
        self.assertIn('unauthorized', resp.json)
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_versions_need_no_token(self):
        for path, code in (('/', 300), ('/v3/', 200)):
            resp = webob.Request.blank(path).get_response(self.app)
            self.assertEqual(code, resp.status_int, path)


class TestKeystoneWithoutServiceUser(base.TestCase):
    """keystonemiddleware without credentials: start-up refused."""

    def setUp(self):
        super().setUp()
        self.conf_fixture.config(auth_strategy='keystone')
        fixtures.register_keystone_password_opts(self.conf_fixture)
        self.conf_fixture.config(
            www_authenticate_uri='http://127.0.0.1:5000/v3',
            group='keystone_authtoken')

    def test_refused_with_what_to_set(self):
        exc = self.assertRaises(exception.KeystoneNotConfigured,
                                wsgi.load_app, self.conf)
        self.assertIn('[keystone_authtoken] auth_type', str(exc))

    def test_auth_type_in_the_paste_file_counts(self):
        # NOTE: keystonemiddleware reads its filter's paste options before
        # the config file's.
        tmp = self.useFixture(__import__('fixtures').TempDir()).path
        with open(wsgi.service.find_paste_config(self.conf)) as f:
            paste = f.read()
        marker = 'use = egg:keystonemiddleware#auth_token\n'
        self.assertIn(marker, paste)
        options = ''.join('%s = %s\n' % item for item in
                          fixtures.KEYSTONE_SERVICE_USER.items())
        path = tmp + '/api-paste.ini'
        with open(path, 'w') as f:
            f.write(paste.replace(marker, marker + options))
        self.conf_fixture.config(api_paste_config=path)
        self.assertIsNotNone(wsgi.load_app(self.conf))

    def test_noauth_is_not_checked(self):
        self.conf_fixture.config(auth_strategy='noauth')
        self.assertIsNotNone(wsgi.load_app(self.conf))
