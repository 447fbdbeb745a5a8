"""The embedded SQLite database: pooled connections, WAL, one writer.

oslo.db treats an SQLite file as a test database: a new connection per
transaction and SQLite's own retry loop for concurrent writers. For a
service with several worker processes and threads this module makes the
engine behave like a small server database.
"""

import contextlib
import fcntl
import os
import threading

from oslo_log import log as logging
import sqlalchemy as sa
from sqlalchemy import pool as sa_pool

from cinder_backup_reset.db import pool

LOG = logging.getLogger(__name__)

#: what configure() read; tune() applies it to each new engine
OPTIONS = {'sqlite_journal_mode': 'wal', 'max_pool_size': 5,
           'max_overflow': 50}

#: the conn.info key oslo.db's SQLite listeners use for "BEGIN was sent"
_OSLO_DB_TX_MARKER = 'in_transaction'

_LOCKS = {}
_LOCKS_GUARD = threading.Lock()


def configure(conf):
    """Remember the options tune() applies."""
    OPTIONS.update(
        sqlite_journal_mode=conf.sqlite_journal_mode,
        max_pool_size=conf.database.max_pool_size or 5,
        max_overflow=conf.database.max_overflow or 0)


def is_file(engine):
    """Whether ``engine`` is an SQLite database file (not in memory)."""
    return file_name(engine.url) is not None


def file_name(url):
    """The database file an SQLite ``url`` names, or None.

    None for other databases and for in-memory SQLite. The name is as
    written: a path, or a ``file:`` URI.
    """
    url = sa.engine.make_url(url)
    if url.get_backend_name() != 'sqlite':
        return None
    database = url.database or ''
    if (database in ('', ':memory:') or database.startswith(
            'file::memory:') or 'mode=memory' in database
            or url.query.get('mode') == 'memory'):
        return None
    return database


def tune(engine):
    """Pool an SQLite file's connections, set its journal mode, begin cheaply.

    The engine facade runs this on every engine it creates; tools that
    build their own engine (the benchmark) call it to match the service.

    NOTE: oslo.db gives SQLite files a NullPool: every transaction opened
    a new connection, and SQLite re-read and parsed the schema on its
    first statement, twice per reset. A file connection holds nothing
    that can go stale (no server, check_same_thread is off for files), so
    a QueuePool sized like the server pools is safe, and no ping is
    needed. The journal mode is set on every new connection (it is a
    property of the file; setting it again is a no-op).
    """
    old = engine.pool
    if not is_file(engine) or not isinstance(old, sa_pool.NullPool):
        # NOTE: not a file, or tuned already (oslo.db gives every SQLite
        # file a NullPool).
        return
    # NOTE: the new pool keeps the connect listeners oslo.db installed
    # (its REGEXP function, its own BEGIN handling).
    engine.pool = pool.queue_pool_like(
        old, pool_size=OPTIONS['max_pool_size'],
        max_overflow=OPTIONS['max_overflow'], pre_ping=False)
    mode = OPTIONS['sqlite_journal_mode']

    # NOTE: oslo.db begins SQLite transactions itself (pysqlite's own
    # handling is switched off) by executing BEGIN as a full SQLAlchemy
    # statement, about 20 us twice per reset. Running first, this sends
    # the same BEGIN straight to the driver and sets oslo.db's marker, so
    # its listener sees a transaction already begun; its commit and
    # rollback listeners clear the marker as before.
    # SQLAlchemy ignores insert=True here, so take the listeners out and
    # put them back after this one.
    def _begin(conn):
        if _OSLO_DB_TX_MARKER not in conn.info:
            conn.connection.dbapi_connection.execute('BEGIN')
            conn.info[_OSLO_DB_TX_MARKER] = True

    theirs = list(engine.dispatch.begin)
    for listener in theirs:
        sa.event.remove(engine, 'begin', listener)
    sa.event.listen(engine, 'begin', _begin)
    for listener in theirs:
        sa.event.listen(engine, 'begin', listener)

    @sa.event.listens_for(engine, 'connect')
    def _journal_mode(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        try:
            got = cursor.execute('PRAGMA journal_mode=%s' % mode).fetchone()
        finally:
            cursor.close()
        if got and got[0].lower() != mode:
            LOG.warning('SQLite kept journal mode %(got)s instead of '
                        '%(mode)s for %(db)s.',
                        {'got': got[0], 'mode': mode,
                         'db': engine.url.database})


class WriteLock:
    """One writer at a time among this service's threads and processes.

    NOTE: SQLite lets one connection write at a time; the others retry in
    a loop that sleeps 1, 2, 5, 10 ... ms between attempts, unfairly: with
    2 processes x 3 threads committing flat out, the slowest commit took
    0.5-0.8 s (p99 34-54 ms). Waiting on a thread lock and an flock()
    instead wakes the next writer when the last one commits: slowest
    38-77 ms, p99 13-20 ms, for a quarter less peak commit rate (the lock
    also covers BEGIN); ``tools/bench_sqlite_writers.py`` measures both.
    Bounded waits matter more to an operator resetting backups than the
    last quarter of a rate no API request reaches. The
    flock is on
    ``<database>.lock`` (never on the database file, whose locks are
    SQLite's), opened once per process: a descriptor inherited across
    fork would share its lock with the parent.
    """

    def __init__(self, path):
        self.path = path + '.lock'
        self._thread_lock = threading.Lock()
        self._fd = None
        self._pid = None

    @contextlib.contextmanager
    def held(self):
        """Hold the lock for one write transaction (not re-entrant)."""
        with self._thread_lock:
            if self._pid != os.getpid():
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                self._pid = os.getpid()
            fcntl.flock(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)


@contextlib.contextmanager
def write_lock(engine):
    """Hold ``engine``'s WriteLock if it is an SQLite file, else nothing."""
    if not is_file(engine):
        yield
        return
    path = os.path.abspath(engine.url.database)
    lock = _LOCKS.get(path)
    if lock is None:
        with _LOCKS_GUARD:
            lock = _LOCKS.setdefault(path, WriteLock(path))
    with lock.held():
        yield
