"""Base test case: configuration, policy and a migrated SQLite database."""

import fixtures as test_fixtures
from oslotest import base

from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import notifier
from cinder_backup_reset.tests import fixtures

FAKE_SERVICE = fake.FakeBackupDriver.name


class TestCase(base.BaseTestCase):
    """Every test gets fresh CONF, policy, DB and fake driver state.

    ``FILE_DATABASE``: an SQLite file instead of the in-memory database,
    whose single shared connection cannot serve concurrent transactions
    (a bulk reset or a verification job writes from other threads, as in
    production).
    """

    FILE_DATABASE = False

    def setUp(self):
        super().setUp()
        self.conf_fixture = self.useFixture(fixtures.ConfFixture())
        self.conf = self.conf_fixture.conf
        self.conf_fixture.config(backup_driver='fake')
        self.useFixture(fixtures.PolicyFixture())
        self.useFixture(fixtures.Database(self.database_connection()))
        fake.FakeBackupDriver.outcomes = {}
        fake.FakeBackupDriver.calls = []
        notifier.reset()
        self.addCleanup(notifier.reset)
        self.admin = context.RequestContext(
            user_id='admin-user', project_id='p1', roles=['admin'],
            overwrite=False)

    def database_connection(self):
        """The test's database: SQLite in memory, or a file (see above)."""
        if not self.FILE_DATABASE:
            return 'sqlite://'
        path = self.useFixture(test_fixtures.TempDir()).path
        return 'sqlite:///%s/test.sqlite' % path

    def create_backup(self, status='creating', service=FAKE_SERVICE,
                      project_id='p1', **values):
        """Create a backup row and return it."""
        values.update(status=status, service=service, project_id=project_id)
        values.setdefault('volume_id', 'vol-1')
        values.setdefault('user_id', 'owner')
        return db_api.backup_create(self.admin, values)

    def get_backup(self, backup_id):
        return db_api.backup_get(self.admin, backup_id)
