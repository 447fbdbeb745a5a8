"""A gunicorn gthread worker whose threads only get complete request heads.

NOTE: gunicorn's gthread worker hands a connection to a thread, which
then reads the request line and headers with a blocking socket and no
deadline. A client that trickles its headers (slowloris) or sends the
first bytes and stops holds that thread for as long as it likes, so
``wsgi_default_pool_size`` such clients stop a worker answering anyone.
This worker collects each request head in its event loop instead (the
poller it already has for keep-alive connections) and submits the
connection to the thread pool only once the head is complete; a
connection that has not sent its head within ``client_header_timeout``
seconds is closed without ever taking a thread. Once a thread has it, each
blocking read or write waits at most ``client_socket_timeout`` seconds, so
a client stalled in the middle of its body lets the thread go too.
"""

import functools
import selectors
import time

from gunicorn.workers import gthread

HEAD_END = b'\r\n\r\n'
RECV_SIZE = 65536


class _BufferedSocket:
    """The client socket; bytes read by the event loop are served first."""

    def __init__(self, sock, io_timeout=None):
        self._sock = sock
        self.buffer = bytearray()
        self.io_timeout = io_timeout

    def setblocking(self, flag):
        # NOTE: gunicorn makes the socket blocking for the thread that
        # serves a request, with no time limit: a client that stops in the
        # middle of its body (or stops reading the answer) would hold that
        # thread for good. Here blocking means "for at most io_timeout
        # seconds per operation", as Cinder's client_socket_timeout does.
        if flag and self.io_timeout:
            self._sock.settimeout(self.io_timeout)
        else:
            self._sock.setblocking(flag)

    def recv(self, size, *args):
        if self.buffer:
            data = bytes(self.buffer[:size])
            del self.buffer[:size]
            return data
        return self._sock.recv(size, *args)

    def __getattr__(self, name):
        return getattr(self._sock, name)


class HeadFirstThreadWorker(gthread.ThreadWorker):
    """gthread, with request heads read by the event loop."""

    #: seconds a client has to send a complete request head (set by
    #: cinder_backup_reset.cmd.api from client_header_timeout)
    head_timeout = 20
    #: seconds one blocking read or write of a request may wait (set from
    #: client_socket_timeout); None waits for ever
    io_timeout = None

    def init_process(self):
        self._heads = {}
        # NOTE: past this size the head goes to the parser anyway, which
        # answers 400 for a request line or header over the limits.
        self._head_limit = (self.cfg.limit_request_line + 4 +
                            self.cfg.limit_request_fields *
                            (self.cfg.limit_request_field_size + 2))
        super().init_process()

    def enqueue_req(self, conn):
        parser = getattr(conn, 'parser', None)
        if self.cfg.is_ssl:
            # NOTE: TLS bytes are not a request head; the API does not
            # terminate TLS itself (a proxy in front does).
            return super().enqueue_req(conn)
        if getattr(conn, 'head_ready', False) or (
                parser is not None and parser.unreader.buf.getvalue()):
            # NOTE: a complete head, or bytes the parser already holds
            # (read ahead while draining a body): a thread may take it.
            conn.head_ready = False
            return super().enqueue_req(conn)
        if not isinstance(conn.sock, _BufferedSocket):
            conn.sock = _BufferedSocket(conn.sock, self.io_timeout)
        if HEAD_END in conn.sock.buffer:
            return self._head_complete(conn)
        conn.sock.setblocking(False)
        self._heads[conn] = time.monotonic() + self.head_timeout
        self._register(conn)

    def _register(self, conn):
        callback = functools.partial(self._on_head_data, conn)
        lock = getattr(self, '_lock', None)
        if lock is None:
            self.poller.register(conn.sock, selectors.EVENT_READ, callback)
        else:
            with lock:
                self.poller.register(conn.sock, selectors.EVENT_READ,
                                     callback)

    def _unregister(self, conn):
        self._heads.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def _on_head_data(self, conn, *args):
        try:
            data = conn.sock._sock.recv(RECV_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b''
        if not data:
            self._drop(conn)
            return
        conn.sock.buffer += data
        if (HEAD_END in conn.sock.buffer or
                len(conn.sock.buffer) > self._head_limit):
            self._unregister(conn)
            self._head_complete(conn)

    def _head_complete(self, conn):
        conn.head_ready = True
        # NOTE: tells gunicorn >= 25 not to wait for data again.
        conn.data_ready = True
        self.enqueue_req(conn)

    def _drop(self, conn):
        self._unregister(conn)
        self.nr_conns -= 1
        conn.close()

    def murder_keepalived(self, *args, **kwargs):
        """Also close connections whose head is overdue."""
        result = super().murder_keepalived(*args, **kwargs)
        now = time.monotonic()
        for conn, deadline in list(self._heads.items()):
            if deadline < now:
                self.log.info('Closing a connection from %s that sent no '
                              'complete request head in %ss.',
                              conn.client, self.head_timeout)
                self._drop(conn)
        return result
