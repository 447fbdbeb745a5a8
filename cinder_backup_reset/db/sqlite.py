"""The embedded SQLite database: its journal mode, and one writer at a time.

oslo.db treats an SQLite file as a test database (a new connection per
transaction, SQLite's own busy timeout for concurrent writers); that is
enough for the few resets a day an operator makes. This module adds
what a service with several worker processes and threads still needs:
the journal mode (``[DEFAULT] sqlite_journal_mode``) and an
inter-process lock around write transactions (write_lock()).
"""

import contextlib
import os

from oslo_concurrency import lockutils
from oslo_log import log as logging
import sqlalchemy as sa

LOG = logging.getLogger(__name__)

#: what configure() read; tune() applies it to each new engine
OPTIONS = {'sqlite_journal_mode': 'wal'}


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
    of the file, so setting it again is a no-op.
    """
    if not is_file(engine):
        return
    if not sa.event.contains(engine, 'connect', _journal_mode):
        sa.event.listen(engine, 'connect', _journal_mode)


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
