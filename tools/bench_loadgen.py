"""A cheap HTTP/1.1 load generator for tools/bench_reset.py.

Python's http.client costs a client process more CPU per request than a
small API costs the server; on a two-core machine four such clients
leave too little CPU for a second worker to show. Here one process
drives every connection from one selector (epoll on Linux), with the
request bytes built once, one request in flight per connection (no
pipelining), and a response parsed only as far as its status code and
Content-Length. Its own CPU time, and the server's (from /proc), are
measured over the same window, so a report can say what bound it.

Linux only (/proc); loopback only; pure Python (no wrk or the like).
"""

import os
import selectors
import socket
import sys
import time

HEAD_END = b'\r\n\r\n'
CONTENT_LENGTH = b'\r\ncontent-length:'
RECV_SIZE = 65536
CLK_TCK = os.sysconf('SC_CLK_TCK')


class LoadError(RuntimeError):
    pass


def request_bytes(port, method, path, headers, body):
    """One request, with the headers http.client would have sent."""
    lines = ['%s %s HTTP/1.1' % (method, path),
             'Host: 127.0.0.1:%d' % port,
             'Accept-Encoding: identity']
    lines += ['%s: %s' % item for item in headers.items()]
    lines.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body


def parse(buf):
    """(status, length) of the complete response at the head of ``buf``.

    None while the head or the body is still incomplete. Only
    Content-Length framing is understood (what the API and webob send).
    """
    end = buf.find(HEAD_END)
    if end < 0:
        return None
    head = bytes(buf[:end]).lower()
    at = head.find(CONTENT_LENGTH)
    if at < 0:
        raise LoadError('response without Content-Length: %r' % head[:300])
    stop = head.find(b'\r\n', at + 2)
    length = int(head[at + len(CONTENT_LENGTH):stop if stop >= 0 else None])
    total = end + 4 + length
    if len(buf) < total:
        return None
    return int(head[9:12]), total


