"""[database] postgresql_read_timeout on a real PostgreSQL server.

psycopg2 drives libpq without blocking once db/postgresql.py's wait
callback is installed; these tests show that queries, transactions and
server errors behave as before, and that a query the server does not
answer in time ends with a lost connection that the pool replaces.
(reliability/test_db_hang shows the same through the API, with a server
that hangs.)
"""

import time

from oslo_config import cfg
from oslo_db import exception as db_exc
from psycopg2 import extensions
import sqlalchemy as sa

from cinder_backup_reset import conf as conf_module
from cinder_backup_reset.db import postgresql
from cinder_backup_reset.tests.functional.db import base

READ_TIMEOUT = 1


class TestReadTimeoutPostgreSQL(base.PostgreSQLMixin,
                                base.OpportunisticTestCase):

    def setUp(self):
        super().setUp()
        self.addCleanup(extensions.set_wait_callback,
                        extensions.get_wait_callback())
        conf = cfg.ConfigOpts()
        conf_module.register_opts(conf)
        conf([], default_config_files=[])
        conf.set_override('connection', self.engine.url.render_as_string(
            hide_password=False), group='database')
        conf.set_override('postgresql_read_timeout', READ_TIMEOUT,
                          group='database')
        self.assertTrue(postgresql.install(conf))
        # NOTE: connections pooled before the callback was set were made
        # in blocking mode.
        self.engine.dispose()

    def test_queries_and_transactions_as_before(self):
        with self.engine.begin() as conn:
            conn.execute(sa.text('CREATE TABLE t (id INTEGER PRIMARY KEY)'))
            conn.execute(sa.text('INSERT INTO t VALUES (1), (2)'))
        with self.engine.connect() as conn:
            self.assertEqual(2, conn.execute(
                sa.text('SELECT count(*) FROM t')).scalar())

    def test_server_errors_keep_the_connection(self):
        with self.engine.connect() as conn:
            exc = self.assertRaises(db_exc.DBError, conn.execute,
                                    sa.text('SELECT 1 / 0'))
            self.assertNotIsInstance(exc, db_exc.DBConnectionError)
            conn.rollback()
            self.assertEqual(1, conn.execute(sa.text('SELECT 1')).scalar())
            self.assertFalse(conn.invalidated)

    def test_no_answer_in_time_is_a_lost_connection(self):
        start = time.monotonic()
        with self.engine.connect() as conn:
            # NOTE: oslo.db's own filter: SQLAlchemy saw the connection
            # closed, a disconnect.
            exc = self.assertRaises(
                db_exc.DBConnectionError, conn.execute,
                sa.text('SELECT pg_sleep(%d)' % (READ_TIMEOUT + 5)))
        elapsed = time.monotonic() - start
        self.assertIn(postgresql.NO_ANSWER, str(exc))
        self.assertLess(elapsed, READ_TIMEOUT + 4)
        # NOTE: the pool replaces the closed connection by itself.
        with self.engine.connect() as conn:
            self.assertEqual(1, conn.execute(sa.text('SELECT 1')).scalar())
