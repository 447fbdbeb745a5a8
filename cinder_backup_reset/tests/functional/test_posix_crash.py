"""Crash consistency of ``backup create``: SIGKILL it, then reset it.

The command runs as a real process on a SQLite file database. It is
killed at several points; afterwards BackupResetManager.reset_backup(...,
'available') must succeed only if the backup is complete on disk (and it
then restores to the original bytes); otherwise the backup ends in
``error`` with the verification's reason. Never is an incomplete backup
marked ``available``.
"""

import glob
import os
import signal
import subprocess
import sys
import time

import fixtures
import testtools

from cinder_backup_reset.backup.chunked import restore as posix_restore
from cinder_backup_reset.backup.drivers import posix
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import manager
from cinder_backup_reset.tests import fixtures as crb_fixtures

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BLOCK = 4096
FILE_SIZE = 2 * BLOCK
SIZE = 240 * FILE_SIZE      # 240 objects: slow enough to be caught


class CrashTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.db_path = os.path.join(self.tmp, 'db.sqlite')
        self.root = os.path.join(self.tmp, 'backup')
        # NOTE: the backup storage is there, as in a deployment: a crash
        # must leave a verdict about the backup, not about the storage (a
        # missing root is "unavailable", test_unavailable.py).
        os.makedirs(self.root)
        self.conf_path = os.path.join(self.tmp, 'crb.conf')
        with open(self.conf_path, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\nbackup_posix_path = %s\n'
                    'backup_file_size = %d\nbackup_sha_block_size_bytes = '
                    '%d\nbackup_compression_algorithm = zlib\n'
                    '[database]\nconnection = sqlite:///%s\n'
                    % (self.tmp, self.root, FILE_SIZE, BLOCK, self.db_path))
        self.volume = os.path.join(self.tmp, 'volume')
        with open(self.volume, 'wb') as f:
            f.write((os.urandom(BLOCK) + bytes(BLOCK)) * (SIZE // FILE_SIZE))
        conf = self.useFixture(crb_fixtures.ConfFixture())
        conf.config(backup_posix_path=self.root)
        self.conf = conf.conf
        self.driver = posix.PosixBackupDriver(conf.conf)
        self.ctx = context.get_admin_context()

    def manage(self, *args):
        env = dict(os.environ, PYTHONPATH=TOP)
        return subprocess.Popen(
            [sys.executable, '-m', 'cinder_backup_reset.cmd.backup_commands',
             '--config-file', self.conf_path] + list(args),
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)

    def start_create(self):
        proc = self.manage('backup', 'create', '--volume-file', self.volume,
                           '--project-id', 'p1')
        self.addCleanup(proc.wait)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        line = proc.stdout.readline().decode()
        self.assertTrue(line.startswith('Backup '), line)
        return proc, line.split()[1].rstrip(':')

    def wait_for(self, proc, predicate, timeout=30):
        deadline = time.monotonic() + timeout
        while not predicate():
            if proc.poll() is not None or time.monotonic() > deadline:
                return False
            time.sleep(0.001)
        return True

    def chunks(self, backup_id):
        return glob.glob(os.path.join(self.root, '*', '*', backup_id,
                                      'volume_*-[0-9]*'))

    def outcome(self, backup_id):
        """Reset the backup to available; return (available, reason).

        The reset manager verifies it (shallow, as the API does); an
        incomplete backup must end in error with the reason, a complete
        one in available, and then it must restore to the original bytes.
        """
        self.useFixture(crb_fixtures.Database('sqlite:///' + self.db_path))
        backup = db_api.backup_get(self.ctx, backup_id)
        before = backup.status
        reset = manager.BackupResetManager(self.conf, driver=self.driver)
        try:
            reset.reset_backup(self.ctx, backup, 'available')
        except exception.BackupVerifyFailed as exc:
            # Never is an incomplete backup marked available.
            self.assertEqual('creating', before)
            self.assertTrue(exc.reason)
            backup = db_api.backup_get(self.ctx, backup_id)
            self.assertEqual('error', backup.status)
            self.assertTrue(backup.fail_reason)
            self.assertRaises(exception.BackupVerifyFailed,
                              self.driver.verify, self.ctx, backup,
                              deep=True)
            return False, exc.reason
        backup = db_api.backup_get(self.ctx, backup_id)
        self.assertEqual('available', backup.status)
        self.driver.verify(self.ctx, backup, deep=True)
        target = os.path.join(self.tmp, 'restored')
        fd = os.open(target, os.O_RDWR | os.O_CREAT)
        try:
            posix_restore.restore_backup(
                self.driver.store_for(backup),
                self.driver.container_path(backup), backup.service_metadata,
                backup.id, fd)
        finally:
            os.close(fd)
        with open(target, 'rb') as a, open(self.volume, 'rb') as b:
            self.assertEqual(b.read(), a.read())
        return True, None

    def kill_when(self, predicate):
        proc, backup_id = self.start_create()
        caught = self.wait_for(proc, lambda: predicate(backup_id))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        return caught, backup_id

    def test_killed_before_any_object(self):
        proc, backup_id = self.start_create()
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        verified, reason = self.outcome(backup_id)
        self.assertFalse(verified)

    def test_killed_after_first_object(self):
        caught, backup_id = self.kill_when(
            lambda b: len(self.chunks(b)) >= 1)
        self.assertTrue(caught)
        verified, reason = self.outcome(backup_id)
        self.assertFalse(verified)
        self.assertIn('metadata file', reason)

    def test_killed_half_way(self):
        caught, backup_id = self.kill_when(
            lambda b: len(self.chunks(b)) >= 120)
        self.assertTrue(caught)
        verified, reason = self.outcome(backup_id)
        self.assertFalse(verified)
        self.assertIn('never finished', reason)

    def test_killed_around_the_sha256file(self):
        # Whatever instant the kill lands on, the backup verifies only if
        # the metadata file was complete (then it restores exactly).
        caught, backup_id = self.kill_when(lambda b: glob.glob(os.path.join(
            self.root, '*', '*', b, '*sha256file*')))
        verified, reason = self.outcome(backup_id)
        metadata = glob.glob(os.path.join(self.root, '*', '*', backup_id,
                                          'volume_*_metadata'))
        self.assertEqual(bool(metadata), verified, reason)

    def test_finished_create_is_available(self):
        proc, backup_id = self.start_create()
        out, err = proc.communicate(timeout=120)
        self.assertEqual(0, proc.returncode, err)
        self.useFixture(crb_fixtures.Database('sqlite:///' + self.db_path))
        backup = db_api.backup_get(self.ctx, backup_id)
        self.assertEqual('available', backup.status)
        self.assertEqual(240, backup.object_count)
        self.driver.verify(self.ctx, backup, deep=True)

    def test_killed_after_writing_before_cas(self):
        # Complete on disk but still "creating": verify succeeds, so a
        # reset to available is allowed for exactly this case.
        caught, backup_id = self.kill_when(lambda b: glob.glob(os.path.join(
            self.root, '*', '*', b, 'volume_*_metadata')))
        verified, reason = self.outcome(backup_id)
        self.assertTrue(verified, reason)
