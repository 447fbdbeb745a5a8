"""Throwaway databases on the local MariaDB/PostgreSQL servers (or SQLite).

NOTE: opportunistic, as oslo.db's test fixtures are: when the server does
not answer with the ``openstack_citest`` credentials, the test is skipped
with the reason, never failed. Each test gets a database of its own with
a random name, dropped at cleanup, so runs never see each other's rows.
"""

import os
import subprocess
import sys

import fixtures
from oslo_utils import uuidutils
import sqlalchemy as sa

from cinder_backup_reset.db import models
from cinder_backup_reset.tests.functional.fixtures import server

#: admin URLs (no database); override with CBR_TEST_<BACKEND>_URL
ADMIN_URLS = {
    'mysql': os.environ.get(
        'CBR_TEST_MYSQL_URL',
        'mysql+pymysql://openstack_citest:openstack_citest@127.0.0.1:3306/'),
    'postgresql': os.environ.get(
        'CBR_TEST_POSTGRESQL_URL',
        'postgresql+psycopg2://openstack_citest:openstack_citest'
        '@127.0.0.1:5432/postgres'),
}
#: NOTE: a dead server must fail fast, not hang the test run.
CONNECT_ARGS = {'connect_timeout': 2}
FAKE_SERVICE = 'cinder_backup_reset.backup.drivers.fake.FakeBackupDriver'


def unreachable(backend):
    """Why ``backend``'s server cannot be used, or None when it can.

    NOTE: call it from the test (``skipTest``), not inside a fixture: a
    skip raised in a fixture's setUp is reported as an error.
    """
    if backend == 'sqlite':
        return None
    admin_url = ADMIN_URLS[backend]
    engine = sa.create_engine(admin_url, connect_args=CONNECT_ARGS)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text('SELECT 1'))
    except Exception as exc:
        return '%s server not reachable at %s: %s' % (
            backend, sa.engine.make_url(admin_url), exc)
    finally:
        engine.dispose()
    return None


def _with_database(url, name):
    parsed = sa.engine.make_url(url)
    return parsed.set(database=name).render_as_string(hide_password=False)


class ThrowawayDatabase(fixtures.Fixture):
    """A fresh database ``url`` on ``backend`` (sqlite, mysql, postgresql).

    The schema is created by the real ``cinder-backup-reset-manage db
    sync``, as an operator would, through ``config_file``.
    """

    def __init__(self, backend, directory=None):
        super().__init__()
        self.backend = backend
        self.directory = directory

    def _setUp(self):
        if self.backend == 'sqlite':
            directory = self.directory or self.useFixture(
                fixtures.TempDir()).path
            self.url = 'sqlite:///%s/cbr.sqlite' % directory
        else:
            self._create_server_database()
        self.engine = sa.create_engine(self.url)
        self.addCleanup(self.engine.dispose)

    def _create_server_database(self):
        admin_url = ADMIN_URLS[self.backend]
        admin = sa.create_engine(admin_url, connect_args=CONNECT_ARGS,
                                 isolation_level='AUTOCOMMIT')
        self.name = 'cbr_%s' % uuidutils.generate_uuid(dashed=False)[:12]
        with admin.connect() as conn:
            conn.execute(sa.text('CREATE DATABASE %s' % self.name))
        self.addCleanup(self._drop, admin)
        self.url = _with_database(admin_url, self.name)

    def _drop(self, admin):
        self.engine.dispose()
        force = ' WITH (FORCE)' if self.backend == 'postgresql' else ''
        with admin.connect() as conn:
            conn.execute(sa.text('DROP DATABASE IF EXISTS %s%s' % (
                self.name, force)))
        admin.dispose()

    def db_sync(self, config_dir):
        """Run ``cinder-backup-reset-manage db sync`` on this database."""
        db_sync(self.url, config_dir)


def db_sync(url, config_dir):
    """Run ``cinder-backup-reset-manage db sync`` on ``url``."""
    path = os.path.join(config_dir, 'manage.conf')
    server.write_config(path, {'database': {'connection': url}})
    proc = subprocess.run(
        [sys.executable, '-m', 'cinder_backup_reset.cmd.manage',
         '--config-file', path, 'db', 'sync'],
        capture_output=True, text=True, timeout=120)
    if proc.returncode:
        raise RuntimeError('db sync failed (%s):\n%s%s' % (
            proc.returncode, proc.stdout, proc.stderr))


class Engine(fixtures.Fixture):
    """A SQLAlchemy engine on ``url`` for the test's own reads and writes.

    NOTE: pool_pre_ping, as the tests restart servers under it.
    """

    def __init__(self, url):
        super().__init__()
        self.url = url

    def _setUp(self):
        self.engine = sa.create_engine(self.url, pool_pre_ping=True)
        self.addCleanup(self.engine.dispose)


def create_backup(engine, status, project_id='p1', **values):
    """Insert a backup row directly; return its id."""
    row = {
        'id': uuidutils.generate_uuid(), 'volume_id':
        uuidutils.generate_uuid(), 'project_id': project_id,
        'user_id': 'u1', 'status': status, 'service': FAKE_SERVICE,
        'display_name': 'b-%s' % status, 'size': 1, 'deleted': False,
        'created_at': sa.func.now(),
    }
    row.update(values)
    with engine.begin() as conn:
        conn.execute(models.Backup.__table__.insert().values(**row))
    return row['id']


def snapshot(engine):
    """Every row of the tables a request may change, comparable with ==."""
    tables = (models.Backup.__table__, models.BackupMetadata.__table__,
              models.BackupStatusHistory.__table__)
    result = {}
    with engine.connect() as conn:
        for table in tables:
            rows = conn.execute(sa.select(table).order_by(
                *table.primary_key.columns)).all()
            result[table.name] = [tuple(r) for r in rows]
    return result


def history(engine):
    """All history rows as dicts, oldest first."""
    table = models.BackupStatusHistory.__table__
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(table).order_by(table.c.id))]


def statuses(engine):
    """{backup id: status}."""
    table = models.Backup.__table__
    with engine.connect() as conn:
        return {row.id: row.status for row in conn.execute(
            sa.select(table.c.id, table.c.status))}
