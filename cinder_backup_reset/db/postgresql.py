"""A bound on every wait for a PostgreSQL server (psycopg2).

libpq bounds connecting (``connect_timeout``) but has no read timeout:
on a connection already established, a server that stops answering (a
frozen process, a dropped network path whose kernel still acknowledges)
holds a query, and the pool's pre-ping before it, for as long as it
hangs. psycopg2's public way to take over its waits is the *wait
callback* (``psycopg2.extensions.set_wait_callback``, documented for
coroutine libraries): with one set, psycopg2 drives libpq without
blocking and calls the callback whenever it must wait for the socket.
wait() waits as psycopg2's own blocking calls would, but gives up after
``[database] postgresql_read_timeout`` seconds without a byte from the
server (as PyMySQL's ``read_timeout``), and connecting after the URL's
``connect_timeout`` in all. psycopg2 then closes that connection and
raises the callback's OperationalError; SQLAlchemy sees a closed
connection (a disconnect), so oslo.db raises DBConnectionError and the
pool connects anew on the next checkout: the API answers 503.

The callback is process-wide, so install() sets it only in processes of
this service (not in the paste filter inside cinder-api), only for a
psycopg2 URL, and never over a callback someone else set (eventlet's
green psycopg2, for one).
"""

import select
import time

from oslo_log import log as logging
import sqlalchemy as sa

LOG = logging.getLogger(__name__)

#: how wait()'s OperationalError begins (db/api.py recognises it as a
#: lost connection, as libpq's own wordings).
NO_ANSWER = 'the PostgreSQL server did not answer within'

#: what install() read; wait() applies it. Seconds.
SETTINGS = {'read_timeout': None}


def install(conf):
    """Bound psycopg2's waits in this process, for a psycopg2 URL.

    :param conf: a ConfigOpts with ``[database] connection`` and
        ``[database] postgresql_read_timeout`` (seconds; 0 leaves libpq's
        unbounded waits).
    :returns: True if wait() is psycopg2's wait callback now.
    """
    try:
        driver = sa.engine.make_url(
            conf.database.connection).get_driver_name()
    except Exception:
        return False
    if driver != 'psycopg2':
        return False
    from psycopg2 import extensions
    current = extensions.get_wait_callback()
    timeout = conf.database.postgresql_read_timeout
    if current is not None and current is not wait:
        LOG.warning('psycopg2 already has a wait callback (%r), so '
                    '[database] postgresql_read_timeout is not applied: '
                    'a PostgreSQL server that hangs on an open connection '
                    'holds requests for as long as it hangs.', current)
        return False
    if not timeout:
        extensions.set_wait_callback(None)
        return False
    SETTINGS['read_timeout'] = timeout
    extensions.set_wait_callback(wait)
    return True


def wait(conn):
    """psycopg2's wait callback: drive ``conn`` until libpq is done.

    Waits at most ``SETTINGS['read_timeout']`` seconds for each readiness
    of the socket while querying, and the URL's ``connect_timeout``
    seconds (or the read timeout, without one) for the whole connection
    start-up, as libpq's blocking connect would.

    :raises psycopg2.OperationalError: the server did not answer in time
        (psycopg2 then closes ``conn``).
    """
    import psycopg2
    from psycopg2 import extensions

    read_timeout = SETTINGS['read_timeout']
    connecting = conn.status == extensions.STATUS_SETUP
    timeout = read_timeout
    if connecting:
        given = extensions.parse_dsn(conn.dsn).get('connect_timeout')
        timeout = float(given) if given else read_timeout
    # NOTE: poll(), not select(): a busy process may hold descriptors
    # beyond select()'s FD_SETSIZE.
    poller = select.poll()
    left = timeout
    deadline = None
    while True:
        try:
            state = conn.poll()
        except psycopg2.OperationalError as exc:
            if not connecting:
                raise
            # NOTE: driven without blocking, libpq words a failed
            # connection start-up with its cause alone ("Connection
            # refused"); its blocking connect, which oslo.db and
            # db/api.py recognise, names the server first.
            raise psycopg2.OperationalError(
                _connect_failed(conn, str(exc).strip())) from exc
        if state == extensions.POLL_OK:
            return
        if state == extensions.POLL_READ:
            events = select.POLLIN
        elif state == extensions.POLL_WRITE:
            events = select.POLLOUT
        else:
            raise psycopg2.OperationalError(
                'unexpected poll state from psycopg2: %r' % state)
        if connecting and deadline is not None:
            left = max(0.0, deadline - time.monotonic())
        elif connecting:
            deadline = time.monotonic() + timeout
        poller.register(conn.fileno(), events)
        try:
            ready = poller.poll(left * 1000)
        finally:
            poller.unregister(conn.fileno())
        if not ready:
            raise psycopg2.OperationalError(
                '%s %g s (%s)' % (
                    NO_ANSWER, timeout, 'connect_timeout' if connecting else
                    '[database] postgresql_read_timeout'))


def _connect_failed(conn, cause):
    """libpq's blocking wording of a failed connection start-up."""
    from psycopg2 import extensions

    params = extensions.parse_dsn(conn.dsn)
    return 'connection to server at "%s", port %s failed: %s' % (
        params.get('host', 'localhost'), params.get('port', 5432), cause)
