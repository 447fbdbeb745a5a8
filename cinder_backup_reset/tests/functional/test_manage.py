"""cinder-backup-reset-manage as operators run it: database problems.

Each command is the real program in a subprocess, so what is checked is
what an operator reads: the exit code and the lines on stdout/stderr.
"""

import os
import subprocess
import sys

import fixtures
import sqlalchemy as sa
import testtools

from cinder_backup_reset.db import migration
from cinder_backup_reset.tests.fixtures import free_port
from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional.reliability import databases

COMMANDS = (['db', 'version'], ['db', 'sync'], ['backup', 'list'])


class TestManageDatabaseProblems(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def manage(self, connection, *command):
        conf = os.path.join(self.tmp, 'manage.conf')
        server.write_config(conf, {
            'DEFAULT': {'state_path': self.tmp},
            'database': {'connection': connection}})
        return subprocess.run(
            [sys.executable, '-m', 'cinder_backup_reset.cmd.manage',
             '--config-file', conf] + list(command),
            capture_output=True, text=True, timeout=120)

    def assertOneLineFailure(self, proc, *expected):
        self.assertEqual(1, proc.returncode, proc.stderr)
        self.assertNotIn('Traceback', proc.stdout + proc.stderr)
        lines = [line for line in proc.stderr.splitlines()
                 if line.startswith('cinder-backup-reset-manage: ')]
        self.assertEqual(1, len(lines), proc.stderr)
        for text in expected:
            self.assertIn(text, lines[0])
        self.assertNotIn('secret', proc.stdout + proc.stderr)

    def test_version_of_a_missing_sqlite_file_creates_nothing(self):
        directory = os.path.join(self.tmp, 'not-yet')
        path = os.path.join(directory, 'db.sqlite')
        proc = self.manage('sqlite:///' + path, 'db', 'version')
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual('None\n', proc.stdout)
        self.assertIn('no database file at %s yet' % path, proc.stderr)
        self.assertFalse(os.path.exists(directory))

    def test_sync_then_version(self):
        url = 'sqlite:///' + os.path.join(self.tmp, 'new', 'db.sqlite')
        self.assertEqual(0, self.manage(url, 'db', 'sync').returncode)
        proc = self.manage(url, 'db', 'version')
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual(migration.head_revision() + '\n', proc.stdout)

    def test_unreachable_server(self):
        url = 'mysql+pymysql://cbr:secret@127.0.0.1:%d/cbr' % free_port()
        for command in COMMANDS:
            self.assertOneLineFailure(
                self.manage(url, *command),
                'cannot connect to the database mysql+pymysql://cbr:***@'
                '127.0.0.1:', 'Connection refused', 'Check [database] '
                'connection')

    def test_invalid_connection(self):
        for command in COMMANDS:
            self.assertOneLineFailure(
                self.manage('nosuchdb://cbr:secret@h/x', *command),
                '[database] connection nosuchdb://cbr:***@h/x cannot be '
                "used: SQLAlchemy knows no database or driver named "
                "'nosuchdb'")

    def test_sqlite_directory_that_cannot_be_made(self):
        for command in (['db', 'sync'], ['backup', 'list']):
            self.assertOneLineFailure(
                self.manage('sqlite:////proc/cbr/db.sqlite', *command),
                'cannot create the directory of the SQLite database '
                'sqlite:////proc/cbr/db.sqlite')

    def test_missing_database_on_mariadb(self):
        why = databases.unreachable('mysql')
        if why:
            self.skipTest(why)
        url = databases.database_url('mysql', 'cbr_no_such_database')
        for command in COMMANDS:
            self.assertOneLineFailure(
                self.manage(url, *command), 'does not exist',
                "Unknown database 'cbr_no_such_database'",
                'then run "cinder-backup-reset-manage db sync"')

    def test_wrong_password_on_mariadb(self):
        why = databases.unreachable('mysql')
        if why:
            self.skipTest(why)
        url = 'mysql+pymysql://openstack_citest:secret@127.0.0.1:3306/'
        self.assertOneLineFailure(
            self.manage(url, 'backup', 'list'),
            'cannot connect to the database', 'Access denied')

    def test_migration_error_is_one_line_everywhere(self):
        # NOTE: a database migrated by a newer release: alembic cannot
        # place its revision. db sync, the other commands and the API's
        # start-up each say so in one line and exit 1.
        path = os.path.join(self.tmp, 'db.sqlite')
        url = 'sqlite:///' + path
        self.assertEqual(0, self.manage(url, 'db', 'sync').returncode)
        engine = sa.create_engine(url)
        self.addCleanup(engine.dispose)
        table = sa.table(migration.VERSION_TABLE, sa.column('version_num'))
        with engine.begin() as conn:
            conn.execute(table.update().values(version_num='ffffffffffff'))
        expected = ('cannot migrate the database %s: ' % url,
                    "Can't locate revision identified by 'ffffffffffff'",
                    'newer release')
        for command in (['db', 'sync'], ['backup', 'list']):
            self.assertOneLineFailure(self.manage(url, *command), *expected)
        conf = os.path.join(self.tmp, 'api.conf')
        server.write_config(conf, {
            'DEFAULT': {'state_path': self.tmp, 'auth_strategy': 'noauth',
                        'osapi_volume_listen_port': free_port()},
            'database': {'connection': url}})
        proc = subprocess.run(
            [sys.executable, '-m', 'cinder_backup_reset.cmd.api',
             '--config-file', conf], capture_output=True, text=True,
            timeout=120)
        self.assertEqual(1, proc.returncode, proc.stderr)
        output = proc.stdout + proc.stderr
        self.assertNotIn('Traceback', output)
        lines = [line for line in output.splitlines()
                 if 'Cannot start the API' in line]
        self.assertEqual(1, len(lines), output)
        for text in expected:
            self.assertIn(text, lines[0])


class TestQuickstartStateFromAnyDirectory(testtools.TestCase):
    """Same --config-file, any current directory: the same state."""

    def test_commands_from_two_directories_share_the_backups(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        etc = os.path.join(tmp, 'etc')
        os.makedirs(etc)
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))))
        with open(os.path.join(root, 'etc', 'cinder-backup-reset',
                               'quickstart.conf')) as f:
            quickstart = f.read()
        conf = os.path.join(etc, 'quickstart.conf')
        with open(conf, 'w') as f:
            f.write(quickstart)
        volume = os.path.join(tmp, 'volume.img')
        with open(volume, 'wb') as f:
            f.write(os.urandom(70000))
        here, there = os.path.join(tmp, 'here'), os.path.join(tmp, 'there')
        os.makedirs(here)
        os.makedirs(there)

        def manage(cwd, *command):
            return subprocess.run(
                [sys.executable, '-m', 'cinder_backup_reset.cmd.manage',
                 '--config-file', conf] + list(command), cwd=cwd,
                capture_output=True, text=True, timeout=120)

        proc = manage(here, 'backup', 'create', '--volume-file', volume,
                      '--project-id', 'demo', '--name', 'nightly')
        self.assertEqual(0, proc.returncode, proc.stderr)
        proc = manage(there, 'backup', 'list')
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertIn('nightly', proc.stdout)
        # The state is next to the config file, nowhere else.
        self.assertTrue(os.path.isdir(os.path.join(etc, 'quickstart-state')))
        self.assertEqual([], os.listdir(here))
        self.assertEqual([], os.listdir(there))
