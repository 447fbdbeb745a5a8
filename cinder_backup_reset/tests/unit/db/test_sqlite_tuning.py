"""The SQLite engine the service runs on: pooled, WAL, one writer."""

import os
import subprocess
import sys
import threading

import fixtures
from oslo_db.sqlalchemy import engines
from oslotest import base
import sqlalchemy as sa
from sqlalchemy import pool

from cinder_backup_reset.db import sqlite


class TestTuneSQLite(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'service.sqlite')
        self.useFixture(fixtures.MockPatchObject(
            sqlite, 'OPTIONS', dict(sqlite.OPTIONS)))

    def _engine(self, url=None):
        engine = engines.create_engine(url or 'sqlite:///' + self.path)
        self.addCleanup(engine.dispose)
        sqlite.tune(engine)
        return engine

    def _journal_mode(self, engine):
        with engine.connect() as conn:
            return conn.exec_driver_sql('PRAGMA journal_mode').scalar()

    def test_file_database_gets_a_queue_pool_and_wal(self):
        engine = self._engine()
        self.assertIsInstance(engine.pool, pool.QueuePool)
        self.assertEqual('wal', self._journal_mode(engine))

    def test_connections_are_reused(self):
        engine = self._engine()
        seen = set()
        for _ in range(3):
            with engine.connect() as conn:
                seen.add(id(conn.connection.dbapi_connection))
        self.assertEqual(1, len(seen))

    def test_oslo_db_connect_listeners_survive(self):
        # NOTE: oslo.db registers REGEXP and takes over BEGIN on connect;
        # the replacement pool must keep both.
        engine = self._engine()
        with engine.begin() as conn:
            self.assertEqual(1, conn.exec_driver_sql(
                "SELECT 'backup' REGEXP 'ack'").scalar())
            conn.exec_driver_sql('CREATE TABLE t (x INTEGER)')
            conn.exec_driver_sql('INSERT INTO t VALUES (1)')
        with engine.connect() as conn:
            self.assertEqual(1, conn.exec_driver_sql(
                'SELECT count(*) FROM t').scalar())

    def test_tuning_twice_changes_nothing(self):
        # NOTE: the facade tunes its engines and the test fixtures tune
        # theirs; an engine tuned twice keeps one pool and one listener.
        engine = self._engine()
        pool = engine.pool
        begins = len(engine.dispatch.begin)
        connects = len(pool.dispatch.connect)
        sqlite.tune(engine)
        self.assertIs(pool, engine.pool)
        self.assertEqual(begins, len(engine.dispatch.begin))
        self.assertEqual(connects, len(pool.dispatch.connect))

    def test_journal_mode_delete_when_configured(self):
        sqlite.OPTIONS['sqlite_journal_mode'] = 'delete'
        self.assertEqual('delete', self._journal_mode(self._engine()))

    def test_pool_size_from_options(self):
        sqlite.OPTIONS.update(max_pool_size=3, max_overflow=7)
        engine = self._engine()
        self.assertEqual(3, engine.pool.size())
        self.assertEqual(7, engine.pool._max_overflow)

    def test_memory_database_is_left_alone(self):
        engine = self._engine('sqlite://')
        self.assertNotIsInstance(engine.pool, pool.QueuePool)
        self.assertEqual('memory', self._journal_mode(engine))

    def test_other_backends_are_left_alone(self):
        engine = sa.create_engine('mysql+pymysql://u:p@127.0.0.1/x')
        before = engine.pool
        sqlite.tune(engine)
        self.assertIs(before, engine.pool)

    def test_threads_share_the_pool(self):
        # NOTE: check_same_thread is off for file databases, so a pooled
        # connection may serve the next request on another thread.
        engine = self._engine()
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE t (x INTEGER)')
        errors = []

        def work(n):
            try:
                for i in range(20):
                    with engine.begin() as conn:
                        conn.exec_driver_sql('INSERT INTO t VALUES (%d)' % n)
            except Exception as exc:  # pragma: no cover - the failure
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,))
                   for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([], errors)
        with engine.connect() as conn:
            self.assertEqual(80, conn.exec_driver_sql(
                'SELECT count(*) FROM t').scalar())


