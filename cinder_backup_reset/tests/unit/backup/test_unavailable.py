"""A backend that cannot be read is never a verdict about the backup.

Each cause of "unavailable" (PRODUCT.md, "Verification, precisely") makes
a reset to ``available`` raise BackupBackendUnavailable (503) and leaves a
``creating``, ``error`` or ``available`` backup exactly as it was: status,
fail_reason and history. A missing container under a readable root is
still a failure.
"""

import errno
import os
import threading

import fixtures

from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup.chunked import shallow as posix_verify
from cinder_backup_reset.backup.drivers import posix
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import manager
from cinder_backup_reset.tests.unit.backup import posix_base

STATUSES = ('creating', 'error', 'available')


class UnavailableTest(posix_base.PosixTestCase):

    def setUp(self):
        super().setUp()
        self.manager = manager.BackupResetManager(self.conf,
                                                  driver=self.driver)
        self.user = context.RequestContext(
            user_id='admin-user', project_id='p1', is_admin=True,
            overwrite=False)
        self.backups = [self.make_backup(posix_base.sample_data(9000),
                                         status=status)
                        for status in STATUSES]
        for backup in self.backups:
            db_api.backup_conditional_update(
                self.ctx, backup.id, backup.status,
                {'fail_reason': 'reason kept for %s' % backup.status})

    def state(self, backup):
        row = db_api.backup_get(self.ctx, backup.id)
        return (row.status, row.fail_reason,
                len(db_api.status_history_get(self.ctx, backup.id)))

    def assertNeverDemoted(self, *expected_words):
        for backup in self.backups:
            before = self.state(backup)
            row = db_api.backup_get(self.ctx, backup.id, with_metadata=False)
            exc = self.assertRaises(exception.BackupBackendUnavailable,
                                    self.manager.reset_backup, self.user,
                                    row, 'available')
            self.assertEqual(503, exc.code)
            for word in expected_words:
                self.assertIn(word, str(exc))
            self.assertEqual(before, self.state(backup), backup.status)

    def test_missing_root(self):
        self.conf_fixture.config(
            backup_posix_path=os.path.join(self.root, 'not-mounted'))
        self.assertNeverDemoted('the backup root', 'does not exist')

    def test_root_is_a_file(self):
        path = os.path.join(self.root, 'a-file')
        open(path, 'w').close()
        self.conf_fixture.config(backup_posix_path=path)
        self.assertNeverDemoted('is not a directory')

    def test_permission_denied_on_the_root(self):
        real = os.scandir

        def scandir(path='.'):
            if path == self.root:
                raise PermissionError(errno.EACCES, 'Permission denied',
                                      path)
            return real(path)
        self.useFixture(fixtures.MockPatch('os.scandir', scandir))
        self.assertNeverDemoted('cannot read the backup root',
                                'Permission denied')

    def test_nfs_share_not_mounted(self):
        share = '192.0.2.1:/backups'
        base = self.useFixture(fixtures.TempDir()).path
        self.conf_fixture.config(backup_share=share,
                                 backup_mount_point_base=base)
        mount = posix.mount_point(base, share)
        for backup in self.backups:
            db_api.backup_update(self.ctx, backup.id,
                                 {'service': posix.NFS_SERVICE})
            os.makedirs(os.path.join(mount, backup.container))
        self.assertNeverDemoted('is not mounted on %s' % mount)

    def _failing(self, error_number, where):
        def fail(path, *args, **kwargs):
            raise OSError(error_number, os.strerror(error_number), path)
        self.useFixture(fixtures.MockPatchObject(fmt, where, fail))

    def test_eio_reading_the_metadata(self):
        self._failing(errno.EIO, 'load_object')
        self.assertNeverDemoted('Input/output error')

    def test_estale_listing_the_objects(self):
        self._failing(errno.ESTALE, 'list_objects')
        self.assertNeverDemoted('Stale')

    def test_verification_exceeding_verify_timeout(self):
        self.conf_fixture.config(verify_timeout=1)
        release = threading.Event()
        self.addCleanup(release.set)
        real = posix_verify.shallow

        def hung(store, backup):
            release.wait(30)
            return real(store, backup)
        self.useFixture(fixtures.MockPatchObject(posix_verify, 'shallow',
                                                 hung))
        self.assertNeverDemoted('did not finish within 1 seconds',
                                'verify_timeout')

    def test_missing_container_under_a_readable_root_still_fails(self):
        backup = self.backups[0]
        os.rename(self.container(backup), self.container(backup) + '.gone')
        row = db_api.backup_get(self.ctx, backup.id, with_metadata=False)
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.manager.reset_backup, self.user, row,
                                'available')
        self.assertIn('container directory', exc.reason)
        self.assertEqual('error', self.state(backup)[0])

    def test_missing_object_file_still_fails(self):
        backup = self.backups[2]
        os.unlink(self.object_path(backup, 1))
        row = db_api.backup_get(self.ctx, backup.id, with_metadata=False)
        self.assertRaises(exception.BackupVerifyFailed,
                          self.manager.reset_backup, self.user, row,
                          'available')
        self.assertEqual('error', self.state(backup)[0])
