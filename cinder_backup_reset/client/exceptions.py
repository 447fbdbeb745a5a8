#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Typed errors of the cinder-backup-reset client.

Every error the client raises is a :class:`ClientException`. Errors that
come from an HTTP answer carry the server's ``message``, the HTTP ``code``
and the ``request_id``, and print as
``<message> (HTTP <code>) (Request-ID: <id>)``, the form python-cinderclient
users already know.
"""

import re

from keystoneauth1 import exceptions as ks_exc

#: Response headers that may carry the request id, in order of preference.
REQUEST_ID_HEADERS = ('x-openstack-request-id', 'x-compute-request-id')

# NOTE: code=None must be expressible: a client-side "not found" (no name
# matched) has no HTTP status to show even though it is a NotFound.
_DEFAULT = object()


class ClientException(Exception):
    """Base class of every error raised by the client."""

    #: Default HTTP status of the class; None when no HTTP answer is behind.
    http_status = None
    message = 'Unknown error'

    def __init__(self, message=None, code=_DEFAULT, request_id=None,
                 url=None, method=None):
        self.message = message or self.message
        self.code = self.http_status if code is _DEFAULT else code
        self.request_id = request_id
        self.url = url
        self.method = method
        super().__init__(self.format())

    def format(self):
        """Return the one-line text shown to people."""
        # NOTE: a server message may span lines (a webob HTML page, a
        # traceback); the CLI promises one line per error.
        text = ' '.join(str(self.message).split())
        if self.code is not None:
            text += ' (HTTP %s)' % self.code
        if self.request_id:
            text += ' (Request-ID: %s)' % self.request_id
        return text


class ConnectionFailed(ClientException):
    """The endpoint could not be reached (refused, DNS, TLS, timeout)."""

    message = 'Unable to establish a connection'


class EndpointNotFound(ClientException):
    """No block-storage endpoint matched in the service catalog."""

    message = 'Could not find a block-storage endpoint'


class AuthPluginError(ClientException):
    """The auth plugin could not be built or could not authenticate."""

    message = 'Authentication failed'


class NoUniqueMatch(ClientException):
    """A name matches more than one backup."""

    message = 'More than one backup matches'


class VerificationTimeout(ClientException):
    """A verification job did not finish within the time waited for."""

    message = 'Verification did not finish in time'


class HttpError(ClientException):
    """Base class of errors answered by the server with an HTTP status."""

    message = 'HTTP error'


class BadRequest(HttpError):
    """400: invalid request, or the backup failed verification."""

    http_status = 400
    message = 'Bad request'


class Unauthorized(HttpError):
    """401: no valid token."""

    http_status = 401
    message = 'Unauthorized'


class Forbidden(HttpError):
    """403: policy does not allow the action."""

    http_status = 403
    message = 'Forbidden'


class NotFound(HttpError):
    """404, or no backup with the given name or ID."""

    http_status = 404
    message = 'Not found'


class MethodNotAllowed(HttpError):
    """405."""

    http_status = 405
    message = 'Method not allowed'


class NotAcceptable(HttpError):
    """406: requested API version not supported."""

    http_status = 406
    message = 'Not acceptable'


class Conflict(HttpError):
    """409: the status changed meanwhile (lost compare-and-swap race)."""

    http_status = 409
    message = 'Conflict'


class OverLimit(HttpError):
    """413: request too large or rate limited."""

    http_status = 413
    message = 'Over limit'


class UnsupportedMediaType(HttpError):
    """415."""

    http_status = 415
    message = 'Unsupported media type'


class ServerError(HttpError):
    """5xx without a more specific class."""

    http_status = 500
    message = 'Internal server error'


class ServiceUnavailable(ServerError):
    """503."""

    http_status = 503
    message = 'Service unavailable'


_BY_STATUS = {cls.http_status: cls for cls in (
    BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed,
    NotAcceptable, Conflict, OverLimit, UnsupportedMediaType, ServerError,
    ServiceUnavailable)}


def class_for_status(status):
    """Return the exception class for an HTTP status code."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else HttpError