class TestWriteLock(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'service.sqlite')
        self.engine = engines.create_engine('sqlite:///' + self.path)
        self.addCleanup(self.engine.dispose)

    def _other_process_can_lock(self):
        # NOTE: a fresh process, as a second gunicorn worker would be.
        code = ('import fcntl, os, sys\n'
                'fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n'
                'try:\n'
                '    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)\n'
                'except BlockingIOError:\n'
                '    sys.exit(1)\n')
        return subprocess.call([sys.executable, '-c', code,
                                self.path + '.lock']) == 0

    def test_other_processes_wait(self):
        with sqlite.write_lock(self.engine):
            self.assertFalse(self._other_process_can_lock())
        self.assertTrue(self._other_process_can_lock())

    def test_other_threads_wait(self):
        order = []
        entered = threading.Event()

        def other():
            entered.set()
            with sqlite.write_lock(self.engine):
                order.append('other')

        with sqlite.write_lock(self.engine):
            thread = threading.Thread(target=other)
            thread.start()
            entered.wait(5)
            thread.join(0.2)
            order.append('first')
        thread.join(5)
        self.assertEqual(['first', 'other'], order)

    def test_a_forked_child_opens_its_own_descriptor(self):
        # NOTE: an inherited descriptor shares the parent's flock, so the
        # child would not wait for the parent at all.
        with sqlite.write_lock(self.engine):
            pass
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            lock = sqlite._LOCKS[os.path.abspath(self.path)]
            with lock.held():
                os.write(write, str(lock._fd).encode())
            os._exit(0)
        os.close(write)
        child_fd = int(os.read(read, 64))
        os.waitpid(pid, 0)
        parent_lock = sqlite._LOCKS[os.path.abspath(self.path)]
        self.assertEqual(os.getpid(), parent_lock._pid)
        self.assertNotEqual(parent_lock._fd, child_fd)

    def test_no_lock_for_memory_or_servers(self):
        memory = engines.create_engine('sqlite://')
        self.addCleanup(memory.dispose)
        for engine in (memory,
                       sa.create_engine('mysql+pymysql://u:p@127.0.0.1/x')):
            with sqlite.write_lock(engine):
                pass
        self.assertNotIn(':memory:', str(list(sqlite._LOCKS)))


class TestBegin(base.BaseTestCase):
    """BEGIN goes straight to the driver, once, and transactions hold."""

    def setUp(self):
        super().setUp()
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'service.sqlite')
        self.engine = engines.create_engine('sqlite:///' + path)
        self.addCleanup(self.engine.dispose)
        sqlite.tune(self.engine)
        with self.engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE t (x INTEGER)')
        self.statements = []
        sa.event.listen(self.engine, 'before_cursor_execute',
                        lambda c, cur, statement, *a: self.statements.append(
                            statement))

    def _count(self):
        with self.engine.connect() as conn:
            return conn.exec_driver_sql('SELECT count(*) FROM t').scalar()

    def test_no_begin_statement_through_sqlalchemy(self):
        with self.engine.begin() as conn:
            conn.exec_driver_sql('INSERT INTO t VALUES (1)')
        self.assertEqual(['INSERT INTO t VALUES (1)'], self.statements)

    def test_rollback_undoes(self):
        with self.engine.connect() as conn:
            conn.exec_driver_sql('INSERT INTO t VALUES (1)')
            self.assertTrue(conn.connection.dbapi_connection.in_transaction)
            conn.rollback()
        self.assertEqual(0, self._count())

    def test_commit_then_a_new_transaction(self):
        with self.engine.connect() as conn:
            for value in (1, 2):
                conn.exec_driver_sql('INSERT INTO t VALUES (%d)' % value)
                conn.commit()
                self.assertFalse(
                    conn.connection.dbapi_connection.in_transaction)
        self.assertEqual(2, self._count())
