"""FaultWrapper and the auth middleware, in isolation."""

from keystoneauth1 import exceptions as ksa_exc
from keystonemiddleware import auth_token
from oslo_db import exception as db_exc
from oslo_middleware import http_proxy_to_wsgi
import sqlalchemy.exc
import webob
import webob.dec
import webob.exc

from cinder_backup_reset.api.middleware import auth
from cinder_backup_reset.api.middleware import fault
from cinder_backup_reset.api import resource
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base


def _raising(exc):
    @webob.dec.wsgify
    def app(req):
        raise exc
    return app


def _answering(status, body, content_type):
    @webob.dec.wsgify
    def app(req):
        return webob.Response(status=status, body=body,
                              content_type=content_type)
    return app


class TestFaultWrapper(base.TestCase):

    def _call(self, app):
        req = webob.Request.blank('/v3/backups')
        req.environ['openstack.request_id'] = 'req-1234'
        return req.get_response(fault.FaultWrapper(app))

    def test_our_exceptions_keep_code_and_message(self):
        resp = self._call(_raising(exception.BackupNotFound(backup_id='b')))
        self.assertEqual(404, resp.status_int)
        self.assertEqual({'itemNotFound': {
            'code': 404, 'message': 'Backup b could not be found.'}},
            resp.json)
        self.assertEqual('req-1234', resp.headers['x-compute-request-id'])

    def test_unexpected_error_is_500_without_internals(self):
        resp = self._call(_raising(RuntimeError('password=hunter2 at x.py')))
        self.assertEqual(500, resp.status_int)
        message = resp.json['computeFault']['message']
        self.assertNotIn('hunter2', message)
        self.assertNotIn('RuntimeError', message)

    def test_database_unreachable_is_503(self):
        resp = self._call(_raising(db_exc.DBConnectionError('gone')))
        self.assert_unavailable(resp, 'database is unreachable')

    def assert_unavailable(self, resp, *words):
        self.assertEqual(503, resp.status_int, resp.body)
        self.assertEqual(['serviceUnavailable'], list(resp.json))
        message = resp.json['serviceUnavailable']['message']
        for word in words:
            self.assertIn(word, message)
        for markup in ('<', '\n', 'http://'):
            self.assertNotIn(markup, message)
        self.assertEqual('5' if 'busy' not in message else '1',
                         resp.headers['Retry-After'])
        self.assertEqual('req-1234', resp.headers['x-compute-request-id'])
        return message

    def test_every_keystoneauth_failure_is_503_naming_keystone(self):
        url = 'http://keystone.internal:5000/v3/auth/tokens'
        for exc, what in (
                (ksa_exc.ConnectTimeout('Request to %s timed out' % url),
                 'did not answer in time'),
                (ksa_exc.RequestTimeout(), 'did not answer in time'),
                (ksa_exc.ConnectFailure('Unable to establish connection '
                                        'to %s' % url), 'cannot be reached'),
                (ksa_exc.SSLError('SSL exception connecting to %s' % url),
                 'cannot be reached'),
                (ksa_exc.DiscoveryFailure('Could not find versioned '
                                          'identity endpoints'),
                 'version discovery'),
                (ksa_exc.EndpointNotFound(), 'catalog'),
                (ksa_exc.InternalServerError(), 'answered with an error'),
                (auth_token.ServiceError('Failed to fetch token data'),
                 'answered with an error')):
            resp = self._call(_raising(exc))
            self.assert_unavailable(resp, 'identity service (keystone)',
                                    what, 'nothing was changed')

    def test_keystonemiddleware_503_becomes_plain_503_with_retry_after(self):
        # NOTE: what keystonemiddleware answers when it cannot reach
        # keystone: webob's page around its text, no Retry-After.
        for accept in ('application/json', 'text/html', None):
            exc = webob.exc.HTTPServiceUnavailable(
                'The Keystone service is temporarily unavailable.')
            app = webob.dec.wsgify(lambda req, exc=exc: exc)
            req = webob.Request.blank('/v3/backups')
            req.environ['openstack.request_id'] = 'req-1234'
            if accept:
                req.accept = accept
            resp = req.get_response(fault.FaultWrapper(app))
            self.assert_unavailable(resp, 'identity service (keystone)')

    def test_other_library_503_is_plain_with_retry_after(self):
        resp = self._call(_answering(
            '503 Service Unavailable',
            b'<html><body>Backend <b>down</b><br /><br />\n</body></html>',
            'text/html'))
        self.assert_unavailable(resp, 'depends on')

    def test_our_503_has_retry_after(self):
        resp = self._call(_raising(exception.ServiceUnavailable(
            reason='the backup storage is not mounted')))
        self.assert_unavailable(resp, 'backup storage')

    def test_commit_in_doubt_has_retry_after(self):
        resp = self._call(_raising(exception.DatabaseCommitInDoubt(
            backup_id='b1', request_id='req-9')))
        self.assert_unavailable(resp, 'database', 'req-9')

    def test_no_free_database_connection_is_503(self):
        resp = self._call(_raising(sqlalchemy.exc.TimeoutError(
            'QueuePool limit of size 5 overflow 10 reached')))
        message = self.assert_unavailable(resp, 'database')
        self.assertNotIn('QueuePool', message)

    def test_value_the_database_refuses_is_400(self):
        resp = self._call(_raising(db_exc.DBDataError(
            "(1366, \"Incorrect string value: '\\xF0\\x9F...'\")")))
        self.assertEqual(400, resp.status_int)
        self.assertIn('nothing was changed',
                      resp.json['badRequest']['message'])

    def test_sqlite_busy_is_503(self):
        resp = self._call(_raising(db_exc.DBError(
            'sqlite3.OperationalError: database is locked')))
        self.assert_unavailable(resp, 'database is busy')

    def test_library_html_error_becomes_fault_json(self):
        resp = self._call(_answering('413 Request Entity Too Large',
                                     b'<html>too big</html>', 'text/html'))
        self.assertEqual(413, resp.status_int)
        self.assertIn('max_request_body_size',
                      resp.json['overLimit']['message'])

    def test_keystonemiddleware_error_becomes_fault_json(self):
        resp = self._call(_answering(
            '401 Unauthorized',
            b'{"error": {"code": 401, "title": "Unauthorized", '
            b'"message": "The request you have made requires '
            b'authentication."}}', 'application/json'))
        self.assertEqual(
            {'unauthorized': {'code': 401, 'message': 'The request you have '
                              'made requires authentication.'}}, resp.json)

    def test_webob_exception_names(self):
        for exc, name in ((webob.exc.HTTPConflict(), 'conflictingRequest'),
                          (webob.exc.HTTPServiceUnavailable(),
                           'serviceUnavailable'),
                          (webob.exc.HTTPNotImplemented(),
                           'notImplemented')):
            resp = self._call(_raising(exc))
            self.assertIn(name, resp.json)


