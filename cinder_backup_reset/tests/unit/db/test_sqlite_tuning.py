"""The SQLite engine the service runs on: its journal mode, one writer."""

import os
import threading

import fixtures
from oslo_db.sqlalchemy import engines
from oslotest import base
import sqlalchemy as sa

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

    def test_file_database_gets_wal(self):
        self.assertEqual('wal', self._journal_mode(self._engine()))

    def test_journal_mode_delete_when_configured(self):
        sqlite.OPTIONS['sqlite_journal_mode'] = 'delete'
        self.assertEqual('delete', self._journal_mode(self._engine()))

    def test_tuning_twice_is_harmless(self):
        # NOTE: the facade tunes its engines and the test fixtures tune
        # theirs.
        engine = self._engine()
        sqlite.tune(engine)
        self.assertEqual('wal', self._journal_mode(engine))

    def test_memory_database_is_left_alone(self):
        engine = self._engine('sqlite://')
        self.assertEqual('memory', self._journal_mode(engine))
        self.assertFalse(sa.event.contains(engine, 'connect',
                                           sqlite._journal_mode))

    def _write(self, engine):
        with engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE IF NOT EXISTS t (x INTEGER)')
            conn.exec_driver_sql('INSERT INTO t VALUES (1)')

    def test_wal_survives_the_last_transaction(self):
        # NOTE: oslo.db closes an SQLite connection after each
        # transaction; without the connection hold_open() keeps, the
        # last close checkpoints the WAL and deletes it.
        engine = self._engine()
        self._write(engine)
        self.assertTrue(os.path.exists(self.path + '-wal'))
        self.assertIn(os.getpid(), sqlite._HELD[engine])

    def test_dispose_releases_the_held_connection(self):
        engine = self._engine()
        self._write(engine)
        engine.dispose()
        self.assertEqual({}, sqlite._HELD[engine])

    def test_nothing_held_across_a_fork(self):
        engine = self._engine()
        self._write(engine)
        sqlite._before_fork()
        sqlite._HELD_LOCK.release()
        self.assertEqual({}, sqlite._HELD[engine])
        self._write(engine)
        self.assertIn(os.getpid(), sqlite._HELD[engine])

    def test_nothing_held_without_wal(self):
        sqlite.OPTIONS['sqlite_journal_mode'] = 'delete'
        engine = self._engine()
        self._write(engine)
        self.assertEqual({}, sqlite._HELD.get(engine, {}))

    def test_other_backends_are_left_alone(self):
        engine = sa.create_engine('mysql+pymysql://u:p@127.0.0.1/x')
        sqlite.tune(engine)
        self.assertFalse(sa.event.contains(engine, 'connect',
                                           sqlite._journal_mode))


class TestWriteLock(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'service.sqlite')
        self.engine = engines.create_engine('sqlite:///' + self.path)
        self.addCleanup(self.engine.dispose)
        sqlite.tune(self.engine)

    def test_lock_file_beside_the_database(self):
        with sqlite.write_lock(self.engine):
            self.assertTrue(os.path.exists(self.path + '.lock'))

    def test_read_then_write_transactions_take_turns(self):
        # NOTE: each thread reads, then writes, in one transaction: without
        # the lock SQLite refuses the upgrade (SQLITE_BUSY, not waited
        # for) when another thread has committed in between.
        with self.engine.begin() as conn:
            conn.exec_driver_sql('CREATE TABLE t (x INTEGER)')
            conn.exec_driver_sql('INSERT INTO t VALUES (0)')
        errors = []

        def work():
            try:
                for _ in range(20):
                    with sqlite.write_lock(self.engine):
                        with self.engine.begin() as conn:
                            value = conn.exec_driver_sql(
                                'SELECT max(x) FROM t').scalar()
                            conn.exec_driver_sql(
                                'INSERT INTO t VALUES (%d)' % (value + 1))
            except Exception as exc:  # pragma: no cover - the failure
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([], errors)
        with self.engine.connect() as conn:
            self.assertEqual(80, conn.exec_driver_sql(
                'SELECT max(x) FROM t').scalar())

    def test_no_lock_for_memory_or_servers(self):
        memory = engines.create_engine('sqlite://')
        self.addCleanup(memory.dispose)
        for engine in (memory,
                       sa.create_engine('mysql+pymysql://u:p@127.0.0.1/x')):
            with sqlite.write_lock(engine):
                pass
        self.assertFalse(os.path.exists(':memory:.lock'))
