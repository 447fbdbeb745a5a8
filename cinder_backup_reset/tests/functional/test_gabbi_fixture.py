"""The gabbi fixture leaves nothing behind: no temp dir, no variables."""

import os

from oslo_config import cfg
import testtools

from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset.tests.functional.fixtures import gabbits


class TestAPIFixtureCleansUp(testtools.TestCase):

    def test_nothing_left_behind(self):
        environ = dict(os.environ)
        outcomes = fake.FakeBackupDriver.outcomes
        fixture = gabbits.APIFixture()
        fixture.start_fixture()
        state_path = cfg.CONF.state_path
        try:
            self.assertTrue(os.path.isdir(state_path))
            self.assertIn('BACKUP_RACE', os.environ)
        finally:
            fixture.stop_fixture()
        self.assertFalse(os.path.exists(state_path))
        self.assertEqual(environ, dict(os.environ))
        self.assertIs(outcomes, fake.FakeBackupDriver.outcomes)
        self.assertEqual([], gabbits._APP)
