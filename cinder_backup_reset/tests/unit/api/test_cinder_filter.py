"""The backup_reset paste filter for cinder-api, with a stand-in Cinder.

The application below the filter records what it received, so each test
can check that a request the filter does not own reaches "Cinder" exactly
as it was sent; Cinder's request context is a plain object with Cinder's
attribute names (the package never imports cinder).
"""

import os
import types
from unittest import mock

import fixtures
from oslo_db import exception as db_exc
from oslo_serialization import jsonutils
import webob
import webob.dec

from cinder_backup_reset.api.middleware import cinder_filter
from cinder_backup_reset.api import resource
from cinder_backup_reset.api import router as api_router
from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import policy
from cinder_backup_reset.tests import base

PROJECT = 'a1b2c3d4'
REQUEST_ID = 'req-11111111-2222-3333-4444-555555555555'


class Recorder:
    """Cinder's stand-in: remembers the request, answers 299."""

    def __init__(self):
        self.calls = []

    @webob.dec.wsgify
    def __call__(self, req):
        self.calls.append({'method': req.method,
                           'path': req.environ['PATH_INFO'],
                           'body': req.body,
                           'headers': dict(req.headers)})
        return webob.Response(status=299, body=b'from cinder')


def cinder_context(is_admin=True, roles=('admin', 'member', 'reader'),
                   user_id='admin-user', project_id=PROJECT):
    return types.SimpleNamespace(
        user_id=user_id, project_id=project_id, roles=list(roles),
        is_admin=is_admin, request_id=REQUEST_ID,
        global_request_id='req-99999999-2222-3333-4444-555555555555')


