"""Throwaway databases on the local MariaDB/PostgreSQL servers (or SQLite).

NOTE: one way to provision them in the whole suite: oslo.db's, as its
opportunistic fixtures (tests/functional/db) do. The servers are the ones
``OS_TEST_DBAPI_ADMIN_CONNECTION`` names, else oslo.db's defaults (the
``openstack_citest`` user on localhost); when a server does not answer
the test is skipped with the reason, never failed. Each test gets a
database of its own with a random name, dropped at cleanup. These tests
run servers in other processes, so they need a URL, not the in-process
engine facade the opportunistic fixtures patch.
"""

import os
import subprocess
import sys

import fixtures
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import provision
from oslo_utils import uuidutils
import sqlalchemy as sa

from cinder_backup_reset.db import models
from cinder_backup_reset.tests.functional.fixtures import server

FAKE_SERVICE = 'cinder_backup_reset.backup.drivers.fake.FakeBackupDriver'


def backend_for(backend):
    """oslo.db's provisioning Backend of ``backend`` (mysql, postgresql).

    :raises oslo_db.exception.BackendNotAvailable: no server answers.
    """
    return provision.Backend.backend_for_database_type(backend)


def unreachable(backend):
    """Why ``backend``'s server cannot be used, or None when it can.

    NOTE: call it from the test (``skipTest``), not inside a fixture: a
    skip raised in a fixture's setUp is reported as an error.
    """
    if backend == 'sqlite':
        return None
    try:
        backend_for(backend)
    except db_exc.BackendNotAvailable as exc:
        return '%s server not available: %s' % (backend, exc)
    return None


def database_url(backend, name):
    """The URL of database ``name`` on ``backend``'s server (password kept)."""
    return backend_for(backend).provisioned_database_url(
        name).render_as_string(hide_password=False)


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
        backend = backend_for(self.backend)
        self.name = 'cbr_%s' % uuidutils.generate_uuid(dashed=False)[:12]
        backend.create_named_database(self.name)
        self.addCleanup(self._drop, backend)
        self.url = database_url(self.backend, self.name)

    def _drop(self, backend):
        self.engine.dispose()
        backend.drop_named_database(self.name, conditional=True)

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
