"""Version discovery: ``GET /`` (300) and ``GET /v3/`` (200).

Both answer without a token, as cinderclient's version negotiation needs.
"""

from oslo_middleware import base
from oslo_serialization import jsonutils
import webob
import webob.dec

from cinder_backup_reset.api import api_version

UPDATED = '2026-11-25T00:00:00Z'


def _v3(base_url):
    return {
        'id': 'v3.0',
        'status': 'CURRENT',
        'version': api_version.to_string(api_version.MAX_VERSION),
        'min_version': api_version.to_string(api_version.MIN_VERSION),
        'updated': UPDATED,
        'links': [
            {'rel': 'describedby', 'type': 'text/html',
             'href': 'https://docs.openstack.org/'},
            {'rel': 'self', 'href': base_url.rstrip('/') + '/v3/'},
        ],
        'media-types': [
            {'base': 'application/json',
             'type': 'application/vnd.openstack.volume+json;version=3'},
        ],
    }


def _json(status, data):
    resp = webob.Response(status=status, content_type='application/json',
                          charset=None)
    resp.body = jsonutils.dump_as_bytes(data)
    return resp


class Versions:
    """The root document: every API version, 300 Multiple Choices."""

    @classmethod
    def factory(cls, global_conf, **local_conf):
        return cls()

    @webob.dec.wsgify
    def __call__(self, req):
        if req.path_info not in ('', '/'):
            return _json(404, {'itemNotFound': {
                'code': 404, 'message': 'No API at %s; see / for the '
                                        'versions.' % req.path}})
        return _json(300, {'versions': [_v3(req.application_url)]})


class VersionDiscovery(base.ConfigurableMiddleware):
    """Answer ``GET /v3/`` itself, before authentication."""

    def __call__(self, environ, start_response):
        # NOTE: plain WSGI: every other request only passes through, and a
        # webob.dec.wsgify layer would build a request and a response for
        # it.
        if (environ.get('PATH_INFO', '') in ('', '/') and
                environ['REQUEST_METHOD'] in ('GET', 'HEAD')):
            req = webob.Request(environ)
            root = req.host_url + req.script_name.rsplit('/', 1)[0]
            resp = _json(200, {'versions': [_v3(root)]})
            api_version.add_headers(req, resp, None)
            return resp(environ, start_response)
        return self.application(environ, start_response)
