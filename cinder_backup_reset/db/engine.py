"""The database engine: oslo.db's engine facade, set up from ``[database]``.

The queries are in db/api.py; this module only makes and configures the
engines they run on: the facade's options from ``conf.database``
(facade_options, _db_conf), the check of the URL at start-up
(check_connection), what the service adds to each engine (tune_engine,
db/sqlite.py), and disposal after a fork.
"""

import warnings

from oslo_db import options as db_options
from oslo_db.sqlalchemy import enginefacade
from oslo_db import warning as db_warning
from oslo_log import log as logging
import sqlalchemy as sa

from cinder_backup_reset.conf import database as conf_database
from cinder_backup_reset.db import postgresql
from cinder_backup_reset.db import sqlite
from cinder_backup_reset import exception

LOG = logging.getLogger(__name__)
main_context_manager = enginefacade.transaction_context()
_LISTENING = []


def configure(conf, own_process=True):
    """Configure the engine facade from ``conf.database``.

    Once the facade has started (a transaction ran, or a test patched in its
    own engine) the configuration is fixed for the process.

    :param own_process: False where the process is someone else's (the
        paste filter inside cinder-api): process-wide driver settings
        (db/postgresql.py) are then left as they are.
    :raises InvalidDatabaseConnection: ``[database] connection`` is not a
        URL SQLAlchemy can use (see check_connection).
    """
    check_connection(conf.database.connection)
    if own_process:
        postgresql.install(conf)
    try:
        # NOTE: thread_checkin adds a time.sleep(0) to every connection
        # check-in so that eventlet green threads get a turn. We serve with
        # gunicorn's real threads (no eventlet): the sleep only hands the
        # CPU away twice per reset, which costs milliseconds on a busy host.
        main_context_manager.configure(thread_checkin=False,
                                       **_db_conf(conf))
    except enginefacade.AlreadyStartedError:
        LOG.debug('Database already configured and started; keeping it.')
    else:
        sqlite.configure(conf)
    if not _LISTENING:
        main_context_manager.append_on_engine_create(tune_engine)
        _LISTENING.append(True)


def safe_url(connection):
    """``connection`` with its password hidden, for messages and logs."""
    try:
        return sa.engine.make_url(connection).render_as_string(
            hide_password=True)
    except Exception:
        # NOTE: unparsable, so its password cannot be found: show the
        # scheme only.
        scheme, sep, _rest = (connection or '').partition('://')
        return scheme + sep + '...' if sep else '(not a URL)'


def check_connection(connection):
    """Parse ``connection`` and load its dialect and driver; no connecting.

    NOTE: the engine is built on the first request, so a URL naming an
    unknown database, an uninstalled driver or no URL at all used to be
    found there and answered with a 500 on every request. An operator
    needs to hear it at start-up instead, with the option's name.

    :raises InvalidDatabaseConnection: with what is wrong.
    """
    if not connection:
        raise exception.InvalidDatabaseConnection(
            url='(empty)', reason='set it to a database URL, for example '
                                  'mysql+pymysql://user:password@host/db')
    try:
        url = sa.engine.make_url(connection)
        url.get_dialect().import_dbapi()
    except sa.exc.NoSuchModuleError:
        raise exception.InvalidDatabaseConnection(
            url=safe_url(connection),
            reason='SQLAlchemy knows no database or driver named %r' % (
                connection.partition('://')[0]))
    except sa.exc.ArgumentError as exc:
        raise exception.InvalidDatabaseConnection(
            url=safe_url(connection), reason=str(exc))
    except ImportError as exc:
        raise exception.InvalidDatabaseConnection(
            url=safe_url(connection),
            reason='its driver is not installed (%s)' % exc)


def tune_engine(engine):
    """What the service adds to each engine oslo.db creates.

    The SQLite file's journal mode (db/sqlite.py), through SQLAlchemy's
    public ``connect`` event. The engine facade runs this on every engine;
    the test fixtures run it on theirs, so that tests use the engines the
    service uses.
    """
    sqlite.tune(engine)


def facade_options():
    """The ``[database]`` option names oslo.db's engine facade accepts.

    NOTE: asked of oslo.db itself, through its public interface: a new
    transaction context's ``configure()`` warns NotSupportedWarning for a
    key it does not accept, and oslo.db's own ``list_opts()`` names every
    option it registers in ``[database]``. So an option oslo.db adds
    reaches the facade without a change here, and one it retires is
    dropped instead of warned about on every start.
    """
    names = set()
    for _group, opts in db_options.list_opts():
        for opt in opts:
            probe = enginefacade.transaction_context()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                probe.configure(**{opt.dest: opt.default})
            if not any(issubclass(w.category, db_warning.NotSupportedWarning)
                       for w in caught):
                names.add(opt.dest)
    return frozenset(names)


def _db_conf(conf):
    """``conf.database`` as keyword arguments of the facade's configure().

    Every option the facade accepts, with the driver timeouts that bound
    every wait on a database server added to ``connection_parameters``
    (conf/database.py).
    """
    accepted = facade_options()
    values = {key: value for key, value in conf.database.items()
              if key in accepted}
    # NOTE: timeouts that bound every wait on a database server.
    values['connection_parameters'] = conf_database.connection_parameters(
        values.get('connection'), values.get('connection_parameters'))
    return values


def get_engine():
    """The writer engine (for migrations, benchmarks and tests)."""
    return main_context_manager.writer.get_engine()


def dispose_engine():
    """Close pooled connections (after fork, or in tests).

    NOTE: never *starts* the engine facade: starting it connects to the
    database (retrying [database] max_retries times), and this runs in
    gunicorn's post_fork hook, so a database that is down while a worker
    boots would block the worker, then kill it and with it the whole API
    ("Worker failed to boot"). A facade that never started has nothing to
    dispose; the worker connects on its first request instead.
    """
    main_context_manager.dispose_pool()
