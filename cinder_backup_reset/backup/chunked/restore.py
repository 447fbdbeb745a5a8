"""Restore a chunked backup and its chain into a file, checking each object.

Cinder's restore only compares object names; this one also checks each
object's length and md5 while writing it, so a damaged backup is never
silently restored.
"""

import hashlib
import os

from cinder_backup_reset.backup.chunked import codec as chunk_codec
from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset import exception

OUT_SIZE = 8 * 1024 * 1024
READ_SIZE = 1024 * 1024


class RestoreCancelled(Exception):
    """``should_continue`` said stop (the backup left ``restoring``)."""


def _damaged(backup_id, reason):
    return exception.BackupVerifyFailed(backup_id=backup_id, reason=reason,
                                        evidence={'during': 'restore'})


def restore_backup(store, container, prefix, backup_id, target_fd,
                   progress=None, should_continue=None, base_layers=()):
    """Write the backup's data into ``target_fd`` at the recorded offsets.

    ``store`` (store.py) holds the backup's ``container`` and those of
    its chain. An incremental backup is restored as Cinder restores it:
    its full backup first, then each incremental of the chain in order, so
    every byte comes from the newest backup that holds it. ``base_layers``
    is the chain below this backup, ``[(container, prefix)]`` from the
    full backup to the direct parent (empty for a full backup). Every layer's
    metadata and object list is checked before the first byte is written.

    ``should_continue()`` is asked before every object; False raises
    RestoreCancelled. Returns the number of bytes restored.

    :raises BackupVerifyFailed: the backup is not restorable (wrong
        version, object list, chain, length or md5).
    """
    layers = [_load_layer(store, backup_id, layer_container, layer_prefix)
              for layer_container, layer_prefix
              in list(base_layers) + [(container, prefix)]]
    for number, (metadata, _entries, _path) in enumerate(layers):
        parent = layers[number - 1][0].get('backup_id') if number else None
        if metadata.get('parent_id') != parent:
            raise _damaged(backup_id, 'backup %s names parent %s, but the '
                           'chain being restored has %s there'
                           % (metadata.get('backup_id'),
                              metadata.get('parent_id'), parent))
    total = sum(info['length'] for _m, entries, _p in layers
                for _n, info in entries)
    done = 0
    for _metadata, entries, layer_container in layers:
        for name, info in entries:
            if should_continue is not None and not should_continue():
                raise RestoreCancelled()
            written, digest = _restore_object(
                store, layer_container, name, info, target_fd)
            if written != info['length'] or digest != info['md5']:
                raise _damaged(backup_id, 'object %s restores to %d bytes '
                               'with md5 %s; the metadata records %d bytes, '
                               'md5 %s' % (name, written, digest,
                                           info['length'], info['md5']))
            done += written
            if progress is not None:
                progress(done, total)
    # NOTE: the full backup's data reaches the end of the volume.
    end = max((i['offset'] + i['length'] for _n, i in layers[0][1]),
              default=0)
    os.ftruncate(target_fd, end)
    os.fsync(target_fd)
    return done


def _load_layer(store, backup_id, container, prefix):
    """``(metadata, entries, container)`` of one backup, checked."""
    try:
        metadata = fmt.load_object(store, container,
                                   fmt.metadata_name(prefix))
        entries = fmt.object_entries(metadata)
    except (OSError, fmt.FormatError) as exc:
        raise _damaged(backup_id, str(exc))
    if metadata.get('version') != fmt.VERSION:
        raise _damaged(backup_id, 'no support to restore backup version %r'
                       % metadata.get('version'))
    if (sorted(n for n, _i in entries) !=
            fmt.list_objects(store, container, prefix)):
        raise _damaged(backup_id, 'the object list in the directory %s does '
                                  'not match the metadata'
                       % store.location(container))
    return metadata, entries, container


def _restore_object(store, container, name, info, target_fd):
    codec = fmt.codec_for(info['compression'])
    md5 = hashlib.md5(usedforsecurity=False)
    position = info['offset']
    limit = info['offset'] + info['length']

    def write(pieces):
        nonlocal position
        for piece in pieces:
            if position + len(piece) > limit:
                # NOTE: never write past the object's extent, even if the
                # object holds more data than the metadata says.
                raise chunk_codec.CodecError('object holds more data than '
                                             'its recorded length')
            md5.update(piece)
            view = memoryview(piece)
            while view:
                n = os.pwrite(target_fd, view, position)
                position += n
                view = view[n:]

    try:
        with store.open(container, name) as f:
            write(chunk_codec.read_decompressed(f, codec, OUT_SIZE,
                                                READ_SIZE))
    except chunk_codec.CodecError as exc:
        return position - info['offset'], 'damaged (%s)' % exc
    return position - info['offset'], md5.hexdigest()
