"""The v3 (and v2) API router: routes → Resources → controllers."""

from oslo_config import cfg
import routes
import routes.middleware

from cinder_backup_reset.api import extensions
from cinder_backup_reset.api import fault
from cinder_backup_reset.api import resource
from cinder_backup_reset.api.v3 import backups

# NOTE: Cinder serves every route with and without the project id; unlike
# Cinder, the project id may be any string (keystone ids are not always
# hex), so the project-less routes are connected first and win.
PREFIXES = ('', '/{project_id}')


class APIRouter:
    """Route requests to the Resource of their collection."""

    def __init__(self, conf=cfg.CONF):
        self.mapper = routes.Mapper()
        self.ext_mgr = extensions.ExtensionManager(conf)
        self.resources = {
            'backups': resource.Resource(
                backups.BackupsController(conf, self.ext_mgr.manager),
                'backups'),
            'extensions': resource.Resource(
                extensions.ExtensionsController(self.ext_mgr), 'extensions'),
        }
        for ext in self.ext_mgr.get_controller_extensions():
            self.resources[ext.collection].register_actions(ext.controller)
        self._connect_core()
        for res_ext in self.ext_mgr.get_resources():
            self._connect_sub_resource(res_ext)
        for coll_action in self.ext_mgr.get_collection_actions():
            self._connect_collection_action(coll_action)
        self._router = routes.middleware.RoutesMiddleware(self._dispatch,
                                                          self.mapper)

    @classmethod
    def factory(cls, global_config, **local_config):
        """paste.app_factory."""
        return cls(cfg.CONF)

    def _connect(self, path, collection, action, method):
        for prefix in PREFIXES:
            self.mapper.connect(prefix + path,
                                controller=self.resources[collection],
                                action=action,
                                conditions={'method': [method]})

    def _connect_core(self):
        self._connect('/backups', 'backups', 'index', 'GET')
        self._connect('/backups/detail', 'backups', 'detail', 'GET')
        self._connect('/backups/{id}', 'backups', 'show', 'GET')
        self._connect('/backups/{id}', 'backups', 'update', 'PUT')
        self._connect('/backups/{id}/action', 'backups', 'action', 'POST')
        self._connect('/extensions', 'extensions', 'index', 'GET')
        self._connect('/extensions/{id}', 'extensions', 'show', 'GET')

    def _connect_sub_resource(self, res_ext):
        name = '%s:%s' % (res_ext.parent, res_ext.path)
        self.resources[name] = resource.Resource(res_ext.controller, name)
        self._connect('/%s/{parent_id}/%s' % (res_ext.parent, res_ext.path),
                      name, 'index', 'GET')
        if getattr(res_ext.controller, 'show', None) is not None:
            self._connect('/%s/{parent_id}/%s/{id}' % (res_ext.parent,
                                                       res_ext.path),
                          name, 'show', 'GET')

    def _connect_collection_action(self, coll_action):
        name = '%s:action' % coll_action.collection
        if name in self.resources:
            self.resources[name].register_actions(coll_action.controller)
            return
        self.resources[name] = resource.Resource(coll_action.controller, name)
        self._connect('/%s/action' % coll_action.collection, name, 'action',
                      'POST')

    # NOTE: plain WSGI callables, not webob.dec.wsgify: each wsgify layer
    # builds a request and a response object of its own, and these two
    # only pass the request on (16 us of a reset).
    def __call__(self, environ, start_response):
        return self._router(environ, start_response)

    def _dispatch(self, environ, start_response):
        match = environ['wsgiorg.routing_args'][1]
        if not match:
            return self._no_match(resource.Request(environ))(
                environ, start_response)
        return match['controller'](environ, start_response)

    def _no_match(self, req):
        """404, or 405 with Allow when the path exists for other methods."""
        allowed = set()
        for method in ('GET', 'POST', 'PUT', 'PATCH', 'DELETE'):
            if method == req.method:
                continue
            environ = dict(req.environ, REQUEST_METHOD=method)
            if self.mapper.match(req.path_info, environ=environ):
                allowed.add(method)
        if allowed:
            return fault.make_fault(
                405, 'Method %s is not allowed on %s; allowed: %s.' % (
                    req.method, req.path, ', '.join(sorted(allowed))),
                {'Allow': ', '.join(sorted(allowed))})
        return fault.make_fault(
            404, 'The resource could not be found: no route for %s %s.' % (
                req.method, req.path))
