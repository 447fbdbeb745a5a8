"""The ``backup_reset`` paste filter: the service inside cinder-api.

Loaded into Cinder's own ``api-paste.ini`` right before ``apiv3``::

    [filter:backup_reset]
    use = egg:cinder-backup-reset#backup_reset
    config_file = /etc/cinder-backup-reset/cinder-backup-reset.conf

It answers the requests it owns with the standalone service's router,
controllers, manager and DB API (a thin adapter, not a second
implementation) and hands every other request to Cinder untouched, body and
headers included. What it owns, on ``/v3/{project_id}/...`` and ``/v3/...``:

- ``POST backups/{id}/action`` whose action key is one the standalone
  router serves on backups (``backup-reset_status``, and
  ``os-reset_status`` unless ``[cinder_filter] handle_os_reset_status`` is
  false);
- ``GET backups/{id}/<sub-resource>`` for the standalone router's
  sub-resources of backups (``status-history``).

The caller is Cinder's request context (``environ['cinder.context']``),
read by attribute: this package never imports ``cinder``. Options come
from the filter's ``config_file`` through a private ``cfg.ConfigOpts``:
Cinder's global CONF owns names such as ``backup_driver`` and
``auth_strategy`` with other meanings.
"""

import os
import re
import urllib.parse

from oslo_config import cfg
from oslo_log import log as logging
from oslo_policy import opts as policy_opts
from oslo_serialization import jsonutils
import webob

from cinder_backup_reset.api import fault
from cinder_backup_reset.api import resource
from cinder_backup_reset.api import router as api_router
from cinder_backup_reset import conf as service_conf
from cinder_backup_reset import context
from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset import exception
from cinder_backup_reset import policy

LOG = logging.getLogger(__name__)
PROJECT = 'cinder-backup-reset'

#: where Cinder's auth middleware leaves its RequestContext
CINDER_CONTEXT_KEY = 'cinder.context'

#: ``[/{project_id}]/backups/{id}/{tail}`` (PATH_INFO below ``/v3``)
#: ``backups`` or ``backups/detail`` (the stuck report when ``?stuck``)
_LIST_PATH = re.compile(r'^(?:/[^/]+)?/backups(?:/detail)?$')
#: ``backups/action`` (the bulk reset)
_COLLECTION_ACTION_PATH = re.compile(r'^(?:/[^/]+)?/backups/action$')
_MEMBER_PATH = re.compile(
    r'^(?:/[^/]+)?/backups/[^/]+/([^/]+)(/[^/]+)?$')

#: NOTE: the bodies the filter owns are a few hundred bytes; a larger or
#: unsized body is not one of them, so it is not read here at all.
MAX_PEEK_BYTES = 65536

#: Cinder context attributes copied when present (beyond the required
#: user_id, project_id, roles, is_admin and request_id), for policy
#: checks on scope and domain and for the log and notification context.
_OPTIONAL_ATTRIBUTES = ('global_request_id', 'user_name', 'project_name',
                        'user_domain_id', 'project_domain_id', 'domain_id',
                        'system_scope', 'is_admin_project')


def load_conf(config_file):
    """Parse ``config_file`` into a new ConfigOpts with our options.

    Only that file is read (no default files or directories, no command
    line). Every option is read once, so a bad value is found now.

    :returns: the parsed ConfigOpts
    :raises FilterConfigInvalid: the file is missing, unreadable, not an
        oslo.config file, or has a value our options refuse; the message
        names the file.
    """
    if not config_file:
        raise exception.FilterConfigInvalid(
            path='(none)', reason='the [filter:backup_reset] section of '
                                  'api-paste.ini has no config_file')
    if not os.path.isfile(config_file):
        raise exception.FilterConfigInvalid(
            path=config_file, reason='no such file')
    if not os.access(config_file, os.R_OK):
        raise exception.FilterConfigInvalid(
            path=config_file, reason='not readable by this user')
    conf = cfg.ConfigOpts()
    service_conf.register_opts(conf)
    policy_opts.set_defaults(conf, 'policy.yaml')
    try:
        conf([], project=PROJECT, default_config_files=[config_file],
             default_config_dirs=[])
        _read_every_option(conf)
        db_engine.check_connection(conf.database.connection)
    except (cfg.Error, ValueError,
            exception.CinderBackupResetException) as exc:
        raise exception.FilterConfigInvalid(
            path=config_file, reason=_one_line(exc)) from exc
    return conf


def _read_every_option(conf):
    """Read each of our options (oslo.config checks values on read)."""
    for group, opts in _own_opts():
        for opt in opts:
            if group == 'DEFAULT':
                getattr(conf, opt.dest)
            else:
                getattr(getattr(conf, group), opt.dest)


def _own_opts():
    from cinder_backup_reset.conf import opts
    yield from opts.list_opts()
    from oslo_db import options as db_options
    yield 'database', db_options.database_opts


def _one_line(exc):
    return ' '.join(str(exc).split()) or type(exc).__name__


def context_from_cinder(cinder_context):
    """Our RequestContext for the caller Cinder authenticated.

    ``cinder_context`` is Cinder's RequestContext, read by attribute only
    (``user_id``, ``project_id``, ``roles``, ``is_admin``, ``request_id``,
    and the optional ones when present). ``is_admin`` is Cinder's verdict
    (its ``context_is_admin`` rule), so both halves of cinder-api agree on
    who is an administrator; the request id is Cinder's own.
    """
    values = {}
    for name in _OPTIONAL_ATTRIBUTES:
        value = getattr(cinder_context, name, None)
        if value is not None:
            values[name] = value
    return context.RequestContext(
        user_id=cinder_context.user_id,
        project_id=cinder_context.project_id,
        roles=list(getattr(cinder_context, 'roles', None) or []),
        is_admin=bool(cinder_context.is_admin),
        request_id=cinder_context.request_id,
        **values)


