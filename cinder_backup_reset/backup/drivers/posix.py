"""The posix backup driver: Cinder's chunked format on a local/NFS path.

Backups written by Cinder's posix or NFS driver and backups written by
``cinder-backup-reset-manage backup create`` share one format (see
posix_format), so this driver verifies either.
"""

import os

from cinder_backup_reset.backup import driver
from cinder_backup_reset.backup import posix_deep
from cinder_backup_reset.backup import posix_verify
from cinder_backup_reset import exception


class PosixBackupDriver(driver.BackupDriver):
    """Verifies (and locates) posix/NFS backups under backup_posix_path."""

    name = 'cinder_backup_reset.backup.drivers.posix.PosixBackupDriver'
    compatible_services = ('cinder.backup.drivers.posix.PosixBackupDriver',
                           'cinder.backup.drivers.nfs.NFSBackupDriver')

    @property
    def root(self):
        """The repository root (``backup_posix_path``)."""
        return os.path.abspath(self.conf.backup_posix_path)

    def container_path(self, backup):
        """Directory of ``backup``'s files."""
        return posix_verify.container_path(self.root, backup)

    def verify(self, context, backup, deep=False, progress=None,
               workers=None):
        """Shallow: metadata, lists and sizes; deep: every byte too.

        ``workers`` bounds the objects verified at once (default: the
        number of CPUs). Raises BackupVerifyFailed with a reason naming
        what is wrong (for deep: the first bad object and block).
        """
        try:
            evidence, entries, sha_index = posix_verify.shallow(
                self.root, backup)
        except posix_verify.Damage as damage:
            raise exception.BackupVerifyFailed(
                backup_id=backup.id, reason=damage.reason,
                evidence=damage.evidence)
        except OSError as exc:
            # NOTE: e.g. a file vanished between listing and stat, or
            # permissions: the backup cannot be shown to be sound.
            raise exception.BackupVerifyFailed(
                backup_id=backup.id, reason='cannot read the backup: %s'
                % exc, evidence={'level': 'shallow',
                                 'container': self.container_path(backup)})
        if not deep:
            return driver.VerifyResult(level='shallow', evidence=evidence)
        try:
            deep_evidence = posix_deep.verify_objects(
                evidence['container'], entries, evidence['chunk_size'],
                sha_index, workers=workers, progress=progress)
        except posix_deep.ObjectDamage as damage:
            evidence.update(level='deep', first_bad_block=damage.block)
            raise exception.BackupVerifyFailed(
                backup_id=backup.id, reason=damage.reason, evidence=evidence)
        evidence.update(deep_evidence)
        evidence['checks'].append('every object decompresses, md5 and '
                                  'sha256 of every block')
        return driver.VerifyResult(level='deep', evidence=evidence)
