"""The extension manager loads configured extensions by entry point."""

from cinder_backup_reset.api import extensions
from cinder_backup_reset.api import router
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base


class TestExtensionManager(base.TestCase):

    def test_default_loads_backup_reset_and_verify(self):
        mgr = extensions.ExtensionManager(self.conf)
        self.assertEqual(['os-backup-reset', 'os-backup-verify'],
                         list(mgr.extensions))
        ext = mgr.extensions['os-backup-reset']
        self.assertEqual('BackupReset', ext.name)
        self.assertTrue(ext.description)
        collections = [c.collection for c in mgr.get_controller_extensions()]
        self.assertEqual(['backups', 'backups'], collections)

    def test_unknown_extension_stops_start_up(self):
        self.conf_fixture.config(osapi_volume_extension=['nope'])
        exc = self.assertRaises(exception.ExtensionNotFound,
                                extensions.ExtensionManager, self.conf)
        self.assertIn('nope', str(exc))

    def test_duplicate_alias_refused(self):
        self.conf_fixture.config(
            osapi_volume_extension=['backup_reset', 'backup_reset'])
        self.assertRaises(exception.ExtensionNotFound,
                          extensions.ExtensionManager, self.conf)

    def test_without_the_extension_there_is_no_reset(self):
        self.conf_fixture.config(osapi_volume_extension=[])
        api = router.APIRouter(self.conf)
        self.assertEqual({}, api.resources['backups'].actions)
