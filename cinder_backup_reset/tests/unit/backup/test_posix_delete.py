"""The posix driver's delete (force-delete): the backup's files only."""

import os
import shutil

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import force_delete
from cinder_backup_reset import manager
from cinder_backup_reset.tests.unit.backup import posix_base


class DeleteTest(posix_base.PosixTestCase):

    def test_removes_its_files_only(self):
        data = posix_base.sample_data(3 * posix_base.BLOCK)
        backup = self.make_backup(data)
        other = self.make_backup(data)
        container = self.container(backup)
        # NOTE: a file of someone else's in the same directory stays.
        stranger = os.path.join(container, 'operator-notes.txt')
        with open(stranger, 'w') as f:
            f.write('keep me')
        before = sorted(os.listdir(container))
        evidence = self.driver.delete(self.ctx, backup)
        self.assertEqual(sorted(n for n in before
                                if n.startswith(backup.service_metadata)),
                         evidence['removed'])
        self.assertEqual(['operator-notes.txt'], os.listdir(container))
        self.driver.verify(self.ctx, other)

    def test_force_delete_through_the_manager(self):
        backup = self.make_backup(posix_base.sample_data(1000),
                                  status='deleting')
        mgr = manager.BackupResetManager(self.conf, driver=self.driver)
        entry = force_delete.force_delete(mgr, self.ctx, backup)
        self.assertEqual('deleted', entry['to_status'])
        self.assertEqual([], os.listdir(self.container(backup)))
        self.assertRaises(exception.BackupNotFound,
                          db_api.backup_get, self.ctx, backup.id)

    def test_unmounted_root_is_unavailable(self):
        backup = self.make_backup(posix_base.sample_data(1000))
        shutil.rmtree(self.root)
        self.assertRaises(exception.BackupBackendUnavailable,
                          self.driver.delete, self.ctx, backup)
