"""db/postgresql.py: psycopg2's wait callback and where it is installed.

The callback is driven here with a stand-in connection over a real
socket pair; functional/db/test_postgresql_read_timeout runs it against
the PostgreSQL server.
"""

import socket
import time

import fixtures
from oslo_config import cfg
import psycopg2
from psycopg2 import extensions

from cinder_backup_reset import conf as conf_module
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset.db import postgresql
from cinder_backup_reset.tests import base

PG_URL = 'postgresql+psycopg2://u:p@127.0.0.1:6543/db'


def foreign_callback(conn):
    """Someone else's wait callback (eventlet's green psycopg2, say)."""


class TestInstall(base.TestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(extensions.set_wait_callback,
                        extensions.get_wait_callback())
        extensions.set_wait_callback(None)
        self.logger = self.useFixture(fixtures.FakeLogger(
            name=postgresql.__name__))

    def _conf(self, connection, timeout=10):
        conf = cfg.ConfigOpts()
        conf_module.register_opts(conf)
        conf([], default_config_files=[])
        conf.set_override('connection', connection, group='database')
        conf.set_override('postgresql_read_timeout', timeout,
                          group='database')
        return conf

    def test_psycopg2_url_installs_the_callback(self):
        self.assertTrue(postgresql.install(self._conf(PG_URL, 7)))
        self.assertIs(postgresql.wait, extensions.get_wait_callback())
        self.assertEqual(7, postgresql.SETTINGS['read_timeout'])

    def test_other_databases_leave_psycopg2_alone(self):
        for url in ('sqlite://', 'mysql+pymysql://u:p@h/db',
                    'postgresql+psycopg://u:p@h/db', 'not a url'):
            self.assertFalse(postgresql.install(self._conf(url)), url)
            self.assertIsNone(extensions.get_wait_callback(), url)

    def test_zero_removes_the_bound(self):
        postgresql.install(self._conf(PG_URL))
        self.assertFalse(postgresql.install(self._conf(PG_URL, 0)))
        self.assertIsNone(extensions.get_wait_callback())

    def test_someone_elses_callback_is_kept_and_said(self):
        extensions.set_wait_callback(foreign_callback)
        self.assertFalse(postgresql.install(self._conf(PG_URL)))
        self.assertIs(foreign_callback, extensions.get_wait_callback())
        self.assertIn('postgresql_read_timeout is not applied',
                      self.logger.output)

    def test_only_our_own_processes_install_it(self):
        # NOTE: the paste filter passes own_process=False; the database
        # stays the test's SQLite (the facade is patched by the base).
        install = self.useFixture(fixtures.MockPatchObject(
            postgresql, 'install')).mock
        db_engine.configure(self.conf, own_process=False)
        install.assert_not_called()
        db_engine.configure(self.conf)
        install.assert_called_once_with(self.conf)


class StandInConnection:
    """What wait() uses of a psycopg2 connection, over a socket pair.

    ``polls``: the states poll() returns in turn (an exception is raised).
    """

    def __init__(self, sock, polls, status=extensions.STATUS_READY,
                 dsn='host=db.example port=6543 connect_timeout=1'):
        self.sock = sock
        self.polls = list(polls)
        self.status = status
        self.dsn = dsn

    def poll(self):
        state = self.polls.pop(0)
        if isinstance(state, Exception):
            raise state
        return state

    def fileno(self):
        return self.sock.fileno()


class TestWait(base.TestCase):

    def setUp(self):
        super().setUp()
        self.ours, self.server = socket.socketpair()
        self.addCleanup(self.ours.close)
        self.addCleanup(self.server.close)
        self.useFixture(fixtures.MockPatchObject(
            postgresql, 'SETTINGS', {'read_timeout': 0.2}))

    def _wait(self, conn):
        start = time.monotonic()
        try:
            postgresql.wait(conn)
            return None, time.monotonic() - start
        except psycopg2.OperationalError as exc:
            return exc, time.monotonic() - start

    def test_returns_once_the_server_answered(self):
        self.server.send(b'x')
        conn = StandInConnection(self.ours, [extensions.POLL_READ,
                                             extensions.POLL_WRITE,
                                             extensions.POLL_OK])
        exc, _elapsed = self._wait(conn)
        self.assertIsNone(exc)
        self.assertEqual([], conn.polls)

    def test_a_silent_server_ends_the_wait(self):
        conn = StandInConnection(self.ours, [extensions.POLL_READ])
        exc, elapsed = self._wait(conn)
        self.assertIn(postgresql.NO_ANSWER + ' 0.2 s', str(exc))
        self.assertIn('postgresql_read_timeout', str(exc))
        self.assertGreaterEqual(elapsed, 0.2)
        self.assertLess(elapsed, 5)

    def test_connecting_is_bounded_by_connect_timeout(self):
        conn = StandInConnection(self.ours, [extensions.POLL_READ],
                                 status=extensions.STATUS_SETUP)
        exc, elapsed = self._wait(conn)
        self.assertIn(postgresql.NO_ANSWER + ' 1 s (connect_timeout)',
                      str(exc))
        self.assertGreaterEqual(elapsed, 1)

    def test_connect_failure_names_the_server_as_libpq_does(self):
        conn = StandInConnection(
            self.ours, [psycopg2.OperationalError('Connection refused\n')],
            status=extensions.STATUS_SETUP)
        exc, _elapsed = self._wait(conn)
        self.assertEqual('connection to server at "db.example", port 6543 '
                         'failed: Connection refused', str(exc))

    def test_query_errors_pass_through(self):
        error = psycopg2.OperationalError('SSL SYSCALL error: EOF detected')
        conn = StandInConnection(self.ours, [error])
        exc, _elapsed = self._wait(conn)
        self.assertIs(error, exc)

    def test_both_wordings_are_a_lost_connection_for_the_api(self):
        for text in (postgresql.NO_ANSWER + ' 10 s (x)',
                     'connection to server at "h", port 1 failed: '
                     'Connection refused'):
            self.assertIsNotNone(db_api._PG_CONNECTION_LOST.search(text))
