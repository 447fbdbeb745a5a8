"""A ``[database] connection`` that cannot work is refused with its reason."""

import importlib.util
import warnings

import fixtures
from oslo_db import exception as db_exc
from oslo_db import options as db_options
from oslo_db.sqlalchemy import enginefacade
from oslo_db import warning as db_warning
import sqlalchemy as sa
import testtools

from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset import exception
from cinder_backup_reset import service
from cinder_backup_reset.tests import base


class TestCheckConnection(testtools.TestCase):

    def refused(self, connection):
        exc = self.assertRaises(exception.InvalidDatabaseConnection,
                                db_engine.check_connection, connection)
        return str(exc)

    def test_usable_urls_pass(self):
        for url in ('sqlite://', 'sqlite:////tmp/x.sqlite',
                    'mysql+pymysql://u:p@h/db',
                    'postgresql+psycopg2://u:p@h/db'):
            db_engine.check_connection(url)

    def test_unknown_database_or_driver(self):
        self.assertIn("no database or driver named 'foo'",
                      self.refused('foo://bar'))
        self.assertIn("no database or driver named 'mysql+nodriver'",
                      self.refused('mysql+nodriver://u:secret@h/db'))

    def test_not_a_url(self):
        message = self.refused('not a url')
        self.assertIn('(not a URL)', message)
        self.assertIn('Could not parse', message)

    def test_empty(self):
        self.assertIn('set it to a database URL', self.refused(''))

    def test_driver_not_installed(self):
        if importlib.util.find_spec('pg8000') is not None:
            self.skipTest('pg8000 is installed here')
        message = self.refused('postgresql+pg8000://u:secret@h/db')
        self.assertIn("its driver is not installed (No module named "
                      "'pg8000')", message)
        self.assertNotIn('secret', message)
        self.assertIn('u:***@h', message)


class TestSafeURL(testtools.TestCase):

    def test_password_hidden(self):
        self.assertEqual('mysql+pymysql://u:***@h/db',
                         db_engine.safe_url('mysql+pymysql://u:secret@h/db'))

    def test_unparsable_shows_the_scheme_only(self):
        self.assertEqual('weird://...',
                         db_engine.safe_url('weird://u:secret@h:notaport/db'))
        self.assertEqual('(not a URL)', db_engine.safe_url('secret'))


class TestDatabaseProblem(base.TestCase):

    def problem(self, exc, connection='mysql+pymysql://u:secret@h/db'):
        self.conf_fixture.config(connection=connection, group='database')
        message = service.database_problem(exc)
        self.assertNotIn('secret', message)
        return message

    @staticmethod
    def operational(text):
        return sa.exc.OperationalError('SELECT 1', {}, Exception(text))

    def test_connection_refused(self):
        exc = db_exc.DBConnectionError(self.operational(
            "(2003, \"Can't connect to MySQL server\")\nmore"))
        self.assertEqual(
            'cannot connect to the database mysql+pymysql://u:***@h/db: '
            "(2003, \"Can't connect to MySQL server\"). Check [database] "
            'connection (user, password, host, database name) and that '
            'the server is running.', self.problem(exc))

    def test_access_denied_is_not_wrapped_by_oslo_db(self):
        message = self.problem(self.operational('(1045, "Access denied")'))
        self.assertIn('cannot connect to the database', message)
        self.assertIn('Access denied', message)

    def test_missing_database(self):
        exc = db_exc.DBNonExistentDatabase(
            'db', self.operational("(1049, \"Unknown database 'db'\")"))
        message = self.problem(exc)
        self.assertIn('the database of mysql+pymysql://u:***@h/db does '
                      'not exist', message)
        self.assertIn('db sync', message)

    def test_sqlite(self):
        exc = db_exc.DBNonExistentDatabase(
            'x', self.operational('unable to open database file'))
        message = self.problem(exc, 'sqlite:////nowhere/x.sqlite')
        self.assertIn('cannot use the SQLite database sqlite:////nowhere/'
                      'x.sqlite: unable to open database file', message)
        self.assertIn('state_path', message)

    def test_other_errors(self):
        exc = db_exc.DBError(self.operational('disk full'))
        self.assertEqual('the database mysql+pymysql://u:***@h/db failed: '
                         'disk full.', self.problem(exc))


class TestEnsureStatePath(base.TestCase):

    def test_directory_that_cannot_be_made(self):
        self.conf_fixture.config(
            connection='sqlite:////proc/no/such/x.sqlite', group='database')
        exc = self.assertRaises(exception.DatabaseUnusable,
                                service.ensure_state_path)
        self.assertIn('cannot create the directory of the SQLite database '
                      'sqlite:////proc/no/such/x.sqlite', str(exc))


class TestDatabaseOptionsReachTheFacade(base.TestCase):
    """Issue 14: ``[database]`` reaches oslo.db's engine facade whole."""

    def test_every_oslo_db_option_the_facade_accepts_is_passed(self):
        # NOTE: the facade's own set, asked of it through its public
        # interface: configure() warns NotSupportedWarning for a key it
        # does not accept (oslo_db.warning). Every [database] option
        # oslo.db registers is tried on its own.
        facade = set()
        for _group, opts in db_options.list_opts():
            for opt in opts:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter('always')
                    enginefacade.transaction_context().configure(
                        **{opt.dest: opt.default})
                if not [w for w in caught if issubclass(
                        w.category, db_warning.NotSupportedWarning)]:
                    facade.add(opt.dest)
        self.assertEqual(facade, set(db_engine._db_conf(self.conf)))
        for name in ('slave_connection', 'mysql_wsrep_sync_wait',
                     'connection_parameters', 'pool_timeout'):
            self.assertIn(name, facade)

    def test_nothing_passed_is_refused(self):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter('always')
            enginefacade.transaction_context().configure(
                **db_engine._db_conf(self.conf))
        self.assertEqual([], [str(w.message) for w in caught if issubclass(
            w.category, db_warning.NotSupportedWarning)])

    def test_slave_connection_is_the_reader_engine(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        replica = 'sqlite:///%s/replica.sqlite' % tmp
        self.conf_fixture.config(
            connection='sqlite:///%s/main.sqlite' % tmp,
            slave_connection=replica, mysql_wsrep_sync_wait=1,
            group='database')
        manager = enginefacade.transaction_context()
        self.useFixture(fixtures.MockPatchObject(
            db_engine, 'main_context_manager', manager))
        self.useFixture(fixtures.MockPatchObject(db_engine, '_LISTENING', []))
        db_engine.configure(self.conf)
        self.addCleanup(manager.dispose_pool)
        self.assertEqual(replica, str(
            manager.reader.get_engine().url))
        self.assertNotEqual(replica, str(manager.writer.get_engine().url))
