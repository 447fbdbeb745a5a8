"""Every registered backup driver implements the whole interface."""

import importlib.metadata
import inspect

from cinder_backup_reset.backup import driver
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base


class TestDriverCompliance(base.TestCase):

    def _entry_points(self):
        return list(importlib.metadata.entry_points(
            group=driver.DRIVER_NAMESPACE))

    def test_drivers_registered(self):
        names = {entry.name for entry in self._entry_points()}
        self.assertLessEqual({'posix', 'fake'}, names)

    def test_every_driver_is_a_complete_backup_driver(self):
        for entry in self._entry_points():
            try:
                cls = entry.load()
            except ImportError as exc:
                self.fail('driver %s does not import: %s' % (
                    entry.name, exc))
            self.assertTrue(issubclass(cls, driver.BackupDriver), entry.name)
            self.assertTrue(cls.name, entry.name)
            params = inspect.signature(cls.verify).parameters
            self.assertLessEqual({'context', 'backup', 'deep', 'progress'},
                                 set(params), entry.name)
            instance = driver.load_driver(self.conf, entry.name)
            self.assertTrue(instance.owns(cls.name))

    def test_unknown_driver_is_a_clear_error(self):
        exc = self.assertRaises(exception.BackupDriverNotFound,
                                driver.load_driver, self.conf, 'nope')
        self.assertIn('nope', str(exc))

    def test_class_path(self):
        instance = driver.load_driver(
            self.conf, 'cinder_backup_reset.backup.drivers.fake:'
                       'FakeBackupDriver')
        self.assertEqual('fake', type(instance).__name__[:4].lower())
