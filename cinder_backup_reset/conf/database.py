"""The [database] group: oslo.db's options with our embedded default."""

import urllib.parse

from oslo_config import cfg
from oslo_db import options as db_options
import sqlalchemy as sa

#: NOTE: the embedded default lives under state_path so a newcomer needs
#: no database server; real deployments set [database] connection.
SQLITE_DEFAULT = 'sqlite:///$state_path/cinder_backup_reset.sqlite'


#: NOTE: oslo.db's default (10 attempts, 10 s apart) makes the first
#: request of a worker wait up to 100 s when the database is down, and
#: only then fail. An API must answer at once: with 0 the engine does not
#: probe the database at start-up, a request that cannot reach it gets a
#: 503 straight away, and the pool reconnects by itself (pool_pre_ping)
#: once the database is back.
MAX_RETRIES_DEFAULT = 0


#: NOTE: the drivers wait without limit by default: for a server that
#: accepts connections and never answers (a frozen process, a dropped
#: network path) PyMySQL's handshake and every query read, and psycopg2's
#: connection start-up, hold the request and its thread for as long as
#: the server hangs. These parameters of the drivers are added to
#: [database] connection for each one the URL and [database]
#: connection_parameters do not already set; seconds.
DRIVER_TIMEOUTS = {
    # PyMySQL and mysqlclient: connecting; each read and write (the
    # handshake is a read, so a black-hole server costs read_timeout).
    'pymysql': {'connect_timeout': '5', 'read_timeout': '10',
                'write_timeout': '10'},
    'mysqldb': {'connect_timeout': '5', 'read_timeout': '10',
                'write_timeout': '10'},
    # libpq (psycopg2, psycopg): the whole connection start-up,
    # authentication included.
    'psycopg2': {'connect_timeout': '5'},
    'psycopg': {'connect_timeout': '5'},
}


def connection_parameters(connection, parameters=None):
    """``parameters`` plus the driver timeouts the operator did not set.

    :param connection: the ``[database] connection`` URL.
    :param parameters: ``[database] connection_parameters``
        (``a=1&b=2``), or None.
    :returns: the string for oslo.db's ``connection_parameters``, or
        ``parameters`` unchanged for a URL that cannot be parsed or a
        driver without known timeouts (SQLite).
    """
    try:
        url = sa.engine.make_url(connection)
        driver = url.get_driver_name()
    except Exception:
        return parameters
    defaults = DRIVER_TIMEOUTS.get(driver, {})
    given = set(url.query) | {
        key for key, _value in urllib.parse.parse_qsl(parameters or '')}
    added = [(key, value) for key, value in defaults.items()
             if key not in given]
    if not added:
        return parameters
    return '&'.join(filter(None, [parameters,
                                  urllib.parse.urlencode(added)]))


sqlite_opts = [
    cfg.StrOpt('sqlite_journal_mode',
               default='wal',
               choices=[('wal', 'write-ahead log: readers never wait for '
                                'the writer, and a commit is one sync of '
                                'the log'),
                        ('delete', "SQLite's own default: a rollback "
                                   'journal, several syncs per commit')],
               help='Journal mode of an SQLite database file ([database] '
                    'connection = sqlite:///...). With ``wal`` (and '
                    '[database] sqlite_synchronous left on) a committed '
                    'reset is as durable as with ``delete`` and costs a '
                    'fraction of it. Use ``delete`` only when the file is '
                    'on a network file system, where WAL\'s shared memory '
                    'does not work. Ignored for other databases.'),
]


#: seconds; as PyMySQL's read_timeout in DRIVER_TIMEOUTS.
POSTGRESQL_READ_TIMEOUT_DEFAULT = 10

postgresql_opts = [
    cfg.IntOpt('postgresql_read_timeout',
               default=POSTGRESQL_READ_TIMEOUT_DEFAULT,
               min=0,
               help='Seconds a query on PostgreSQL (psycopg2) may wait for '
                    'the server without receiving anything before the '
                    'connection is closed and the request answered 503; '
                    'libpq itself has no such timeout, so a server that '
                    'hangs on an open connection would hold requests for '
                    'as long as it hangs. Applied in the processes of this '
                    'service (API, agent, manage), not in the paste filter '
                    'inside cinder-api: the setting is process-wide in '
                    'psycopg2 and cinder-api\'s process is Cinder\'s. 0 '
                    'waits without limit. A statement that legitimately '
                    'runs longer without answering is cut off too, as '
                    'with PyMySQL\'s read_timeout. Connecting is bounded '
                    'by libpq\'s connect_timeout instead.'),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection=SQLITE_DEFAULT)
    conf.set_default('max_retries', MAX_RETRIES_DEFAULT, group='database')
    conf.register_opts(sqlite_opts)
    conf.register_opts(postgresql_opts, group='database')


def list_opts():
    # NOTE: oslo.db's own namespace documents the rest of [database].
    return {'DEFAULT': sqlite_opts, 'database': postgresql_opts}