def request_id_from_headers(headers):
    """Return the request id found in response headers, or None."""
    for name in REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return value
    return None


def fault_message(body):
    """Return the message of a Cinder fault body, or None.

    :param body: a decoded JSON body. Cinder faults are
        ``{"<faultName>": {"code": N, "message": M}}``; keystone answers
        ``{"error": {...}}`` in the same shape; a route mismatch answers
        webob's ``{"code": "404 Not Found", "message": M, "title": T}``.
    """
    # NOTE: keystoneauth's from_response() understands keystone's and the
    # API SIG's error shapes but not Cinder's fault (it says "Unrecognized
    # schema in response body."), so the fault's message is read here,
    # from the response keystoneauth attaches to its HttpError.
    if not isinstance(body, dict):
        return None
    if len(body) == 1:
        inner = next(iter(body.values()))
        if isinstance(inner, dict) and inner.get('message'):
            return inner['message']
    if isinstance(body.get('message'), str) and body['message']:
        return body['message']
    return None


def _bare_message(exc):
    # NOTE: keystoneauth's HttpError.message already ends with its own
    # " (HTTP <code>) (Request-ID: <id>)"; format() adds ours.
    text = str(exc.message or '')
    marker = ' (HTTP %s)' % exc.http_status
    return text.split(marker)[0] if marker in text else text


def _http_message(exc):
    response = exc.response
    if response is None:
        return _bare_message(exc)
    try:
        message = fault_message(response.json())
    except ValueError:
        message = None
    if not message:
        # NOTE: a proxy or a bare WSGI error may answer text or nothing;
        # the start of the text still helps more than a bare status.
        message = ((response.text or '').strip()[:200] or response.reason
                   or _bare_message(exc))
    return message


def _request_id(exc):
    if exc.request_id:
        return exc.request_id
    if exc.response is not None:
        return request_id_from_headers(exc.response.headers)
    return None


def _short_connection_error(text):
    # NOTE: keystoneauth quotes urllib3's whole repr ("HTTPConnectionPool(
    # ...) Max retries exceeded ... NewConnectionError(...)"); the URL and
    # the OS reason are what a person needs. Keep the text if unparsable.
    url = re.search(r'connection to (\S+?):\s', text)
    reason = re.search(r'\[Errno -?\d+\] ([^\'"()]+)', text)
    if url and reason:
        return 'Unable to establish connection to %s: %s' % (
            url.group(1), reason.group(1).strip())
    return text


def from_keystoneauth(exc):
    """Translate a keystoneauth1 exception into a :class:`ClientException`.

    Every request goes through keystoneauth, which raises
    ``keystoneauth1.exceptions.HttpError`` (and its subclasses) for any
    answer >= 400, ``ConnectFailure``/``ConnectTimeout``/``SSLError`` when
    the endpoint cannot be reached, ``EndpointNotFound`` when the catalog
    has no block-storage endpoint, and auth plugin errors.

    :param exc: a ``keystoneauth1.exceptions.ClientException``.
    :returns: the :class:`ClientException` subclass instance that says
        the same thing: HTTP errors carry Cinder's fault message, the
        status and the request id.
    """
    if isinstance(exc, ks_exc.HttpError):
        cls = class_for_status(exc.http_status)
        return cls(message=_http_message(exc), code=exc.http_status,
                   request_id=_request_id(exc), url=exc.url,
                   method=exc.method)
    if isinstance(exc, ks_exc.ConnectionError):
        return ConnectionFailed(message=_short_connection_error(str(exc)))
    if isinstance(exc, ks_exc.EndpointNotFound):
        return EndpointNotFound(message=str(exc))
    if isinstance(exc, ks_exc.MissingRequiredOptions):
        flags = ', '.join(
            '--os-%s (or %s)' % (o.name, o.argparse_envvars[0])
            for o in exc.options)
        return AuthPluginError(
            message='Missing authentication option(s): %s' % flags)
    return AuthPluginError(message=str(exc) or type(exc).__name__)
