"""The posix backup driver: Cinder's chunked format on a local/NFS path.

Backups written by Cinder's posix or NFS driver and backups written by
``cinder-backup-reset-manage backup create`` share one format (see
posix_format), so this driver verifies either. Where a backup lives follows
Cinder's own options (cinder-facts.md §7): ``backup_posix_path`` for
PosixBackupDriver's, the NFS share's mount point
``<backup_mount_point_base>/<md5 hex of backup_share>`` for
NFSBackupDriver's.
"""

import hashlib
import os

from cinder_backup_reset.backup import driver
from cinder_backup_reset.backup import posix_deep
from cinder_backup_reset.backup import posix_verify
from cinder_backup_reset.db import api as db_api
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


class PosixBackupDriver(driver.BackupDriver):
    """Verifies (and locates) posix and NFS backups."""

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

    def check_root(self, backup):
        """Refuse a root that cannot be read: no verdict is possible.

        The root must exist and be a readable directory, and for an NFS
        backup the share's mount point must be mounted (an empty directory
        where the share should be says nothing about the backup).

        :returns: the root.
        :raises BackupBackendUnavailable: naming the cause.
        """
        root = self.root_for(backup)

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
        if self._is_nfs(backup) and not os.path.ismount(root):
            raise unavailable('the NFS share %s is not mounted on %s'
                              % (self.conf.backup_share, root))
        return root

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
        return posix_verify.container_path(self.root_for(backup), backup)

    def delete(self, context, backup):
        """Remove the backup's files (Cinder's chunked driver's delete).

        Every object of its prefix, its metadata and sha256 files.

        Other backups' files in a shared container are left alone, and so
        is the container directory.

        :returns: ``{"container": path, "removed": [names]}``.
        :raises BackupBackendUnavailable: the root cannot be read (an
            unmounted share): nothing removed.
        """
        self.check_root(backup)
        container = self.container_path(backup)
        prefix = backup.service_metadata
        removed = []
        if prefix and os.path.isdir(container):
            for name in sorted(os.listdir(container)):
                if name.startswith(prefix):
                    os.unlink(os.path.join(container, name))
                    removed.append(name)
        return {'container': container, 'removed': removed}

    def verify(self, context, backup, deep=False, progress=None,
               workers=None):
        """Shallow: metadata, lists, sizes, the chain; deep: every byte.

        An incremental backup (``parent_id`` set) is verified with its
        chain: every parent must exist, not be deleted, pass the same
        shallow checks and hash with the same block size; deep verification
        reads every backup of the chain. ``workers`` bounds the objects
        verified at once (default: the number of CPUs).

        :returns: driver.VerifyResult; its evidence has ``parents`` (the
            chain, nearest first) for an incremental backup.
        :raises BackupVerifyFailed: with a reason naming what is wrong (for
            deep: the first bad object and block; for the chain: the
            parent).
        :raises BackupBackendUnavailable: the backend cannot be read (root
            or mount point missing, not mounted, permission denied, EIO,
            ESTALE...): nothing is known about the backup.
        """
        evidence, entries, sha_index = self._shallow(backup)
        layers = [(backup, evidence, entries, sha_index)]
        if backup.parent_id:
            parents = self._verify_parents(context, backup, evidence)
            evidence['parents'] = [
                {'id': parent.id, 'object_count': parent_ev['object_count'],
                 'container': parent_ev['container']}
                for parent, parent_ev, _e, _s in parents]
            evidence['checks'].append(
                'every parent exists, is not deleted and passes these checks')
            layers.extend(parents)
        if not deep:
            return driver.VerifyResult(level='shallow', evidence=evidence)
        totals = {'objects_verified': 0, 'bytes_verified': 0,
                  'blocks_verified': 0, 'seconds': 0.0}
        grand_total = sum(info['length'] for _b, _ev, layer_entries, _i
                          in layers for _n, info in layer_entries)
        # NOTE: the full backup first, then each incremental, as a restore
        # reads them; progress counts the whole chain.
        for layer, layer_ev, layer_entries, layer_index in reversed(layers):
            before = totals['bytes_verified']

            def layer_progress(done, _total, before=before):
                if progress is not None:
                    progress(before + done, grand_total)
            try:
                found = posix_deep.verify_objects(
                    layer_ev['container'], layer_entries,
                    layer_ev['chunk_size'], layer_index, workers=workers,
                    progress=layer_progress)
            except OSError as exc:
                if not posix_verify.backend_unreadable(exc):
                    raise
                raise exception.BackupBackendUnavailable(
                    backup_id=backup.id, reason='reading %s failed: %s' % (
                        exc.filename or layer_ev['container'],
                        exc.strerror or exc))
            except posix_deep.ObjectDamage as damage:
                evidence.update(level='deep', first_bad_block=damage.block)
                reason = damage.reason
                if layer is not backup:
                    evidence['bad_parent'] = layer.id
                    reason = 'parent backup %s: %s' % (layer.id, reason)
                raise exception.BackupVerifyFailed(
                    backup_id=backup.id, reason=reason, evidence=evidence)
            for key in totals:
                totals[key] += found[key]
        seconds = totals['seconds'] = round(totals['seconds'], 3)
        totals.update(level='deep', mib_per_second=round(
            totals['bytes_verified'] / 1048576 / seconds, 1)
            if seconds else None)
        evidence.update(totals)
        evidence['checks'].append('every object decompresses, md5 and '
                                  'sha256 of every block' +
                                  (', for the whole chain'
                                   if backup.parent_id else ''))
        return driver.VerifyResult(level='deep', evidence=evidence)

    def chain(self, context, backup):
        """``backup``'s parents, nearest first, each shallow-verified.

        :returns: [(parent row, evidence, entries, sha_index)]
        :raises BackupVerifyFailed: a parent is missing, deleted or not
            whole (the reason names it).
        """
        if not backup.parent_id:
            return []
        evidence, _entries, _index = self._shallow(backup)
        return self._verify_parents(context, backup, evidence)

    def _shallow(self, backup, child=None):
        root = self.check_root(backup)
        try:
            return posix_verify.shallow(root, backup)
        except posix_verify.Damage as damage:
            reason, evidence = damage.reason, damage.evidence
        except OSError as exc:
            if posix_verify.backend_unreadable(exc):
                raise exception.BackupBackendUnavailable(
                    backup_id=(child or backup).id,
                    reason='reading %s failed: %s' % (
                        exc.filename or root, exc.strerror or exc))
            # NOTE: e.g. a file vanished between listing and stat: the
            # backup cannot be shown to be sound.
            reason = 'cannot read the backup: %s' % exc
            evidence = {'level': 'shallow',
                        'container': posix_verify.container_path(root,
                                                                 backup)}
        if child is not None:
            evidence = dict(evidence, bad_parent=backup.id)
            raise exception.BackupVerifyFailed(
                backup_id=child.id, reason='parent backup %s: %s'
                % (backup.id, reason), evidence=evidence)
        raise exception.BackupVerifyFailed(
            backup_id=backup.id, reason=reason, evidence=evidence)

    def _verify_parents(self, context, backup, evidence):
        parents = []
        seen = {backup.id}
        child, chunk_size = backup, evidence['chunk_size']
        while child.parent_id:
            parent_id = child.parent_id
            parent = db_api.backup_get_parent(context, parent_id)
            problem = None
            if parent_id in seen:
                problem = 'the chain of parents loops back to %s' % parent_id
            elif parent is None:
                problem = ('its parent backup %s (of %s) does not exist'
                           % (parent_id, child.id))
            elif parent.deleted:
                problem = ('its parent backup %s (of %s) is deleted'
                           % (parent_id, child.id))
            if problem:
                raise exception.BackupVerifyFailed(
                    backup_id=backup.id, reason=problem,
                    evidence=dict(evidence, bad_parent=parent_id))
            seen.add(parent_id)
            parent_ev, entries, index = self._shallow(parent, child=backup)
            if parent_ev['chunk_size'] != chunk_size:
                raise exception.BackupVerifyFailed(
                    backup_id=backup.id, reason=(
                        'parent backup %s hashes %d-byte blocks, not %d'
                        % (parent_id, parent_ev['chunk_size'], chunk_size)),
                    evidence=dict(evidence, bad_parent=parent_id))
            if parent_ev['sha256_count'] != evidence['sha256_count']:
                raise exception.BackupVerifyFailed(
                    backup_id=backup.id, reason=(
                        'its sha256 file has %d hashes but parent backup %s '
                        'has %d: they are not backups of one volume'
                        % (evidence['sha256_count'], parent_id,
                           parent_ev['sha256_count'])),
                    evidence=dict(evidence, bad_parent=parent_id))
            parents.append((parent, parent_ev, entries, index))
            child = parent
        return parents
