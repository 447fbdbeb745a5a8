"""Authentication middleware: build the RequestContext of each request.

``keystone``: keystonemiddleware's auth_token validated the token and set
X-* headers; KeystoneContext turns them into a RequestContext.
``noauth``: for development and tests only; the token ``user:project`` is
trusted, and the user ``admin`` gets the admin role.
"""

from oslo_config import cfg
from oslo_log import log as logging
from oslo_middleware import base

from cinder_backup_reset.api import fault
from cinder_backup_reset.api import resource
from cinder_backup_reset.conf import keystone
from cinder_backup_reset import context

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def pipeline_factory(loader, global_conf, **local_conf):
    """Paste composite: the pipeline named by [DEFAULT] auth_strategy."""
    strategy = CONF.auth_strategy
    if strategy not in local_conf:
        raise ValueError('No pipeline %r in the paste config (have: %s)' % (
            strategy, ', '.join(sorted(local_conf))))
    if strategy == 'keystone':
        # NOTE: also when the pipeline is loaded without the service's
        # start-up (a WSGI server of the operator's, tests), so that calls
        # to keystone are bounded in every case.
        keystone.set_defaults(CONF)
    names = local_conf[strategy].split()
    app = loader.get_app(names[-1])
    for name in reversed(names[:-1]):
        app = loader.get_filter(name)(app)
    return app


def _unauthorized(reason):
    resp = fault.make_fault(401, 'Authentication required: %s.' % reason)
    resp.headers['WWW-Authenticate'] = 'Keystone uri="unknown"'
    return resp


class NoAuthMiddleware(base.ConfigurableMiddleware):
    """Trust ``X-Auth-Token: user[:project]`` (development only).

    Unlike Cinder's, a request without a token gets 401 rather than a
    fake-token 204, so clients fail loudly instead of mysteriously.
    """

    def __call__(self, environ, start_response):
        # NOTE: plain WSGI (see KeystoneContext).
        token = environ.get('HTTP_X_AUTH_TOKEN')
        if not token:
            return _unauthorized(
                'send X-Auth-Token: <user>:<project>')(environ,
                                                       start_response)
        user_id, _sep, project_id = token.partition(':')
        if not user_id:
            return _unauthorized('the token has no user')(environ,
                                                          start_response)
        project_id = project_id or user_id
        roles = ['admin', 'member', 'reader'] if user_id == 'admin' else [
            'member', 'reader']
        environ[resource.CONTEXT_KEY] = context.RequestContext(
            user_id=user_id, project_id=project_id, roles=roles,
            request_id=environ.get('openstack.request_id'),
            global_request_id=environ.get('openstack.global_request_id'))
        return self.application(environ, start_response)


class KeystoneContext(base.ConfigurableMiddleware):
    """Build the RequestContext from keystonemiddleware's headers."""

    def __call__(self, environ, start_response):
        # NOTE: plain WSGI, not webob.dec.wsgify: a wsgify layer builds a
        # request and a response object of its own only to pass the
        # request on (9 us of a reset each).
        ctx = context.RequestContext.from_environ(environ)
        if not ctx.user_id:
            LOG.debug('Request without an authenticated user (identity '
                      'status %s)', environ.get('HTTP_X_IDENTITY_STATUS'))
            return _unauthorized('no authenticated user')(environ,
                                                          start_response)
        environ[resource.CONTEXT_KEY] = ctx
        return self.application(environ, start_response)
