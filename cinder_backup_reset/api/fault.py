"""Cinder's fault JSON: ``{"<faultName>": {"code": N, "message": "..."}}``.

One function turns any exception into such a response, so the Resource
layer and the outermost FaultWrapper answer identically; one function
(service_unavailable) builds every 503, whichever dependency failed.
"""

import html
import re

from keystoneauth1 import exceptions as ksa_exc
from keystonemiddleware import auth_token
from oslo_db import exception as db_exc
from oslo_log import log as logging
from oslo_serialization import jsonutils
import sqlalchemy.exc
import webob
import webob.exc

from cinder_backup_reset import exception

LOG = logging.getLogger(__name__)

FAULT_NAMES = {
    400: 'badRequest',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'itemNotFound',
    405: 'badMethod',
    409: 'conflictingRequest',
    413: 'overLimit',
    415: 'badMediaType',
    501: 'notImplemented',
    503: 'serviceUnavailable',
}
INTERNAL_ERROR = ('The server has either erred or is incapable of performing '
                  'the requested operation.')


def fault_name(code):
    """Cinder's fault name for an HTTP status (computeFault otherwise)."""
    return FAULT_NAMES.get(code, 'computeFault')


#: seconds a client is asked to wait (``Retry-After``) after a 503
RETRY_AFTER = 5

#: the plain-text message of a 503 for an identity service outage
IDENTITY_UNAVAILABLE = ('The identity service (keystone) %s, so the token '
                        'could not be validated; nothing was changed. Retry '
                        'later.')

_TAG = re.compile(r'<[^>]*>')


def plain_text(message):
    """``message`` without HTML markup or line breaks, in one line."""
    return ' '.join(html.unescape(_TAG.sub(' ', str(message))).split())


def make_fault(code, message, headers=None):
    """A webob Response carrying the fault JSON."""
    resp = webob.Response(status=code, content_type='application/json',
                          charset=None)
    resp.body = jsonutils.dump_as_bytes(
        {fault_name(code): {'code': code, 'message': message}})
    for name, value in (headers or {}).items():
        resp.headers[name] = value
    if code == 413 and 'Retry-After' in resp.headers:
        # NOTE: Cinder adds retryAfter to overLimit faults.
        data = jsonutils.loads(resp.body)
        data['overLimit']['retryAfter'] = resp.headers['Retry-After']
        resp.body = jsonutils.dump_as_bytes(data)
    return resp


def service_unavailable(message, retry_after=RETRY_AFTER):
    """The 503 response: the only place one is built.

    :param message: what is unavailable, naming the dependency (the
        database, the identity service, ...), and whether anything was
        changed; HTML markup is removed.
    :param retry_after: seconds for the ``Retry-After`` header.
    :returns: a webob Response, ``{"serviceUnavailable": {"code": 503,
        "message": ...}}``.
    """
    return make_fault(503, plain_text(message),
                      {'Retry-After': str(int(retry_after))})


def identity_unavailable(exc):
    """The plain-text 503 message for an identity service failure.

    ``exc`` is a keystoneauth1 or keystonemiddleware error raised while a
    token was being validated. The library's own text names internal
    endpoints, so the caller gets only the kind of failure; the log has
    the rest.
    """
    if isinstance(exc, (ksa_exc.ConnectTimeout, ksa_exc.RequestTimeout)):
        what = 'did not answer in time'
    elif isinstance(exc, ksa_exc.ConnectionError):
        what = 'cannot be reached'
    elif isinstance(exc, ksa_exc.DiscoveryFailure):
        what = 'did not answer its version discovery'
    elif isinstance(exc, ksa_exc.CatalogException):
        what = 'has no usable identity endpoint in its catalog'
    else:
        what = 'answered with an error'
    return IDENTITY_UNAVAILABLE % what


def _webob_message(exc):
    detail = getattr(exc, 'detail', None)
    return detail or exc.explanation or exc.title


