"""FaultWrapper: the outermost error boundary of the API pipeline.

Whatever escapes the application (or is answered by a library middleware
such as sizelimit or keystonemiddleware in its own format) leaves as
Cinder's fault JSON with the request id; a 500 never shows internals.
"""

import urllib.parse

from oslo_context import context as oslo_context
from oslo_middleware import base
from oslo_serialization import jsonutils
import webob.dec

from cinder_backup_reset.api import fault
from cinder_backup_reset import exception


def _is_fault_body(resp):
    if resp.content_type != 'application/json':
        return False
    try:
        data = jsonutils.loads(resp.body)
    except ValueError:
        return False
    if not isinstance(data, dict) or len(data) != 1:
        return False
    name, inner = next(iter(data.items()))
    if name not in fault.FAULT_NAMES.values() and name != 'computeFault':
        # NOTE: keystonemiddleware answers {"error": {"code", "message"}}.
        return False
    return isinstance(inner, dict) and 'code' in inner and 'message' in inner


def _library_unavailable(resp):
    """Our 503 for a library middleware's own 503 response.

    NOTE: in our pipelines the one library middleware that answers 503 is
    keystonemiddleware's auth_token, when it cannot reach keystone; its
    text is webob's HTML explanation around "The Keystone service is
    temporarily unavailable.", without Retry-After.
    """
    text = _message_of(resp)
    if b'keystone' in resp.body.lower():
        return fault.service_unavailable(
            fault.IDENTITY_UNAVAILABLE % 'is unavailable')
    return fault.service_unavailable(
        'A service this API depends on is unavailable (%s); nothing was '
        'changed. Retry later.' % text.rstrip('.'))


def _message_of(resp):
    """The human text of a library's error response, in plain text."""
    return fault.plain_text(_raw_message_of(resp))


def _raw_message_of(resp):
    if resp.content_type == 'application/json':
        try:
            data = jsonutils.loads(resp.body)
            # NOTE: keystonemiddleware: {"error": {"message": ...}}.
            inner = data.get('error', data)
            if isinstance(inner, dict) and inner.get('message'):
                return str(inner['message'])
        except (ValueError, AttributeError):
            pass
    if resp.status_int == 413:
        return ('Request is too large: the body exceeds [oslo_middleware] '
                'max_request_body_size.')
    return resp.status.split(' ', 1)[-1]


def _unusable_url(environ):
    """What makes ``environ``'s URL unusable, or None.

    A path or a query that is not UTF-8 once percent-decoded, or that
    holds a NUL character: PostgreSQL refuses NUL in any string, so a
    NUL reaching a query would be a 500, and no backup id, name or
    filter can contain one.
    """
    for key in ('SCRIPT_NAME', 'PATH_INFO', 'QUERY_STRING'):
        raw = environ.get(key, '').encode('latin-1')
        if key == 'QUERY_STRING':
            # NOTE: the server decodes the path, not the query: webob
            # decodes its parameters later, deep in a controller.
            raw = urllib.parse.unquote_to_bytes(raw.replace(b'+', b' '))
        try:
            text = raw.decode('utf-8')
        except UnicodeError:
            return 'is not valid UTF-8 (%s)' % key
        if '\x00' in text:
            return 'contains a NUL character (%s)' % key
    return None


class FaultWrapper(base.ConfigurableMiddleware):
    """Turn every error into Cinder's fault JSON."""

    @webob.dec.wsgify
    def __call__(self, req):
        # NOTE: until the auth middleware knows who is calling, log lines of
        # this request must carry its request id, not the previous
        # request's context left in this thread.
        oslo_context.RequestContext(
            request_id=req.environ.get('openstack.request_id'),
            global_request_id=req.environ.get('openstack.global_request_id'),
            overwrite=True)
        bad = _unusable_url(req.environ)
        try:
            if bad:
                # NOTE: webob decodes the path as UTF-8 on first use and
                # raises UnicodeDecodeError deep in routing (a 500); an
                # undecodable URL is the client's error.
                raise exception.Invalid('The request URL %s.' % bad)
            resp = req.get_response(self.application)
        except Exception as exc:
            resp = fault.fault_response(exc, req)
        if resp.status_int == 503 and not _is_fault_body(resp):
            resp = _library_unavailable(resp)
        elif resp.status_int >= 400 and not _is_fault_body(resp):
            keep = {k: v for k, v in resp.headers.items()
                    if k.lower() in ('www-authenticate', 'allow',
                                     'retry-after',
                                     'openstack-api-version', 'vary')}
            resp = fault.make_fault(resp.status_int, _message_of(resp), keep)
        fault.add_request_id_headers(req, resp)
        return resp
