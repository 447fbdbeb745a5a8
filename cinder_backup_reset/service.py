"""Process start-up shared by the API, the WSGI module and manage."""

import glob
import os
import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging
from sqlalchemy import exc as sa_exc

from cinder_backup_reset import conf as service_conf
from cinder_backup_reset.conf import opts
from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset.db import migration
from cinder_backup_reset.db import sqlite as db_sqlite
from cinder_backup_reset import exception
from cinder_backup_reset import version

LOG = logging.getLogger(__name__)
# NOTE: the standalone service's options live on the global CONF.
service_conf.register_opts(cfg.CONF)
PROJECT = 'cinder-backup-reset'

_PASTE_DIRS = (
    '/etc/cinder-backup-reset',
    os.path.join(sys.prefix, 'etc', 'cinder-backup-reset'),
    # NOTE: a checkout (editable install, tox): etc/ next to the package.
    os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                 'etc', 'cinder-backup-reset'),
)


def parse_args(argv, conf=cfg.CONF, default_config_files=None,
               identity=True):
    """Parse the command line and config files; set up logging.

    ``identity=False``: a command that serves no API (manage, the agent)
    skips keystonemiddleware's defaults, and so its import.
    """
    logging.register_options(conf)
    opts.set_lib_defaults(identity=identity)
    conf(argv, project=PROJECT, version=version.version_string(),
         default_config_files=default_config_files)
    anchor_paths(conf)
    logging.setup(conf, PROJECT)


#: directory options whose relative value in a config file names a place
#: next to that file.
FILE_RELATIVE_PATHS = ('state_path', 'backup_posix_path')


def anchor_paths(conf=cfg.CONF):
    """Make relative directories set in a config file relative to that file.

    NOTE: otherwise the quick-start's ``state_path = quickstart-state``
    meant a new, empty database in whatever directory a command ran from.
    A relative value from the command line or the environment stays
    relative to the current directory, as the user typed it.
    """
    for name in FILE_RELATIVE_PATHS:
        value = conf[name]
        if not value or os.path.isabs(value):
            continue
        where = conf.get_location(name)
        if where.location is not cfg.Locations.user or not where.detail:
            continue
        source = _file_that_sets(conf, name) or where.detail
        base = os.path.dirname(os.path.abspath(source))
        conf.set_override(name, os.path.normpath(os.path.join(base, value)))


def _config_files(conf):
    """The files oslo.config read, in its order.

    ``--config-file``s, then each ``--config-dir``'s ``*.conf``, sorted.
    """
    files = list(conf.config_file or [])
    directories = conf.config_dir or []
    if isinstance(directories, str):
        directories = [directories]
    for directory in directories:
        files.extend(sorted(glob.glob(os.path.join(directory, '*.conf'))))
    return files


def _file_that_sets(conf, name):
    """The last config file that sets ``[DEFAULT] name``, or None.

    NOTE: oslo.config's get_location() names the last file it parsed,
    not the one that set the option (doc/source/contributor/upstream.rst),
    so with ``--config-file quickstart.conf --config-file port.conf`` a
    relative state_path from the first was anchored to the second. Each
    file is read again with oslo.config's own parser.
    """
    found = None
    for path in _config_files(conf):
        sections = {}
        try:
            cfg.ConfigParser(path, sections).parse()
        except (OSError, cfg.ParseError):
            continue
        if name in sections.get('DEFAULT', {}):
            found = path
    return found


def find_paste_config(conf=cfg.CONF):
    """Absolute path of the paste config named by api_paste_config.

    A relative name is looked up where oslo.config finds files (next to the
    config files loaded, then its standard directories), then in the
    installed data files and a checkout.
    """
    name = conf.api_paste_config
    if os.path.isabs(name):
        if os.path.exists(name):
            return name
        raise exception.PasteConfigNotFound(path=name)
    found = conf.find_file(name)
    if found:
        return os.path.abspath(found)
    for directory in _PASTE_DIRS:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return path
    raise exception.PasteConfigNotFound(path=', '.join(
        [name + ' next to the config files'] +
        [os.path.join(d, name) for d in _PASTE_DIRS]))


def ensure_state_path(conf=cfg.CONF):
    """Create the directory of an SQLite database file if it is missing.

    Call it after db_engine.configure(), which refuses a connection that is
    not a usable URL.

    :raises DatabaseUnusable: it cannot be created.
    """
    connection = conf.database.connection
    path = db_sqlite.file_name(connection)
    directory = os.path.dirname(path or '')
    if directory and not path.startswith('file:'):
        try:
            os.makedirs(directory, mode=0o750, exist_ok=True)
        except OSError as exc:
            raise exception.DatabaseUnusable(problem=(
                'cannot create the directory of the SQLite database '
                '%s: %s' % (db_engine.safe_url(connection), exc))) from exc


def database_problem(exc, conf=cfg.CONF):
    """One sentence for an operator: why the database cannot be used.

    ``exc`` is an oslo.db DBError or a SQLAlchemy DBAPIError raised while
    opening, reaching or migrating the database of ``[database]
    connection``.
    """
    url = db_engine.safe_url(conf.database.connection)
    inner = getattr(exc, 'inner_exception', None) or exc
    # NOTE: the driver's own words (SQLAlchemy's text adds the class name
    # and a link on another line).
    cause = getattr(inner, 'orig', None) or inner
    reason = (str(cause).strip().split('\n')[0].rstrip('.') or
              type(cause).__name__)
    if url.startswith('sqlite'):
        return ('cannot use the SQLite database %s: %s. Check that its '
                'directory exists and that this user may write there '
                '([database] connection, [DEFAULT] state_path).' % (
                    url, reason))
    if isinstance(exc, db_exc.DBNonExistentDatabase):
        return ('the database of %s does not exist: %s. Create it, then '
                'run "cinder-backup-reset-manage db sync".' % (url, reason))
    if isinstance(exc, (db_exc.DBConnectionError, sa_exc.OperationalError)):
        return ('cannot connect to the database %s: %s. Check [database] '
                'connection (user, password, host, database name) and that '
                'the server is running.' % (url, reason))
    return 'the database %s failed: %s.' % (url, reason)


def start_or_explain(start):
    """Run ``start()``; say in one sentence why it failed, if it did.

    For the commands' start-up: a configuration or database problem is
    an operator's to fix, so it is one line, not a traceback.

    :returns: ``(start()'s result, None)``, or ``(None, the reason)``.
    """
    try:
        return start(), None
    except exception.CinderBackupResetException as exc:
        return None, str(exc)
    except (db_exc.DBError, sa_exc.DBAPIError) as exc:
        LOG.debug('Start-up failed.', exc_info=True)
        return None, database_problem(exc)


def init_database(conf=cfg.CONF):
    """Configure the DB API; on SQLite also create the schema if absent.

    NOTE: only the embedded SQLite default is migrated automatically, so a
    newcomer can start the service straight away; a server database is
    migrated by the operator with ``cinder-backup-reset-manage db sync``.
    """
    db_engine.configure(conf)
    ensure_state_path(conf)
    if (conf.database.connection or '').startswith('sqlite'):
        try:
            migration.db_sync()
        except (db_exc.DBError, sa_exc.DBAPIError) as exc:
            raise exception.DatabaseUnusable(
                problem=database_problem(exc, conf)) from exc