def fault_response(exc, req):
    """Map ``exc`` to a fault response; log what the caller cannot see."""
    request_id = req.environ.get('openstack.request_id')
    if isinstance(exc, exception.CinderBackupResetException):
        code = exc.code
        message = exc.msg if exc.safe else INTERNAL_ERROR
        if code >= 500:
            LOG.error('%s answered %d for request %s: %s',
                      req.path_info, code, request_id, exc)
        if code == 503:
            return service_unavailable(message)
        # NOTE: after a 408 the rest of the body may still arrive: close.
        headers = {408: {'Connection': 'close'}}.get(code)
        return make_fault(code, message, headers)
    if isinstance(exc, (ksa_exc.ClientException, auth_token.ServiceError)):
        # NOTE: keystonemiddleware answers 503 itself for some of these
        # (connection failure, discovery failure, a 408 or an error from
        # keystone) and lets the others through: a timeout, a catalog
        # without the identity endpoint. All mean that no token can be
        # validated now.
        LOG.warning('Identity service unavailable during request %s: %s',
                    request_id, exc)
        return service_unavailable(identity_unavailable(exc))
    if isinstance(exc, webob.exc.HTTPException):
        if exc.code == 503:
            return service_unavailable(_webob_message(exc))
        headers = {}
        if exc.code == 405 and exc.headers.get('Allow'):
            headers['Allow'] = exc.headers['Allow']
        if exc.headers.get('Retry-After'):
            headers['Retry-After'] = exc.headers['Retry-After']
        return make_fault(exc.code, _webob_message(exc), headers)
    if isinstance(exc, (db_exc.DBConnectionError,)):
        LOG.warning('Database unreachable during request %s: %s',
                    request_id, exc)
        return service_unavailable('The database is unreachable; no change '
                                   'was made. Retry later.')
    if _is_data_error(exc):
        # NOTE: e.g. a 4-byte UTF-8 character in a MySQL utf8 (3-byte)
        # column, as Cinder's tables are; the transaction rolled back.
        LOG.info('Value refused by the database in request %s: %s',
                 request_id, exc)
        return make_fault(400, 'A value cannot be stored by the database '
                               '(for example a character outside the '
                               'Basic Multilingual Plane, or a value too '
                               'long); nothing was changed.')
    if isinstance(exc, db_exc.DBError) and _is_lock_timeout(exc):
        LOG.warning('Database busy during request %s: %s', request_id, exc)
        return service_unavailable('The database is busy; no change was '
                                   'made. Retry later.', retry_after=1)
    if isinstance(exc, sqlalchemy.exc.TimeoutError):
        # NOTE: no pooled connection became free within [database]
        # pool_timeout: every connection is held by requests waiting on a
        # slow or hung database server.
        LOG.warning('No database connection free during request %s: %s',
                    request_id, exc)
        return service_unavailable('The database is not answering in time '
                                   '(no connection became free); no change '
                                   'was made. Retry later.')
    LOG.exception('Unexpected error in request %s', request_id)
    return make_fault(500, INTERNAL_ERROR)


def _is_data_error(exc):
    # NOTE: oslo.db raises DBDataError for some drivers and a plain DBError
    # wrapping the DB-API DataError for others (PyMySQL on MariaDB).
    if isinstance(exc, db_exc.DBDataError):
        return True
    inner = getattr(exc, 'inner_exception', None)
    return isinstance(exc, db_exc.DBError) and isinstance(
        inner, sqlalchemy.exc.DataError)


def _is_lock_timeout(exc):
    text = str(exc).lower()
    return ('database is locked' in text or 'lock wait timeout' in text or
            'could not obtain lock' in text)


def add_request_id_headers(req, resp):
    """Echo the request id as x-compute-request-id (cinderclient reads it)."""
    request_id = req.environ.get('openstack.request_id')
    if request_id:
        resp.headers['x-compute-request-id'] = request_id
