"""A database server of the test's own, which the test can stop and start.

NOTE: the shared database servers must never be stopped by a test, so the
outage tests run their own ``mariadbd`` or PostgreSQL ``postgres`` on a
free loopback port with a data directory in a temp dir (about a second
to start). PostgreSQL refuses to run as root; as root the server runs as
the ``postgres`` system user.
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import time

import fixtures
import psycopg2
import pymysql

from cinder_backup_reset.tests.functional.fixtures import server

_SERVERS = ('mariadbd', 'mysqld')
_INSTALLERS = ('mariadb-install-db', 'mysql_install_db')


def _which(names):
    for name in names:
        for directory in (None, '/usr/sbin', '/usr/libexec'):
            path = shutil.which(name, path=directory)
            if path:
                return path
    return None


def missing(kind='mariadb'):
    """Why no ``kind`` server can be started here, or None."""
    if kind == 'postgresql':
        if not _pg_bin('initdb'):
            return 'no PostgreSQL initdb/postgres binaries on this host'
        if os.geteuid() == 0 and not _pg_user():
            return 'running as root and there is no postgres user'
        return None
    if not _which(_SERVERS) or not _which(_INSTALLERS):
        return 'no mariadbd/mariadb-install-db binaries on this host'
    return None


def _pg_bin(name):
    found = sorted(glob.glob('/usr/lib/postgresql/*/bin/%s' % name))
    return found[-1] if found else shutil.which(name)


def _pg_user():
    try:
        return pwd.getpwnam('postgres')
    except KeyError:
        return None


class MariaDBServer(fixtures.Fixture):
    """``mariadbd`` in a temp dir on ``port``; root without a password."""

    def __init__(self, start_timeout=30):
        super().__init__()
        self.start_timeout = start_timeout
        self.process = None

    def _setUp(self):
        self.base = self.useFixture(fixtures.TempDir()).path
        self.datadir = os.path.join(self.base, 'data')
        self.port = server.free_port()
        self.log_path = os.path.join(self.base, 'mariadb.log')
        user = ['--user=root'] if os.geteuid() == 0 else []
        for attempt in (1, 2):
            proc = subprocess.run(
                [_which(_INSTALLERS), '--no-defaults',
                 '--datadir=' + self.datadir,
                 '--auth-root-authentication-method=normal',
                 '--skip-test-db'] + user,
                capture_output=True, text=True, timeout=120)
            if not proc.returncode:
                break
            # NOTE: seen once in a parallel run: exit status without a
            # word of output; a second try on a clean directory worked.
            shutil.rmtree(self.datadir, ignore_errors=True)
        else:
            raise RuntimeError('mariadb-install-db failed (exit %s):\n%s%s'
                               % (proc.returncode, proc.stdout, proc.stderr))
        self.addCleanup(self.stop, kill=True)
        self.start()

    def url(self, database=''):
        """The SQLAlchemy URL of ``database`` on this server.

        NOTE: connect_timeout, so that a dead server fails a connection
        attempt fast rather than hanging a request.
        """
        return ('mysql+pymysql://root@127.0.0.1:%d/%s?charset=utf8mb4'
                '&connect_timeout=2' % (self.port, database))

    def start(self):
        """Start the server (again) and wait until it accepts logins."""
        user = ['--user=root'] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            [_which(_SERVERS), '--no-defaults', '--datadir=' + self.datadir,
             '--socket=' + os.path.join(self.base, 'sock'),
             '--port=%d' % self.port, '--bind-address=127.0.0.1',
             '--pid-file=' + os.path.join(self.base, 'pid'),
             '--log-error=' + self.log_path, '--skip-log-bin',
             '--innodb-buffer-pool-size=16M', '--max-connections=200']
            + user, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('mariadbd exited:\n%s' % self.log())
            try:
                pymysql.connect(host='127.0.0.1', port=self.port,
                                user='root', connect_timeout=1).close()
                return
            except pymysql.err.OperationalError:
                time.sleep(0.1)
        raise RuntimeError('mariadbd did not start:\n%s' % self.log())

    def stop(self, kill=False):
        """Stop the server: SIGKILL (a crash) or SIGTERM (a shutdown)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        self.process.wait(60)

    def execute(self, sql):
        """Run one statement as root."""
        conn = pymysql.connect(host='127.0.0.1', port=self.port, user='root',
                               autocommit=True)
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
        finally:
            conn.close()

    def log(self):
        """The server's error log."""
        try:
            with open(self.log_path) as f:
                return f.read()[-4000:]
        except OSError:
            return '(no log)'


class PostgreSQLServer(MariaDBServer):
    """``postgres`` in a temp dir on ``port``; user postgres, trust auth."""

    def _setUp(self):
        self.base = self.useFixture(fixtures.TempDir()).path
        self.datadir = os.path.join(self.base, 'data')
        self.port = server.free_port()
        self.log_path = os.path.join(self.base, 'postgres.log')
        self._user = {}
        if os.geteuid() == 0:
            entry = _pg_user()
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
            self._user = {'user': entry.pw_uid, 'group': entry.pw_gid}
        proc = subprocess.run(
            [_pg_bin('initdb'), '-D', self.datadir, '-A', 'trust',
             '-U', 'postgres', '--no-sync'],
            capture_output=True, text=True, timeout=120, **self._user)
        if proc.returncode:
            raise RuntimeError('initdb failed:\n%s%s' % (proc.stdout,
                                                         proc.stderr))
        self.addCleanup(self.stop, kill=True)
        self.start()

    def url(self, database=''):
        return ('postgresql+psycopg2://postgres@127.0.0.1:%d/%s'
                '?connect_timeout=2' % (self.port, database or 'postgres'))

    def start(self):
        log = open(self.log_path, 'ab')
        self.process = subprocess.Popen(
            [_pg_bin('postgres'), '-D', self.datadir, '-p', str(self.port),
             '-k', self.base, '-c', 'listen_addresses=127.0.0.1',
             '-c', 'fsync=off', '-c', 'max_connections=200'],
            stdout=log, stderr=log, start_new_session=True, **self._user)
        log.close()
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('postgres exited:\n%s' % self.log())
            try:
                psycopg2.connect(host='127.0.0.1', port=self.port,
                                 user='postgres', dbname='postgres',
                                 connect_timeout=1).close()
                return
            except psycopg2.OperationalError:
                time.sleep(0.1)
        raise RuntimeError('postgres did not start:\n%s' % self.log())

    def stop(self, kill=False):
        """Stop the server: SIGQUIT (a crash) or SIGINT (a shutdown).

        SIGQUIT is PostgreSQL's immediate shutdown: no checkpoint, and
        crash recovery at the next start. SIGINT is its fast shutdown
        (SIGTERM would wait for every client to disconnect).

        NOTE: not SIGKILL: backends of a killed postmaster linger and
        keep the port and shared memory, so it could not start again.
        """
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGQUIT if kill else signal.SIGINT)
        self.process.wait(60)

    def execute(self, sql):
        conn = psycopg2.connect(host='127.0.0.1', port=self.port,
                                user='postgres', dbname='postgres')
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(sql)
        finally:
            conn.close()
