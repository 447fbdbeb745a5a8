"""Authentication middleware: build the RequestContext of each request.

``keystone``: keystonemiddleware's auth_token validated the token and set
X-* headers; KeystoneContext turns them into a RequestContext.
``noauth``: for development and tests only; the token ``user:project`` is
trusted, and the user ``admin`` gets the admin role.
"""

from oslo_config import cfg
from oslo_log import log as logging
from oslo_middleware import base
import webob.dec

from cinder_backup_reset.api import fault
from cinder_backup_reset.api import wsgi
from cinder_backup_reset import context

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def pipeline_factory(loader, global_conf, **local_conf):
    """Paste composite: the pipeline named by [DEFAULT] auth_strategy."""
    strategy = CONF.auth_strategy
    if strategy not in local_conf:
        raise ValueError('No pipeline %r in the paste config (have: %s)' % (
            strategy, ', '.join(sorted(local_conf))))
    names = local_conf[strategy].split()
    app = loader.get_app(names[-1])
    for name in reversed(names[:-1]):
        app = loader.get_filter(name)(app)
    return app


def _unauthorized(req, reason):
    resp = fault.make_fault(401, 'Authentication required: %s.' % reason)
    resp.headers['WWW-Authenticate'] = 'Keystone uri="unknown"'
    return resp


class NoAuthMiddleware(base.ConfigurableMiddleware):
    """Trust ``X-Auth-Token: user[:project]`` (development only).

    Unlike Cinder's, a request without a token gets 401 rather than a
    fake-token 204, so clients fail loudly instead of mysteriously.
    """

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        token = req.headers.get('X-Auth-Token')
        if not token:
            return _unauthorized(req, 'send X-Auth-Token: <user>:<project>')
        user_id, _sep, project_id = token.partition(':')
        if not user_id:
            return _unauthorized(req, 'the token has no user')
        project_id = project_id or user_id
        roles = ['admin', 'member', 'reader'] if user_id == 'admin' else [
            'member', 'reader']
        req.environ[wsgi.CONTEXT_KEY] = context.RequestContext(
            user_id=user_id, project_id=project_id, roles=roles,
            request_id=req.environ.get('openstack.request_id'),
            global_request_id=req.environ.get('openstack.global_request_id'))
        return self.application


class KeystoneContext(base.ConfigurableMiddleware):
    """Build the RequestContext from keystonemiddleware's headers."""

    @webob.dec.wsgify(RequestClass=wsgi.Request)
    def __call__(self, req):
        ctx = context.RequestContext.from_environ(req.environ)
        if not ctx.user_id:
            LOG.debug('Request without an authenticated user (identity '
                      'status %s)', req.headers.get('X-Identity-Status'))
            return _unauthorized(req, 'no authenticated user')
        req.environ[wsgi.CONTEXT_KEY] = ctx
        return self.application
