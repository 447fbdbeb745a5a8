"""The server databases' connection pool: what a reset can skip safely.

oslo.db gives MySQL and PostgreSQL engines SQLAlchemy's QueuePool, which
pings every connection it hands out (``pool_pre_ping``) and rolls back
every connection it gets back ("reset on return"), because it cannot
know what the borrower did. A reset knows, and each of those is a round
trip to the server: 0.16-0.19 ms each on the reference host
(tools/bench_roundtrip.py), where a reset made six round trips (now
four) and the SQL alternative's transaction makes three.

- **No ping for a reset's connection** (unpinged()): the reset reads
  before it writes, and a connection the server dropped since its last
  use fails on that read, before anything was written; the DB API then
  reads again on a new, pinged connection (db.api._backup_get_row).
  Every other checkout is pinged as before.
- **No ROLLBACK after a reset's COMMIT** (close_committed()), on MySQL:
  PyMySQL sends ROLLBACK to the server even with no transaction open
  (psycopg2 skips it itself). Every other check-in still rolls back.

install() rebuilds the pool without SQLAlchemy's own ping and reset and
adds ``checkout`` and ``reset`` listeners (SQLAlchemy's documented ways
to customise both) that do the same, unless told they may skip.
"""

import contextlib
import contextvars

import sqlalchemy as sa
from sqlalchemy import pool as sa_pool

#: the connection record's info keys
COMMITTED = 'cinder_backup_reset.committed'
FRESH = 'cinder_backup_reset.fresh'

#: the dialects whose pool install() rebuilds
DIALECTS = ('mysql', 'postgresql')
#: the dialects whose driver sends a ROLLBACK even with no transaction open
_ROLLBACK_ALWAYS_SENT = ('mysql',)

_UNPINGED = contextvars.ContextVar('cinder_backup_reset_unpinged',
                                   default=False)


def install(engine):
    """Give ``engine`` the pool described above (server databases only).

    The engine facade runs this on every engine it creates. Other
    dialects, pools other than SQLAlchemy's QueuePool and engines that
    have it already are left as they are.
    """
    old = engine.pool
    if engine.dialect.name not in DIALECTS or type(old) is not (
            sa_pool.QueuePool) or sa.event.contains(old, 'reset', _reset):
        return
    dialect = engine.dialect

    def _checkout(dbapi_connection, connection_record, connection_proxy):
        info = connection_record.info
        # NOTE: a COMMITTED mark is only for the check-in it precedes; one
        # left behind (a check-in that failed before the reset ran) must
        # not spare the next borrower's rollback.
        info.pop(COMMITTED, None)
        if info.pop(FRESH, False) or _UNPINGED.get():
            return
        if not _ping(dialect, dbapi_connection):
            # NOTE: as SQLAlchemy's pre-ping: drop every connection of the
            # pool older than now, and connect anew (the pool retries).
            raise sa.exc.InvalidatePoolError()

    engine.pool = queue_pool_like(
        old, pool_size=old._pool.maxsize, max_overflow=old._max_overflow,
        use_lifo=old._pool.use_lifo, timeout=old._timeout, pre_ping=False,
        reset_on_return=None)
    # NOTE: oslo.db connected once to test the URL; close what it left.
    old.dispose()
    sa.event.listen(engine.pool, 'connect', _fresh)
    sa.event.listen(engine.pool, 'checkout', _checkout)
    sa.event.listen(engine.pool, 'reset', _reset)


def queue_pool_like(old, **changes):
    """A QueuePool as ``old``, with ``changes`` to its settings.

    NOTE: built as SQLAlchemy's Pool.recreate() builds one: the same
    creator and dialect, and through _dispatch the listeners oslo.db
    installed (engine.dispose() later keeps the new settings and ours).
    """
    settings = dict(recycle=old._recycle, echo=old.echo,
                    logging_name=old._orig_logging_name,
                    reset_on_return=old._reset_on_return,
                    pre_ping=old._pre_ping, _dispatch=old.dispatch,
                    dialect=old._dialect)
    settings.update(changes)
    return sa_pool.QueuePool(old._creator, **settings)


def _ping(dialect, dbapi_connection):
    """SQLAlchemy's pre-ping: False if the server has dropped us."""
    try:
        return dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        if dialect.is_disconnect(exc, dbapi_connection, None):
            return False
        raise


def _fresh(dbapi_connection, connection_record):
    # NOTE: just connected: nothing to ping (SQLAlchemy skips it too).
    connection_record.info[FRESH] = True


def _reset(dbapi_connection, connection_record, reset_state):
    committed = connection_record is not None and (
        connection_record.info.pop(COMMITTED, False))
    if reset_state.transaction_was_reset or not reset_state.asyncio_safe:
        # NOTE: as SQLAlchemy's own reset: the Connection rolled back as it
        # closed, or this is a garbage-collected connection of an asyncio
        # driver, which must not be used here.
        return
    if committed and not reset_state.terminate_only:
        return
    dbapi_connection.rollback()


@contextlib.contextmanager
def unpinged():
    """Checkouts in this block skip the ping (see the module's note).

    Only for a caller whose first statement reads, and which retries
    that read on a new connection when it fails as a disconnect.
    """
    token = _UNPINGED.set(True)
    try:
        yield
    finally:
        _UNPINGED.reset(token)


def close_committed(conn):
    """Close ``conn`` (a Connection that has just committed) into the pool.

    With install()'s pool, the check-in skips its ROLLBACK: nothing can
    run between the commit and this close. Anything else still gets the
    rollback: a transaction open again, another database's pool.
    """
    if conn.closed:
        return
    if (conn.dialect.name in _ROLLBACK_ALWAYS_SENT and not conn.invalidated
            and not conn.in_transaction()):
        # NOTE: the check-in's reset pops the mark; a mark left by a
        # check-in that failed first is dropped at the next checkout.
        conn.connection.info[COMMITTED] = True
    conn.close()
