"""AccessLog: one oslo.log line for every request the API answers.

NOTE: oslo.middleware has no access log, and gunicorn's (``accesslog``)
writes its own format without the request id or the caller. This filter
logs through oslo.log with the request's context, so the line has the
operator's usual ``[req-... user project ...]`` part and follows
``logging_context_format_string`` like every other line; the message
itself is the one Cinder's WSGI server wrote (oslo.service's
``wsgi_log_format``): client, request line, status, length, seconds.
"""

import time
import urllib.parse

from oslo_context import context as oslo_context
from oslo_log import log as logging
from oslo_middleware import base

from cinder_backup_reset.api import resource

LOG = logging.getLogger(__name__)

#: what stays as it is in a logged URL (RFC 3986's reserved and
#: unreserved characters, and ``%`` of what the client encoded itself)
_URL_SAFE = "/?#[]@!$&'()*+,;=:-._~%"

LOG_FORMAT = ('%(client_ip)s "%(method)s %(path)s" status: %(status)s '
              'len: %(length)s time: %(seconds).7f')


class AccessLog(base.ConfigurableMiddleware):
    """Log each request at INFO after the application answered it.

    The line's context is the caller's (``cinder.context``, set by the
    auth middleware) or, for requests answered before authentication
    (401, 413, version discovery, the health check), one that carries
    only the request id.
    """

    def __call__(self, environ, start_response):
        # NOTE: the path as the client sent it, percent-encoded again
        # (the server decoded it): urlmap and routes rewrite SCRIPT_NAME
        # and PATH_INFO on the way in, and a decoded newline or NUL would
        # let anyone, without a token, write lines of their own into the
        # log.
        path = _encoded(environ.get('SCRIPT_NAME', '') +
                        environ.get('PATH_INFO', ''))
        if environ.get('QUERY_STRING'):
            path += '?' + _encoded(environ['QUERY_STRING'])
        started = time.monotonic()
        seen = {}

        def record(status, headers, exc_info=None):
            seen['status'] = status.split(' ', 1)[0]
            seen['length'] = next((value for name, value in headers
                                   if name.lower() == 'content-length'), '-')
            return start_response(status, headers, exc_info)

        try:
            body = self.application(environ, record)
        except Exception:
            seen.setdefault('status', '500')
            self._log(environ, path, seen, started)
            raise
        # NOTE: our applications answer with complete bodies (webob), so
        # the status is known and the time is the time to answer.
        self._log(environ, path, seen, started)
        return body

    @staticmethod
    def _log(environ, path, seen, started):
        ctx = environ.get(resource.CONTEXT_KEY) or oslo_context.RequestContext(
            request_id=environ.get('openstack.request_id'),
            global_request_id=environ.get('openstack.global_request_id'),
            overwrite=False)
        LOG.info(LOG_FORMAT, {
            'client_ip': environ.get('REMOTE_ADDR', '-'),
            'method': environ.get('REQUEST_METHOD', '-'),
            'path': path,
            'status': seen.get('status', '-'),
            'length': seen.get('length', '-'),
            'seconds': time.monotonic() - started,
        }, context=ctx)


def _encoded(wsgi_string):
    """A WSGI (latin-1) URL part, percent-encoded for a log line."""
    raw = wsgi_string.encode('latin-1', 'backslashreplace')
    return urllib.parse.quote(raw, safe=_URL_SAFE)
