"""The embedded SQLite database: its journal mode, and one writer at a time.

oslo.db treats an SQLite file as a test database (a new connection per
transaction, SQLite's own busy timeout for concurrent writers); that is
enough for the few resets a day an operator makes. This module adds
what a service with several worker processes and threads still needs:
the journal mode (``[DEFAULT] sqlite_journal_mode``), one connection per
process held open on a WAL file (hold_open()), and an inter-process lock
around write transactions (write_lock()).
"""

import contextlib
import os
import sqlite3
import threading
import urllib.parse
import weakref

from oslo_concurrency import lockutils
from oslo_log import log as logging
import sqlalchemy as sa

LOG = logging.getLogger(__name__)

#: what configure() read; tune() applies it to each new engine
OPTIONS = {'sqlite_journal_mode': 'wal'}
#: engine -> {pid: the connection hold_open() keeps in that process}
_HELD = weakref.WeakKeyDictionary()
_HELD_LOCK = threading.Lock()


def configure(conf):
    """Remember the options tune() applies."""
    OPTIONS.update(sqlite_journal_mode=conf.sqlite_journal_mode)


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
    """Set an SQLite file's journal mode on each new connection.

    The engine facade runs this on every engine it creates; tools that
    build their own engine (the benchmark) call it to match the service.
    Through SQLAlchemy's public ``connect`` event; the mode is a property
    of the file, so setting it again is a no-op. In WAL mode, the first
    connection of each process also makes hold_open() keep one open.
    """
    if not is_file(engine):
        return
    if not sa.event.contains(engine, 'connect', _journal_mode):
        sa.event.listen(engine, 'connect', _journal_mode)
        ref = weakref.ref(engine)
        sa.event.listen(engine, 'connect',
                        lambda dbapi_connection, _record: hold_open(
                            ref(), dbapi_connection))
        sa.event.listen(engine, 'engine_disposed', release)


def _journal_mode(dbapi_connection, connection_record):
    mode = OPTIONS['sqlite_journal_mode']
    cursor = dbapi_connection.cursor()
    try:
        got = cursor.execute('PRAGMA journal_mode=%s' % mode).fetchone()
    finally:
        cursor.close()
    if got and got[0].lower() != mode:
        LOG.warning('SQLite kept journal mode %(got)s instead of %(mode)s.',
                    {'got': got[0], 'mode': mode})


def hold_open(engine, dbapi_connection):
    """Keep one read-only connection open on ``engine``'s WAL file.

    NOTE: oslo.db opens an SQLite file anew for every transaction and
    closes it after. When the last connection to a WAL file closes,
    SQLite checkpoints the WAL into the database and deletes it (three
    syncs and two unlinks), and the next connection creates it again
    (two more syncs): a reset paid five syncs where its commit needs
    one. A connection that stays open, idle, holds the shared lock that
    tells SQLite the file is in use, so closing the others checkpoints
    nothing; SQLite checkpoints as it does for any long-lived connection
    (automatically, once the WAL has grown, during a commit). It holds
    no transaction, so it never delays a checkpoint, and it is read-only.
    Commits stay as durable as before: nothing about syncing changes.

    One per engine and process, opened in the process that connects;
    closed by release() when the engine is disposed, and before this
    process forks (an SQLite connection must not cross a fork: gunicorn's
    master migrates the database, then forks its workers).

    :param engine: the engine ``dbapi_connection`` was made for (None
        when it has been garbage collected: nothing is done).
    :param dbapi_connection: the new sqlite3 connection (names the file).
    """
    if engine is None or OPTIONS['sqlite_journal_mode'].lower() != 'wal':
        return
    pid = os.getpid()
    with _HELD_LOCK:
        held = _HELD.setdefault(engine, {})
        if pid in held:
            return
        path = dbapi_connection.execute(
            'PRAGMA database_list').fetchone()[2]
        if not path:
            return
        keeper = sqlite3.connect(
            'file:%s?mode=ro' % urllib.parse.quote(path), uri=True,
            isolation_level=None, check_same_thread=False)
        # NOTE: a WAL connection takes its shared lock on the first read
        # and keeps it while it is open.
        keeper.execute('PRAGMA schema_version').fetchone()
        held[pid] = keeper


def release(engine):
    """Close what hold_open() keeps for ``engine`` in this process.

    Connections another process opened (before a fork) are left alone:
    closing them here would drop that file's locks in this process.
    """
    with _HELD_LOCK:
        keeper = _HELD.get(engine, {}).pop(os.getpid(), None)
    if keeper is not None:
        keeper.close()


def _before_fork():
    # NOTE: the lock stays held across the fork, so that no thread opens
    # a connection that the child would inherit.
    _HELD_LOCK.acquire()
    pid = os.getpid()
    for held in list(_HELD.values()):
        keeper = held.pop(pid, None)
        if keeper is not None:
            keeper.close()


os.register_at_fork(before=_before_fork,
                    after_in_parent=_HELD_LOCK.release,
                    after_in_child=_HELD_LOCK.release)


@contextlib.contextmanager
def write_lock(engine):
    """One write transaction at a time on an SQLite file; else nothing.

    NOTE: an SQLite transaction that has read cannot wait to become a
    writer: when another connection has committed since its read began,
    SQLite answers SQLITE_BUSY at once, without its busy timeout (a WAL
    "busy snapshot"), and the API would answer an honest request with a
    503. oslo.db begins every SQLite transaction deferred, and some of
    ours read before they write (backup_update), so write transactions
    of the service's threads and worker processes take turns here. The
    lock is oslo.concurrency's (a semaphore per process, a file lock
    between processes) on ``<database>.lock`` beside the database file,
    never on the file itself, whose locks are SQLite's. Not re-entrant.
    """
    name = file_name(engine.url)
    if name is None:
        yield
        return
    if name.startswith('file:'):
        name = name[len('file:'):].partition('?')[0]
    path = os.path.abspath(name)
    with lockutils.lock(os.path.basename(path) + '.lock', external=True,
                        lock_path=os.path.dirname(path)):
        yield
