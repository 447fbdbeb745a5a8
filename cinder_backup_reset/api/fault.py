"""Cinder's fault JSON: ``{"<faultName>": {"code": N, "message": "..."}}``.

One function turns any exception into such a response, so the Resource
layer and the outermost FaultWrapper answer identically.
"""

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
        # NOTE: a 503 is temporary by definition; say when to come back.
        # After a 408 the rest of the body may still arrive: close.
        headers = {503: {'Retry-After': '5'},
                   408: {'Connection': 'close'}}.get(code)
        return make_fault(code, message, headers)
    if isinstance(exc, webob.exc.HTTPException):
        headers = {}
        if exc.code == 405 and exc.headers.get('Allow'):
            headers['Allow'] = exc.headers['Allow']
        if exc.headers.get('Retry-After'):
            headers['Retry-After'] = exc.headers['Retry-After']
        return make_fault(exc.code, _webob_message(exc), headers)
    if isinstance(exc, (db_exc.DBConnectionError,)):
        LOG.warning('Database unreachable during request %s: %s',
                    request_id, exc)
        return make_fault(503, 'The database is unreachable; no change was '
                               'made. Retry later.', {'Retry-After': '5'})
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
        return make_fault(503, 'The database is busy; no change was made. '
                               'Retry later.', {'Retry-After': '1'})
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
