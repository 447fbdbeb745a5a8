"""The chunked-backup layer: Cinder's chunked format over an object store.

Cinder's ``cinder/backup/chunkeddriver.py`` in spirit: what is true of a
chunked backup whatever stores its objects: shallow verification
(shallow.py), deep verification (deep.py), the chain of an incremental
backup, restore (restore.py) and deletion. A store-specific driver
subclasses ChunkedBackupDriver and implements ``store_for``, returning the
ObjectStore (store.py) that holds a backup; drivers/posix.py is one.
"""

import abc

from cinder_backup_reset.backup.chunked import deep as chunked_deep
from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup.chunked import shallow as chunked_shallow
from cinder_backup_reset.backup import driver
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception


class ChunkedBackupDriver(driver.BackupDriver):
    """Verifies, restores and deletes chunked backups of one store kind."""

    @abc.abstractmethod
    def store_for(self, backup):
        """The ObjectStore (store.py) holding ``backup``.

        :raises BackupBackendUnavailable: where it is cannot be known
            (a missing setting).
        """

    def available_store(self, backup):
        """store_for(backup), refused if it cannot be read from here.

        :raises BackupBackendUnavailable: naming the cause.
        """
        store = self.store_for(backup)
        store.check_available(backup)
        return store

    def delete(self, context, backup):
        """Remove the backup's files (Cinder's chunked driver's delete).

        Every object of its prefix, its metadata and sha256 files.

        Other backups' files in a shared container are left alone, and so
        is the container directory.

        :returns: ``{"container": location, "removed": [names]}``.
        :raises BackupBackendUnavailable: the store cannot be read (an
            unmounted share): nothing removed.
        """
        store = self.available_store(backup)
        container = fmt.container_name(backup)
        prefix = backup.service_metadata
        removed = []
        if prefix and _container_is_there(store, container):
            for name in sorted(store.list(container)):
                if name.startswith(prefix):
                    store.delete(container, name)
                    removed.append(name)
        return {'container': store.location(container), 'removed': removed}

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
            store = self.store_for(layer)
            try:
                found = chunked_deep.verify_objects(
                    store, fmt.container_name(layer), layer_entries,
                    layer_ev['chunk_size'], layer_index, workers=workers,
                    progress=layer_progress)
            except OSError as exc:
                if not store.unreadable(exc):
                    raise
                raise exception.BackupBackendUnavailable(
                    backup_id=backup.id, reason='reading %s failed: %s' % (
                        exc.filename or layer_ev['container'],
                        exc.strerror or exc))
            except chunked_deep.ObjectDamage as damage:
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
        store = self.available_store(backup)
        try:
            return chunked_shallow.shallow(store, backup)
        except chunked_shallow.Damage as damage:
            reason, evidence = damage.reason, damage.evidence
        except OSError as exc:
            if store.unreadable(exc):
                raise exception.BackupBackendUnavailable(
                    backup_id=(child or backup).id,
                    reason='reading %s failed: %s' % (
                        exc.filename or store.location(),
                        exc.strerror or exc))
            # NOTE: e.g. a file vanished between listing and stat: the
            # backup cannot be shown to be sound.
            reason = 'cannot read the backup: %s' % exc
            evidence = {'level': 'shallow',
                        'container': store.location(
                            fmt.container_name(backup))}
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


def _container_is_there(store, container):
    # NOTE: as os.path.isdir: a container that cannot be looked at has
    # nothing we could remove.
    try:
        return store.container_exists(container)
    except OSError:
        return False