class Connection:
    """One keep-alive connection sending ``requests`` in turn.

    ``labels`` name the requests (for the reset: the status each one
    sets); ``label`` is the label of the last request answered, or
    ``initial`` before the first.
    """

    def __init__(self, port, requests, labels=None, initial=None,
                 expect=202):
        self.sock = socket.create_connection(('127.0.0.1', port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.requests = tuple(requests)
        self.labels = tuple(labels or range(len(self.requests)))
        self.label = initial
        self.expect = expect
        self.index = 0
        self.buf = bytearray()

    def close(self):
        self.sock.close()

    def send(self):
        data = self.requests[self.index]
        sent = self.sock.send(data)
        if sent != len(data):
            # NOTE: cannot happen with one small request in flight (the
            # send buffer is empty); say so rather than stall if it does.
            raise LoadError('short send: %d of %d bytes' % (sent, len(data)))

    def receive(self):
        """Read what is there; True once the whole response is in."""
        data = self.sock.recv(RECV_SIZE)
        if not data:
            raise LoadError('the server closed the connection')
        self.buf += data
        done = parse(self.buf)
        if done is None:
            return False
        status, total = done
        if status != self.expect or len(self.buf) != total:
            raise LoadError('answered %d (expected %d): %r' % (
                status, self.expect, bytes(self.buf[:300])))
        self.buf.clear()
        self.label = self.labels[self.index]
        self.index = (self.index + 1) % len(self.requests)
        return True

    def run(self, n):
        """``n`` requests one after the other (the socket blocking)."""
        for _ in range(n):
            self.send()
            while not self.receive():
                pass


class Window:
    """What one timed window of ``drive`` measured."""

    def __init__(self, requests, seconds, client_cpu, before, after):
        self.requests = requests
        self.seconds = seconds
        #: CPU seconds this process spent in the window
        self.client_cpu = client_cpu
        #: probe() results at the start and at the end of the window
        self.before = before
        self.after = after

    @property
    def rate(self):
        return self.requests / self.seconds


def drive(conns, duration, probe=None):
    """Keep one request in flight on each connection for ``duration`` s.

    Counts the responses that arrive within the window; requests still
    in flight when it closes are answered (so every connection ends
    idle and its label is true) but not counted. ``probe`` (a callable)
    is called just before the window opens and just after it closes.
    """
    sel = selectors.DefaultSelector()
    for conn in conns:
        conn.sock.setblocking(False)
        sel.register(conn.sock, selectors.EVENT_READ, conn)
    try:
        before = probe() if probe else None
        cpu = time.process_time()
        start = time.perf_counter()
        deadline = start + duration
        for conn in conns:
            conn.send()
        done = 0
        in_flight = len(conns)
        window = None
        while in_flight:
            counting = window is None
            if counting:
                events = sel.select(max(0.0, deadline - time.perf_counter()))
                now = time.perf_counter()
                resend = now < deadline
            else:
                events = sel.select(30)
                if not events:
                    raise LoadError('no response in 30 s')
                resend = False
            for key, _ in events:
                conn = key.data
                if not conn.receive():
                    continue
                done += counting
                if resend:
                    conn.send()
                else:
                    in_flight -= 1
            if counting and not resend:
                client_cpu = time.process_time() - cpu
                after = probe() if probe else None
                window = Window(done, now - start, client_cpu, before, after)
        return window
    finally:
        sel.close()
        for conn in conns:
            conn.sock.settimeout(30)


# ------------------------------------------------------------------ /proc

def _processes():
    """pid -> (parent pid, process group) of every process."""
    result = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            fields = _stat_fields(int(name))
        except OSError:
            continue
        result[int(name)] = int(fields[1]), int(fields[2])
    return result


def process_group(pgid):
    """The pids of the processes in group ``pgid``."""
    return sorted(pid for pid, (_, group) in _processes().items()
                  if group == pgid)


def listener(port):
    """The pids of the process listening on TCP ``port`` and its children.

    A database server on this host: the PostgreSQL postmaster and its
    backends, or mariadbd. Empty if no process here listens on it.
    """
    inodes = set()
    for path in ('/proc/net/tcp', '/proc/net/tcp6'):
        try:
            with open(path) as f:
                next(f)
                rows = [line.split() for line in f]
        except OSError:
            continue
        # NOTE: state 0A is LISTEN.
        inodes.update(row[9] for row in rows if row[3] == '0A' and
                      int(row[1].rsplit(':', 1)[1], 16) == port)
    processes = _processes()
    holders = _socket_holders(processes)
    pids = {holders[inode] for inode in inodes if inode in holders}
    children = {pid for pid, (parent, _) in processes.items()
                if parent in pids}
    return sorted(pids | children)


def _stat_fields(pid):
    """/proc/<pid>/stat from its third field (state) on."""
    with open('/proc/%d/stat' % pid, 'rb') as f:
        data = f.read()
    # NOTE: the command name (field 2) may hold spaces and parentheses.
    return data[data.rindex(b')') + 2:].split()


def cpu_seconds(pids):
    """pid -> user + system CPU seconds so far (0 for one now gone)."""
    result = {}
    for pid in pids:
        try:
            fields = _stat_fields(pid)
        except OSError:
            result[pid] = 0.0
            continue
        # NOTE: utime and stime are fields 14 and 15.
        result[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return result


def host_cpu():
    """(busy, total) jiffies of all CPUs so far, from /proc/stat."""
    with open('/proc/stat', 'rb') as f:
        values = [int(v) for v in f.readline().split()[1:]]
    # NOTE: user nice system idle iowait irq softirq steal (guest time
    # is already counted in user and nice).
    total = sum(values[:8])
    return total - values[3] - values[4], total


def _tcp_address(address):
    """An (IPv4 host, port) as /proc/net/tcp writes it."""
    host, port = address[:2]
    packed = int.from_bytes(socket.inet_aton(host), sys.byteorder)
    return '%08X:%04X' % (packed, port)


def owners(conns, pids):
    """The pid of ``pids`` holding the server end of each connection.

    None for a connection no such process has accepted (yet). Found
    through the socket inodes of /proc/net/tcp and /proc/<pid>/fd.
    """
    inodes = {}
    with open('/proc/net/tcp') as f:
        next(f)
        for line in f:
            fields = line.split()
            inodes[fields[1], fields[2]] = fields[9]
    holders = _socket_holders(pids)
    return [holders.get(inodes.get((_tcp_address(conn.sock.getpeername()),
                                    _tcp_address(conn.sock.getsockname()))))
            for conn in conns]


def _socket_holders(pids):
    """Socket inode -> the pid (of ``pids``) holding it open."""
    holders = {}
    for pid in pids:
        fd_dir = '/proc/%d/fd' % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith('socket:['):
                holders[target[8:-1]] = pid
    return holders