#: the router's ``POST backups/{id}/action`` keys the filter leaves to
#: Cinder: its backup service deletes with whatever driver wrote the backup
CINDER_KEEPS = ('os-force_delete',)


class BackupResetFilter:
    """WSGI middleware: our requests to our router, the rest to Cinder."""

    def __init__(self, application, conf, router=None):
        self.application = application
        self.conf = conf
        self.router = router or api_router.APIRouter(conf)
        # NOTE: every action the router serves on a backup, so that a new
        # one needs no entry here, except those PRODUCT.md leaves to Cinder
        # where the standalone router serves them too (CINDER_KEEPS).
        actions = set(self.router.resources['backups'].actions) - set(
            CINDER_KEEPS)
        if not conf.cinder_filter.handle_os_reset_status:
            actions.discard('os-reset_status')
        #: action keys of ``POST backups/{id}/action`` served here
        self.actions = frozenset(actions)
        #: action keys of ``POST backups/action`` (the bulk reset) served
        #: here, when the router serves that route
        self.collection_actions = frozenset(
            ['backup-reset_status'] if 'backups:action' in
            self.router.resources else [])
        #: sub-resources of ``GET backups/{id}/<name>`` served here
        self.sub_resources = frozenset(
            name.partition(':')[2] for name in self.router.resources
            if name.startswith('backups:'))

    def __call__(self, environ, start_response):
        try:
            owned = self.owns(environ)
        except Exception:
            # NOTE: whatever goes wrong while deciding, a request that may
            # not be ours must still reach Cinder as it came.
            LOG.exception('backup_reset could not classify %s %s; passing '
                          'it to Cinder.', environ.get('REQUEST_METHOD'),
                          environ.get('PATH_INFO'))
            owned = False
        if not owned:
            return self.application(environ, start_response)
        return self._serve(environ, start_response)

    def owns(self, environ):
        """Whether this request is one the filter answers.

        Reads (and leaves intact) the body of ``POST .../action`` only.
        """
        path = environ.get('PATH_INFO', '')
        method = environ.get('REQUEST_METHOD')
        if not _utf8(path):
            return False
        if method == 'GET' and _LIST_PATH.match(path):
            return 'stuck' in urllib.parse.parse_qs(
                environ.get('QUERY_STRING', ''), keep_blank_values=True)
        if method == 'POST' and _COLLECTION_ACTION_PATH.match(path):
            return peek_action(environ) in self.collection_actions
        match = _MEMBER_PATH.match(path)
        if not match:
            return False
        tail, item = match.group(1), match.group(2)
        if method == 'GET':
            # NOTE: a sub-resource's list or one of its items
            # (verifications/{vid}).
            return tail in self.sub_resources
        if method == 'POST' and tail == 'action' and not item:
            return peek_action(environ) in self.actions
        return False

    def _serve(self, environ, start_response):
        cinder_context = environ.get(CINDER_CONTEXT_KEY)
        if cinder_context is None:
            LOG.error('backup_reset got %s %s without a Cinder request '
                      'context: put the filter after the auth filters in '
                      "Cinder's api-paste.ini (right before apiv3).",
                      environ.get('REQUEST_METHOD'),
                      environ.get('PATH_INFO'))
            resp = fault.make_fault(
                401, 'Authentication required: no authenticated caller '
                     'reached the backup_reset filter.')
            return resp(environ, start_response)
        environ[resource.CONTEXT_KEY] = context_from_cinder(cinder_context)
        return self.router(environ, start_response)


def _utf8(path):
    try:
        path.encode('latin-1').decode('utf-8')
    except UnicodeError:
        return False
    return True


def peek_action(environ):
    """The action key of a JSON action body, or None; the body stays.

    None unless the body is a JSON object with exactly one key, sent as
    JSON with a known length of at most MAX_PEEK_BYTES: anything else is
    not a request the filter owns, and Cinder answers it. Reading makes
    the body seekable and rewinds it, so the next application reads the
    same bytes.
    """
    req = webob.Request(environ)
    if (req.content_type or '').lower() not in resource.JSON_TYPES:
        return None
    length = req.content_length
    if length is None or length > MAX_PEEK_BYTES:
        return None
    body = req.body
    try:
        data = jsonutils.loads(body.decode('utf-8'))
    except (ValueError, UnicodeDecodeError):
        return None
    if isinstance(data, dict) and len(data) == 1:
        return next(iter(data))
    return None


def filter_factory(global_conf, **local_conf):
    """paste.filter_factory: ``use = egg:cinder-backup-reset#backup_reset``.

    ``config_file`` (required) names our configuration. A missing or
    invalid file stops cinder-api at start-up with one line naming it.
    The database and policy of the process are set up from it; the
    database is not contacted until a request needs it.
    """
    try:
        conf = load_conf(local_conf.get('config_file'))
        # NOTE: cinder-api's process is Cinder's: no process-wide
        # driver settings (the PostgreSQL read timeout, db/postgresql.py).
        db_engine.configure(conf, own_process=False)
        policy.use_conf(conf)
        router = api_router.APIRouter(conf)
    except exception.FilterConfigInvalid as exc:
        raise SystemExit('cinder-backup-reset: %s' % exc)
    except exception.CinderBackupResetException as exc:
        raise SystemExit('cinder-backup-reset: config_file %s: %s' % (
            local_conf.get('config_file'), _one_line(exc)))

    def _filter(app):
        return BackupResetFilter(app, conf, router=router)
    return _filter
