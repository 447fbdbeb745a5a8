"""The posix backup driver: Cinder's chunked format on a local/NFS path.

The chunked layer (backup/chunked/) does the verification, restore and
deletion; this module adds what is posix's: PosixStore, the ObjectStore
of a directory tree, and where a backup's tree is.

Backups written by Cinder's posix or NFS driver and backups written by
``cinder-backup-reset-manage backup create`` share one format (see
chunked/format.py), so this driver verifies either. Where a backup lives
follows Cinder's own options (cinder-facts.md §7): ``backup_posix_path`` for
PosixBackupDriver's, the NFS share's mount point
``<backup_mount_point_base>/<md5 hex of backup_share>`` for
NFSBackupDriver's.
"""

import errno
import hashlib
import os
import stat

from cinder_backup_reset.backup.chunked import driver as chunked_driver
from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup.chunked import store as chunked_store
from cinder_backup_reset import exception

POSIX_SERVICE = 'cinder.backup.drivers.posix.PosixBackupDriver'
NFS_SERVICE = 'cinder.backup.drivers.nfs.NFSBackupDriver'


def mount_point(base, share):
    """The directory os-brick mounts ``share`` on: ``base/<md5 hex>``.

    The md5 of the share string as written in the configuration, as
    os-brick's RemoteFsClient.get_mount_point computes it.
    """
    digest = hashlib.md5(share.encode('utf-8'), usedforsecurity=False)
    return os.path.join(base, digest.hexdigest())


#: NOTE: errors that say a file system backend (the share, the disk, the
#: permissions) failed, not that a backup file is missing or wrong: a
#: verification that meets one has no verdict to give. ENOENT and ENOTDIR
#: are not among them: under a readable root they mean a file is missing.
UNREADABLE_ERRNOS = frozenset(
    getattr(errno, name) for name in (
        'EIO', 'ESTALE', 'EACCES', 'EPERM', 'ENOTCONN', 'ETIMEDOUT',
        'EHOSTDOWN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENODEV', 'ENXIO',
        'ENOLINK', 'EREMOTEIO', 'ECONNREFUSED', 'ECONNRESET')
    if hasattr(errno, name))


def backend_unreadable(exc):
    """Whether OSError ``exc`` means the backend could not be read."""
    return isinstance(exc, OSError) and exc.errno in UNREADABLE_ERRNOS


class PosixStore(chunked_store.ObjectStore):
    """The objects of chunked backups as files under a directory ``root``.

    A container is a directory below the root, an object a file in it.
    ``nfs_share``, when set, is the NFS share the root is the mount point
    of: check_available() then also wants it mounted.
    """

    def __init__(self, root, nfs_share=None):
        self.root = root
        self.nfs_share = nfs_share

    def check_available(self, backup):
        """Refuse a root that cannot be read: no verdict is possible.

        The root must exist and be a readable directory, and for an NFS
        backup the share's mount point must be mounted (an empty directory
        where the share should be says nothing about the backup).

        :raises BackupBackendUnavailable: naming the cause.
        """
        root = self.root

        def unavailable(reason):
            return exception.BackupBackendUnavailable(backup_id=backup.id,
                                                      reason=reason)
        try:
            with os.scandir(root) as entries:
                next(entries, None)
        except FileNotFoundError:
            raise unavailable('the backup root %s does not exist (is the '
                              'backup storage mounted on this host?)' % root)
        except NotADirectoryError:
            raise unavailable('the backup root %s is not a directory' % root)
        except OSError as exc:
            raise unavailable('cannot read the backup root %s: %s'
                              % (root, exc))
        if self.nfs_share and not os.path.ismount(root):
            raise unavailable('the NFS share %s is not mounted on %s'
                              % (self.nfs_share, root))

    def location(self, container=None, name=None):
        """The absolute path of the root, a container or an object."""
        if container is None:
            return self.root
        if name is None:
            return os.path.join(self.root, container)
        return os.path.join(self.root, container, name)

    def container_exists(self, container):
        # NOTE: os.path.isdir would hide an EIO: only "not there" is False.
        try:
            mode = os.stat(self.location(container)).st_mode
        except (FileNotFoundError, NotADirectoryError):
            return False
        return stat.S_ISDIR(mode)

    def list(self, container):
        return os.listdir(self.location(container))

    def exists(self, container, name):
        return os.path.exists(self.location(container, name))

    def size(self, container, name):
        return os.stat(self.location(container, name)).st_size

    def open(self, container, name):
        return open(self.location(container, name), 'rb', buffering=0)

    def delete(self, container, name):
        os.unlink(self.location(container, name))

    def unreadable(self, exc):
        """Whether OSError ``exc`` means the file system failed."""
        return backend_unreadable(exc)


class PosixBackupDriver(chunked_driver.ChunkedBackupDriver):
    """Verifies, restores, deletes (and locates) posix and NFS backups."""

    name = 'cinder_backup_reset.backup.drivers.posix.PosixBackupDriver'
    compatible_services = (POSIX_SERVICE, NFS_SERVICE)

    @property
    def root(self):
        """The posix repository root (``backup_posix_path``)."""
        return os.path.abspath(self.conf.backup_posix_path)

    def root_for(self, backup):
        """The repository root holding ``backup``'s container.

        :raises BackupBackendUnavailable: an NFS backup, and no
            ``backup_share`` is configured to find it with.
        """
        if self._is_nfs(backup):
            share = self.conf.backup_share
            if not share:
                raise exception.BackupBackendUnavailable(
                    backup_id=backup.id, reason=(
                        'it was written by Cinder\'s NFS driver and '
                        '[DEFAULT] backup_share is not set, so its mount '
                        'point is unknown'))
            return mount_point(
                os.path.abspath(self.conf.backup_mount_point_base), share)
        return self.root

    def store_for(self, backup):
        """The PosixStore of ``backup``'s root (posix or NFS).

        :raises BackupBackendUnavailable: as root_for.
        """
        return PosixStore(self.root_for(backup),
                          nfs_share=(self.conf.backup_share
                                     if self._is_nfs(backup) else None))

    def backend_problems(self):
        """The posix root, and the NFS mount point if a share is set."""
        problems = []
        roots = [(self.root, False)]
        if self.conf.backup_share:
            roots.append((mount_point(
                os.path.abspath(self.conf.backup_mount_point_base),
                self.conf.backup_share), True))
        for root, nfs in roots:
            try:
                with os.scandir(root) as entries:
                    next(entries, None)
            except OSError as exc:
                problems.append('cannot read the backup root %s: %s' % (
                    root, exc.strerror or exc))
                continue
            if nfs and not os.path.ismount(root):
                problems.append('the NFS share %s is not mounted on %s' % (
                    self.conf.backup_share, root))
        return problems

    @staticmethod
    def _is_nfs(backup):
        service = backup.service or ''
        return bool(service) and NFS_SERVICE.startswith(service) and not (
            POSIX_SERVICE.startswith(service))

    def container_path(self, backup):
        """Directory of ``backup``'s files."""
        return self.store_for(backup).location(fmt.container_name(backup))