class TestNoAuth(base.TestCase):

    def _context(self, token):
        seen = {}

        @webob.dec.wsgify(RequestClass=resource.Request)
        def app(req):
            seen['ctx'] = req.context
            return webob.Response()

        req = webob.Request.blank('/')
        if token is not None:
            req.headers['X-Auth-Token'] = token
        resp = req.get_response(auth.NoAuthMiddleware(app))
        return resp, seen.get('ctx')

    def test_admin_user_is_admin(self):
        _resp, ctx = self._context('admin:p9')
        self.assertEqual(('admin', 'p9', True),
                         (ctx.user_id, ctx.project_id, ctx.is_admin))

    def test_other_users_are_member_and_reader(self):
        _resp, ctx = self._context('alice')
        self.assertEqual(('alice', 'alice', False),
                         (ctx.user_id, ctx.project_id, ctx.is_admin))
        self.assertEqual({'member', 'reader'}, set(ctx.roles))

    def test_no_or_empty_token_is_401(self):
        for token in (None, '', ':', ':p1'):
            resp, ctx = self._context(token)
            self.assertEqual(401, resp.status_int, token)
            self.assertIsNone(ctx)
            self.assertIn('unauthorized', resp.json)


class TestProxyHeaders(base.TestCase):
    """oslo.middleware's http_proxy_to_wsgi, as the paste file loads it."""

    def _app(self):
        @webob.dec.wsgify
        def app(req):
            return webob.Response(text=req.application_url)
        return app

    def _url(self, pipeline):
        req = webob.Request.blank('/v3/')
        req.headers['X-Forwarded-Proto'] = 'https'
        return req.get_response(pipeline).text

    def _filter(self, **local_conf):
        return http_proxy_to_wsgi.HTTPProxyToWSGI.factory(
            {}, **local_conf)(self._app())

    def test_headers_ignored_by_default(self):
        self.assertEqual('http://localhost', self._url(self._filter()))

    def test_enabled_in_the_configuration(self):
        self.conf.register_opts(http_proxy_to_wsgi.OPTS,
                                group='oslo_middleware')
        self.conf_fixture.config(enable_proxy_headers_parsing=True,
                                 group='oslo_middleware')
        self.assertTrue(self._url(self._filter()).startswith('https://'))

    def test_enabled_in_the_paste_file(self):
        self.assertTrue(self._url(self._filter(
            enable_proxy_headers_parsing='true')).startswith('https://'))