class FilterTestCase(base.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.cinder = Recorder()

    def write_conf(self, text):
        path = os.path.join(self.tmp, 'cinder-backup-reset.conf')
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def make_filter(self, extra=''):
        path = self.write_conf(
            '[DEFAULT]\nbackup_driver = fake\n'
            '[database]\nconnection = sqlite://\n' + extra)
        conf = cinder_filter.load_conf(path)
        return cinder_filter.BackupResetFilter(self.cinder, conf)

    def request(self, app, path, method='GET', body=None, ctx=None,
                content_type='application/json'):
        req = webob.Request.blank('/v3', method=method)
        # NOTE: as urlmap leaves it below Cinder's /v3 (raw WSGI strings).
        req.environ.update(SCRIPT_NAME='/v3', PATH_INFO=path)
        if body is not None:
            req.body = (body if isinstance(body, bytes)
                        else jsonutils.dump_as_bytes(body))
            req.content_type = content_type
        req.environ['openstack.request_id'] = REQUEST_ID
        if ctx is not False:
            req.environ['cinder.context'] = ctx or cinder_context()
        return req.get_response(app)


class TestLoadConf(FilterTestCase):

    def test_reads_only_the_named_file(self):
        path = self.write_conf('[DEFAULT]\nbackup_driver = fake\n'
                               '[cinder_filter]\n'
                               'handle_os_reset_status = false\n')
        conf = cinder_filter.load_conf(path)
        self.assertEqual('fake', conf.backup_driver)
        self.assertFalse(conf.cinder_filter.handle_os_reset_status)
        self.assertEqual([path], conf.config_file)

    def test_handles_os_reset_status_by_default(self):
        conf = cinder_filter.load_conf(self.write_conf(''))
        self.assertTrue(conf.cinder_filter.handle_os_reset_status)

    def test_private_conf_leaves_the_global_conf_alone(self):
        conf = cinder_filter.load_conf(self.write_conf(
            '[DEFAULT]\nosapi_max_limit = 7\n'))
        self.assertEqual(7, conf.osapi_max_limit)
        self.assertEqual(1000, self.conf.osapi_max_limit)

    def _refused(self, path):
        exc = self.assertRaises(exception.FilterConfigInvalid,
                                cinder_filter.load_conf, path)
        self.assertNotIn('\n', str(exc))
        return str(exc)

    def test_missing_file(self):
        path = os.path.join(self.tmp, 'nope.conf')
        message = self._refused(path)
        self.assertIn(path, message)
        self.assertIn('no such file', message)

    def test_no_config_file(self):
        self.assertIn('has no config_file', self._refused(None))

    def test_not_an_ini_file(self):
        path = self.write_conf('this is not\n an ini file [\n')
        self.assertIn(path, self._refused(path))

    def test_bad_value(self):
        path = self.write_conf('[DEFAULT]\nosapi_max_limit = many\n')
        message = self._refused(path)
        self.assertIn(path, message)
        self.assertIn('osapi_max_limit', message)

    def test_bad_database_url(self):
        path = self.write_conf('[database]\nconnection = nosuchdb://x/y\n')
        message = self._refused(path)
        self.assertIn(path, message)
        self.assertIn('nosuchdb', message)


class TestFilterFactory(FilterTestCase):

    def test_bad_config_file_stops_start_up_with_one_line(self):
        path = os.path.join(self.tmp, 'missing.conf')
        exc = self.assertRaises(SystemExit, cinder_filter.filter_factory,
                                {}, config_file=path)
        message = str(exc.code)
        self.assertNotIn('\n', message)
        self.assertIn(path, message)

    def test_unknown_backup_driver_stops_start_up(self):
        path = self.write_conf('[DEFAULT]\nbackup_driver = nosuch\n'
                               '[database]\nconnection = sqlite://\n')
        exc = self.assertRaises(SystemExit, cinder_filter.filter_factory,
                                {}, config_file=path)
        self.assertIn(path, str(exc.code))
        self.assertIn('nosuch', str(exc.code))

    def test_policy_reads_the_private_conf(self):
        path = self.write_conf('[DEFAULT]\nbackup_driver = fake\n'
                               '[database]\nconnection = sqlite://\n')
        make = cinder_filter.filter_factory({}, config_file=path)
        app = make(self.cinder)
        self.assertIsInstance(app, cinder_filter.BackupResetFilter)
        self.assertIs(app.conf, policy.init().conf)


class TestPassThrough(FilterTestCase):
    """Requests the filter does not own reach Cinder unchanged."""

    def setUp(self):
        super().setUp()
        self.app = self.make_filter()
        self.backup = self.create_backup(project_id=PROJECT)

    def assert_cinder_got(self, resp, method, path, body=b''):
        self.assertEqual(299, resp.status_int)
        self.assertEqual(b'from cinder', resp.body)
        call = self.cinder.calls[-1]
        self.assertEqual((method, path, body),
                         (call['method'], call['path'], call['body']))
        return call

    def test_reads_and_other_resources(self):
        for path in ('/%s/backups' % PROJECT, '/backups/detail',
                     '/%s/backups/%s' % (PROJECT, self.backup.id),
                     '/%s/volumes/detail' % PROJECT, '/',
                     '/%s/backups/%s/export_record' % (PROJECT,
                                                       self.backup.id)):
            self.assert_cinder_got(self.request(self.app, path), 'GET', path)

    def test_stuck_report_and_bulk_reset_are_ours(self):
        for path in ('/%s/backups?stuck=true' % PROJECT,
                     '/backups/detail?stuck=1'):
            path, _sep, query = path.partition('?')
            req = webob.Request.blank('/v3', method='GET')
            req.environ.update(SCRIPT_NAME='/v3', PATH_INFO=path,
                               QUERY_STRING=query)
            req.environ['openstack.request_id'] = REQUEST_ID
            req.environ['cinder.context'] = cinder_context()
            resp = req.get_response(self.app)
            self.assertEqual(200, resp.status_int, resp.text)
            self.assertIn('backups', resp.json)
        resp = self.request(
            self.app, '/%s/backups/action' % PROJECT, 'POST',
            {'backup-reset_status': {'status': 'error', 'dry_run': True,
                                     'filter': {'stuck': True}}})
        self.assertEqual(200, resp.status_int, resp.text)
        self.assertIn('backup_resets', resp.json)
        self.assertEqual([], self.cinder.calls)
        # NOTE: a bulk body with another key is Cinder's (none exists
        # there; Cinder answers for itself).
        path = '/%s/backups/action' % PROJECT
        body = b'{"os-something": {}}'
        self.assert_cinder_got(self.request(self.app, path, 'POST', body),
                               'POST', path, body)

    def test_other_actions_keep_body_and_headers(self):
        path = '/%s/backups/%s/action' % (PROJECT, self.backup.id)
        body = b'{"os-force_delete": {}}'
        req = webob.Request.blank('/v3' + path, method='POST', body=body)
        req.script_name, req.path_info = '/v3', path
        req.content_type = 'application/json'
        req.headers['X-Custom'] = 'kept'
        req.environ['cinder.context'] = cinder_context()
        resp = req.get_response(self.app)
        call = self.assert_cinder_got(resp, 'POST', path, body)
        self.assertEqual('kept', call['headers']['X-Custom'])
        self.assertEqual(str(len(body)), call['headers']['Content-Length'])

    def test_a_new_backup_action_is_ours_without_a_filter_entry(self):
        class Example(resource.Controller):
            @resource.action('backup-example')
            def example(self, req, id, body):
                return {'example': id}

        conf = self.app.conf
        routes = api_router.APIRouter(conf)
        routes.resources['backups'].register_actions(Example())
        app = cinder_filter.BackupResetFilter(self.cinder, conf,
                                              router=routes)
        self.assertIn('backup-example', app.actions)
        self.assertNotIn('os-force_delete', app.actions)
        path = '/%s/backups/%s/action' % (PROJECT, self.backup.id)
        resp = self.request(app, path, 'POST', {'backup-example': {}})
        self.assertEqual({'example': self.backup.id}, resp.json)
        self.assertEqual([], self.cinder.calls)

    def test_create_and_restore_requests(self):
        for path, body in (
                ('/%s/backups' % PROJECT,
                 b'{"backup": {"volume_id": "v"}}'),
                ('/%s/backups/%s/restore' % (PROJECT, self.backup.id),
                 b'{"restore": {}}')):
            resp = self.request(self.app, path, 'POST', body)
            self.assert_cinder_got(resp, 'POST', path, body)

    def test_bodies_that_are_not_an_owned_action(self):
        path = '/backups/%s/action' % self.backup.id
        for body in (b'not json', b'[1]', b'{}', b'\xff\xfe',
                     b'{"os-reset_status": {}, "x": 1}', b''):
            resp = self.request(self.app, path, 'POST', body)
            self.assert_cinder_got(resp, 'POST', path, body)

    def test_owned_key_without_json_content_type(self):
        path = '/backups/%s/action' % self.backup.id
        body = b'{"os-reset_status": {"status": "error"}}'
        resp = self.request(self.app, path, 'POST', body,
                            content_type='text/plain')
        self.assert_cinder_got(resp, 'POST', path, body)
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_large_body_is_not_read(self):
        path = '/backups/%s/action' % self.backup.id
        body = b'{"os-reset_status": {"status": "error", "pad": "%s"}}' % (
            b'x' * cinder_filter.MAX_PEEK_BYTES)
        resp = self.request(self.app, path, 'POST', body)
        self.assert_cinder_got(resp, 'POST', path, body)

    def test_os_reset_status_goes_to_cinder_when_switched_off(self):
        app = self.make_filter('[cinder_filter]\n'
                               'handle_os_reset_status = false\n')
        path = '/%s/backups/%s/action' % (PROJECT, self.backup.id)
        body = b'{"os-reset_status": {"status": "error"}}'
        self.assert_cinder_got(self.request(app, path, 'POST', body),
                               'POST', path, body)
        self.assertEqual('creating', self.get_backup(self.backup.id).status)
        # NOTE: the spec's own action is still served.
        resp = self.request(app, path, 'POST', {'backup-reset_status': {
            'status': 'error', 'dry_run': True}})
        self.assertEqual(202, resp.status_int)

    def test_other_methods_on_owned_paths(self):
        path = '/backups/%s/status-history' % self.backup.id
        for method in ('POST', 'PUT', 'DELETE'):
            self.assert_cinder_got(self.request(self.app, path, method),
                                   method, path)

    def test_classification_error_passes_the_request_on(self):
        path = '/backups/%s/action' % self.backup.id
        body = b'{"os-reset_status": {"status": "error"}}'
        with mock.patch.object(cinder_filter, 'peek_action',
                               side_effect=RuntimeError('boom')):
            resp = self.request(self.app, path, 'POST', body)
        self.assert_cinder_got(resp, 'POST', path, body)

    def test_url_that_is_not_utf8(self):
        path = '/backups/\xff/status-history'
        self.assert_cinder_got(self.request(self.app, path), 'GET', path)


class TestOwnedRequests(FilterTestCase):
    """Owned requests are answered by the standalone service's code."""

    def setUp(self):
        super().setUp()
        self.app = self.make_filter()
        self.backup = self.create_backup(project_id=PROJECT)
        self.action = '/%s/backups/%s/action' % (PROJECT, self.backup.id)

    def test_os_reset_status_is_synchronous_and_audited(self):
        resp = self.request(self.app, self.action, 'POST',
                            {'os-reset_status': {'status': 'error'}})
        self.assertEqual(202, resp.status_int)
        self.assertEqual(b'', resp.body)
        self.assertEqual(REQUEST_ID, resp.headers['x-compute-request-id'])
        self.assertEqual([], self.cinder.calls)
        self.assertEqual('error', self.get_backup(self.backup.id).status)
        history = db_api.status_history_get(self.admin, self.backup.id)
        self.assertEqual(1, len(history))
        self.assertEqual(REQUEST_ID, history[0].request_id)
        self.assertEqual('admin-user', history[0].user_id)

    def test_same_without_project_in_url(self):
        resp = self.request(self.app, '/backups/%s/action' % self.backup.id,
                            'POST', {'os-reset_status': {'status': 'error'}})
        self.assertEqual(202, resp.status_int)
        self.assertEqual('error', self.get_backup(self.backup.id).status)

    def test_available_needs_verification(self):
        resp = self.request(self.app, self.action, 'POST',
                            {'os-reset_status': {'status': 'available'}})
        self.assertEqual(400, resp.status_int)
        self.assertIn('no such backup on the fake backend',
                      resp.json['badRequest']['message'])
        self.assertEqual('error', self.get_backup(self.backup.id).status)

    def test_backup_reset_status_dry_run(self):
        resp = self.request(self.app, self.action, 'POST', {
            'backup-reset_status': {'status': 'error', 'reason': 'stuck',
                                    'dry_run': True}})
        self.assertEqual(202, resp.status_int)
        outcome = resp.json['backup_reset']
        self.assertTrue(outcome['dry_run'])
        self.assertFalse(outcome['applied'])
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_non_admin_gets_403_and_nothing_changes(self):
        ctx = cinder_context(is_admin=False, roles=['member', 'reader'],
                             user_id='someone')
        resp = self.request(self.app, self.action, 'POST',
                            {'os-reset_status': {'status': 'error'}},
                            ctx=ctx)
        self.assertEqual(403, resp.status_int)
        self.assertIn('volume_extension:backup_admin_actions:reset_status',
                      resp.json['forbidden']['message'])
        self.assertEqual('creating', self.get_backup(self.backup.id).status)
        self.assertEqual(
            [], db_api.status_history_get(self.admin, self.backup.id))

    def test_other_projects_backup_is_404_for_non_admin(self):
        other = self.create_backup(project_id='other')
        ctx = cinder_context(is_admin=False, roles=['member', 'reader'])
        resp = self.request(self.app, '/backups/%s/action' % other.id,
                            'POST', {'os-reset_status': {'status': 'error'}},
                            ctx=ctx)
        self.assertEqual(404, resp.status_int)

    def test_bad_status_is_cinder_400(self):
        resp = self.request(self.app, self.action, 'POST',
                            {'os-reset_status': {'status': 'restoring'}})
        self.assertEqual(400, resp.status_int)
        self.assertIn('badRequest', resp.json)

    def test_status_history(self):
        self.request(self.app, self.action, 'POST',
                     {'os-reset_status': {'status': 'error'}})
        resp = self.request(self.app, '/%s/backups/%s/status-history' % (
            PROJECT, self.backup.id))
        self.assertEqual(200, resp.status_int)
        entries = resp.json['status_history']
        self.assertEqual([('creating', 'error', REQUEST_ID)],
                         [(e['from_status'], e['to_status'], e['request_id'])
                          for e in entries])
        self.assertEqual([], self.cinder.calls)

    def test_url_project_must_be_the_callers(self):
        resp = self.request(self.app, '/someoneelse/backups/%s/action' %
                            self.backup.id, 'POST',
                            {'os-reset_status': {'status': 'error'}})
        self.assertEqual(400, resp.status_int)
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_without_cinder_context_is_401(self):
        resp = self.request(self.app, self.action, 'POST',
                            {'os-reset_status': {'status': 'error'}},
                            ctx=False)
        self.assertEqual(401, resp.status_int)
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_database_down_is_503(self):
        with mock.patch.object(db_api, 'backup_get', side_effect=(
                db_exc.DBConnectionError('gone'))):
            resp = self.request(self.app, self.action, 'POST',
                                {'os-reset_status': {'status': 'error'}})
        self.assertEqual(503, resp.status_int)
        self.assertIn('serviceUnavailable', resp.json)

    def test_answers_as_the_standalone_router(self):
        """Same bodies, codes and headers as the standalone API's router."""
        standalone = api_router.APIRouter(self.app.conf)
        missing = '00000000-0000-0000-0000-000000000000'
        for path, method, body in (
                (self.action, 'POST', {'os-reset_status': {
                    'status': 'restoring'}}),
                (self.action, 'POST', {'os-reset_status': {}}),
                (self.action, 'POST', {'backup-reset_status': {
                    'status': 'error', 'color': 'red'}}),
                (self.action, 'POST', {'backup-reset_status': {
                    'status': 'available', 'dry_run': True}}),
                ('/backups/%s/action' % missing, 'POST',
                 {'os-reset_status': {'status': 'error'}}),
                ('/backups/%s/status-history' % self.backup.id, 'GET',
                 None),
                ('/backups/%s/verifications' % self.backup.id, 'GET',
                 None),
                ('/backups/%s/verifications/%s' % (self.backup.id, missing),
                 'GET', None)):
            ours = self.request(self.app, path, method, body)
            req = webob.Request.blank('/v3', method=method)
            req.environ.update(SCRIPT_NAME='/v3', PATH_INFO=path)
            if body is not None:
                req.body = jsonutils.dump_as_bytes(body)
                req.content_type = 'application/json'
            req.environ['openstack.request_id'] = REQUEST_ID
            req.environ[resource.CONTEXT_KEY] = (
                cinder_filter.context_from_cinder(cinder_context()))
            theirs = req.get_response(standalone)
            self.assertEqual(
                (theirs.status_int, theirs.body, dict(theirs.headers)),
                (ours.status_int, ours.body, dict(ours.headers)), path)
        self.assertEqual([], self.cinder.calls)

    def test_backend_unavailable_is_503_and_changes_nothing(self):
        unavailable = exception.BackupBackendUnavailable(
            backup_id=self.backup.id, reason='share not mounted')
        with mock.patch.object(fake.FakeBackupDriver, 'verify',
                               side_effect=unavailable):
            resp = self.request(self.app, self.action, 'POST',
                                {'os-reset_status': {'status': 'available'}})
        self.assertEqual(503, resp.status_int)
        self.assertEqual(unavailable.msg,
                         resp.json['serviceUnavailable']['message'])
        self.assertEqual('creating', self.get_backup(self.backup.id).status)
        self.assertEqual(
            [], db_api.status_history_get(self.admin, self.backup.id))


class TestContextFromCinder(base.TestCase):

    def test_attributes_are_copied(self):
        ctx = cinder_filter.context_from_cinder(cinder_context(
            is_admin=False, roles=('member',), user_id='u'))
        self.assertEqual(('u', PROJECT, ['member'], False, REQUEST_ID),
                         (ctx.user_id, ctx.project_id, ctx.roles,
                          ctx.is_admin, ctx.request_id))
        self.assertEqual('req-99999999-2222-3333-4444-555555555555',
                         ctx.global_request_id)

    def test_minimal_cinder_context(self):
        minimal = types.SimpleNamespace(
            user_id='u', project_id='p', roles=None, is_admin=True,
            request_id='req-1')
        ctx = cinder_filter.context_from_cinder(minimal)
        self.assertEqual([], ctx.roles)
        self.assertTrue(ctx.is_admin)
        self.assertIsNone(ctx.global_request_id)
