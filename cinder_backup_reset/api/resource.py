"""A small Resource/Controller layer on webob, in Cinder's shape.

Cinder's ``cinder/api/openstack/wsgi.py``; named for what it holds so that
it is not confused with the WSGI application package
(cinder_backup_reset/wsgi/, which loads the whole API).

A Controller's methods are the route targets (index, show, ...); methods
decorated with ``@action('key')`` answer ``POST .../action`` bodies whose
single top-level key is ``key``. Controller extensions add actions to a
collection's Resource; registering one key twice fails at start-up.
"""

from oslo_config import cfg
from oslo_log import log as logging
from oslo_serialization import jsonutils
import webob
import webob.dec
import webob.exc

from cinder_backup_reset.api import api_version
from cinder_backup_reset.api import fault
from cinder_backup_reset import exception

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

CONTEXT_KEY = 'cinder_backup_reset.context'
JSON_TYPES = ('application/json', 'application/vnd.openstack.volume+json')


def action(name):
    """Mark a controller method as the handler of action key ``name``."""
    def decorator(func):
        func.wsgi_action = name
        return func
    return decorator


def response(code):
    """Set the success status code of a controller method."""
    def decorator(func):
        func.wsgi_code = code
        return func
    return decorator


class Controller:
    """Base of API controllers; collects the ``@action`` methods."""

    def wsgi_actions(self):
        """Return {action key: bound method} of this controller."""
        actions = {}
        for name in dir(type(self)):
            method = getattr(self, name, None)
            key = getattr(method, 'wsgi_action', None)
            if key is not None:
                actions[key] = method
        return actions


class Request(webob.Request):
    """A webob Request that knows its context and API version."""

    @property
    def context(self):
        return self.environ.get(CONTEXT_KEY)

    @property
    def request_id(self):
        return self.environ.get('openstack.request_id')


class Resource:
    """The WSGI app of one collection: dispatches to its controller."""

    def __init__(self, controller, collection):
        self.controller = controller
        self.collection = collection
        self.actions = {}
        self._action_owner = {}
        self.register_actions(controller)

    def register_actions(self, controller):
        """Add the ``@action`` methods of ``controller``.

        Raises DuplicateAction when a key is already taken: silently
        replacing a handler is how a security fix gets lost.
        """
        for key, method in controller.wsgi_actions().items():
            if key in self.actions:
                raise exception.DuplicateAction(
                    action=key, collection=self.collection,
                    first=self._action_owner[key],
                    second=type(controller).__name__)
            self.actions[key] = method
            self._action_owner[key] = type(controller).__name__

    @webob.dec.wsgify(RequestClass=Request)
    def __call__(self, req):
        version = None
        try:
            version = api_version.from_request(req)
            req.environ[api_version.ENVIRON_KEY] = version
            resp = self._dispatch(req)
        except Exception as exc:
            resp = fault.fault_response(exc, req)
        api_version.add_headers(req, resp, version)
        fault.add_request_id_headers(req, resp)
        return resp

    def _dispatch(self, req):
        args = dict(req.urlvars)
        args.pop('controller', None)
        method_name = args.pop('action')
        project_id = args.pop('project_id', None)
        _check_project(req, project_id)
        if method_name == 'action':
            method, body = self._get_action(req)
            args['body'] = body
        else:
            method = getattr(self.controller, method_name)
            if req.method in ('POST', 'PUT'):
                args['body'] = _json_body(req)
        result = method(req, **args)
        code = getattr(method, 'wsgi_code', 200)
        resp = webob.Response(status=code, content_type='application/json',
                              charset=None)
        if result is not None:
            resp.body = jsonutils.dump_as_bytes(result)
        return resp

    def _get_action(self, req):
        body = _json_body(req)
        if not isinstance(body, dict) or len(body) != 1:
            raise exception.MalformedRequestBody(
                reason='an action body is a JSON object with exactly one '
                       'key, the action name (for example '
                       '{"backup-reset_status": {"status": "error"}})')
        key = next(iter(body))
        if key not in self.actions:
            raise exception.InvalidParameterValue(
                err='There is no such action: %s. Actions on %s are: %s.' % (
                    key, self.collection, ', '.join(sorted(self.actions))))
        return self.actions[key], body


def _check_project(req, project_id):
    context = req.context
    if project_id and context is not None and project_id != context.project_id:
        # NOTE: Cinder's rule: the URL's project must be the token's.
        raise exception.Invalid(
            'Malformed request url: the project id in the URL (%s) is not '
            "the token's project (%s)." % (project_id, context.project_id))


def _body(req):
    """The request body; 408 if the client stopped sending it.

    NOTE: a WSGI server whose client sockets time out (uwsgi, mod_wsgi)
    raises TimeoutError from the read; that is the client's delay, not a
    server error.
    """
    try:
        return req.body
    except TimeoutError:
        raise exception.RequestBodyTimeout(
            seconds=CONF.client_socket_timeout)


def _json_body(req):
    """Decode the request body; 400/415 with a precise message otherwise."""
    body = _body(req)
    if not body:
        raise exception.MalformedRequestBody(
            reason='the request body is empty; send a JSON object (for an '
                   'action, such as {"backup-reset_status": {"status": '
                   '"error"}})')
    content_type = (req.content_type or '').lower()
    if content_type not in JSON_TYPES:
        raise exception.InvalidContentType(
            content_type=content_type or '(none)')
    try:
        decoded = jsonutils.loads(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError) as exc:
        raise exception.MalformedRequestBody(
            reason='the body is not valid JSON (%s)' % exc)
    if _holds_nul(decoded):
        # NOTE: PostgreSQL refuses NUL in any string (a 500 at the
        # query); no field of ours can hold one.
        raise exception.MalformedRequestBody(
            reason='a string in the body contains a NUL character '
                   '(\\u0000)')
    return decoded


def _holds_nul(value):
    """Whether a decoded JSON value has a NUL in any key or string."""
    if isinstance(value, str):
        return '\x00' in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(v) for v in value)
    return False
