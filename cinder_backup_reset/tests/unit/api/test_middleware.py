"""FaultWrapper and the auth middleware, in isolation."""

from oslo_db import exception as db_exc
from oslo_middleware import http_proxy_to_wsgi
import webob
import webob.dec
import webob.exc

from cinder_backup_reset.api.middleware import auth
from cinder_backup_reset.api.middleware import fault
from cinder_backup_reset.api import wsgi
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
        self.assertEqual(503, resp.status_int)
        self.assertIn('serviceUnavailable', resp.json)
        self.assertTrue(resp.headers['Retry-After'])

    def test_value_the_database_refuses_is_400(self):
        resp = self._call(_raising(db_exc.DBDataError(
            "(1366, \"Incorrect string value: '\\xF0\\x9F...'\")")))
        self.assertEqual(400, resp.status_int)
        self.assertIn('nothing was changed',
                      resp.json['badRequest']['message'])

    def test_sqlite_busy_is_503(self):
        resp = self._call(_raising(db_exc.DBError(
            'sqlite3.OperationalError: database is locked')))
        self.assertEqual(503, resp.status_int)

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

        @webob.dec.wsgify(RequestClass=wsgi.Request)
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
