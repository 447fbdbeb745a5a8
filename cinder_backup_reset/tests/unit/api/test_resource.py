"""The Resource/Controller core: action dispatch and registration."""

import webob

from cinder_backup_reset.api import resource
from cinder_backup_reset import context
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base


class First(resource.Controller):
    @resource.response(202)
    @resource.action('do-it')
    def do_it(self, req, id, body):
        return {'done': id, 'with': body['do-it']}


class Second(resource.Controller):
    @resource.action('do-it')
    def again(self, req, id, body):
        return None


class Other(resource.Controller):
    @resource.action('other')
    def other(self, req, id, body):
        return None


def _call(res, body, content_type='application/json', project=None):
    req = webob.Request.blank('/things/42/action', method='POST')
    req.body = body
    if content_type:
        req.content_type = content_type
    req.environ['wsgiorg.routing_args'] = ((), {
        'action': 'action', 'id': '42', 'project_id': project})
    req.environ[resource.CONTEXT_KEY] = context.RequestContext(
        user_id='u', project_id='p1', roles=['admin'], overwrite=False)
    return req.get_response(res)


class TestActions(base.TestCase):

    def test_dispatch_on_the_single_key(self):
        res = resource.Resource(First(), 'things')
        res.register_actions(Other())
        resp = _call(res, b'{"do-it": {"x": 1}}')
        self.assertEqual(202, resp.status_int)
        self.assertEqual({'done': '42', 'with': {'x': 1}}, resp.json)

    def test_duplicate_action_fails_at_registration(self):
        res = resource.Resource(First(), 'things')
        exc = self.assertRaises(exception.DuplicateAction,
                                res.register_actions, Second())
        self.assertIn('do-it', str(exc))
        self.assertIn('First', str(exc))

    def test_bad_bodies(self):
        res = resource.Resource(First(), 'things')
        cases = [
            (b'', 'application/json', 400, 'empty'),
            (b'{nope', 'application/json', 400, 'not valid JSON'),
            (b'[1]', 'application/json', 400, 'exactly one key'),
            (b'{}', 'application/json', 400, 'exactly one key'),
            (b'{"a": 1, "b": 2}', 'application/json', 400, 'exactly one'),
            (b'{"nope": {}}', 'application/json', 400, 'no such action'),
            (b'{"do-it": {}}', 'text/plain', 415, 'text/plain'),
            (b'{"do-it": {}}', None, 415, 'Content-Type'),
            (b'\xff\xfe', 'application/json', 400, 'not valid JSON'),
        ]
        for body, ctype, code, text in cases:
            resp = _call(res, body, ctype)
            self.assertEqual(code, resp.status_int, body)
            (name, fault), = resp.json.items()
            self.assertEqual(code, fault['code'])
            self.assertIn(text.lower(), fault['message'].lower(), body)

    def test_url_project_must_be_the_tokens(self):
        resp = _call(resource.Resource(First(), 'things'), b'{"do-it": {}}',
                     project='p2')
        self.assertEqual(400, resp.status_int)
        self.assertIn('Malformed request url',
                      resp.json['badRequest']['message'])


class _StalledInput:
    """A request body whose client stopped sending (a socket timeout)."""

    def read(self, *args):
        raise TimeoutError('timed out')


class TestStalledBody(base.TestCase):

    def test_stalled_body_is_408_and_closes(self):
        res = resource.Resource(First(), 'things')
        req = webob.Request.blank('/things/42/action', method='POST')
        req.content_type = 'application/json'
        req.environ['CONTENT_LENGTH'] = '100'
        req.environ['wsgi.input'] = _StalledInput()
        req.environ['wsgiorg.routing_args'] = ((), {
            'action': 'action', 'id': '42', 'project_id': None})
        req.environ[resource.CONTEXT_KEY] = context.RequestContext(
            user_id='u', project_id='p1', roles=['admin'], overwrite=False)
        resp = req.get_response(res)
        self.assertEqual(408, resp.status_int)
        self.assertEqual(408, resp.json['computeFault']['code'])
        self.assertIn('client_socket_timeout',
                      resp.json['computeFault']['message'])
        self.assertEqual('close', resp.headers['Connection'])
