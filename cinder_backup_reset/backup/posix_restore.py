"""Restore a full posix backup into a file, checking what it writes.

Cinder's restore only compares object names; this one also checks each
object's length and md5 while writing it, so a damaged backup is never
silently restored.
"""

import hashlib
import os

from cinder_backup_reset.backup import posix_codec
from cinder_backup_reset.backup import posix_format as fmt
from cinder_backup_reset import exception

OUT_SIZE = 8 * 1024 * 1024
READ_SIZE = 1024 * 1024


class RestoreCancelled(Exception):
    """``should_continue`` said stop (the backup left ``restoring``)."""


def _damaged(backup_id, reason):
    return exception.BackupVerifyFailed(backup_id=backup_id, reason=reason,
                                        evidence={'during': 'restore'})


def restore_backup(container, prefix, backup_id, target_fd,
                   progress=None, should_continue=None):
    """Write the backup's data into ``target_fd`` at the recorded offsets.

    ``should_continue()`` is asked before every object; False raises
    RestoreCancelled. Raises BackupVerifyFailed when the backup is not
    restorable (wrong version, object list, length or md5). Returns the
    number of bytes restored.
    """
    try:
        metadata = fmt.load(
            os.path.join(container, fmt.metadata_name(prefix)))
        entries = fmt.object_entries(metadata)
    except (OSError, fmt.FormatError) as exc:
        raise _damaged(backup_id, str(exc))
    if metadata.get('version') != fmt.VERSION:
        raise _damaged(backup_id, 'no support to restore backup version %r'
                       % metadata.get('version'))
    if metadata.get('parent_id'):
        raise _damaged(backup_id, 'incremental backups cannot be restored '
                                  'by this tool yet')
    if sorted(n for n, _i in entries) != fmt.list_objects(container, prefix):
        raise _damaged(backup_id, 'the object list in the directory does '
                                  'not match the metadata')
    total = sum(info['length'] for _n, info in entries)
    done = 0
    for name, info in entries:
        if should_continue is not None and not should_continue():
            raise RestoreCancelled()
        written, digest = _restore_object(
            os.path.join(container, name), info, target_fd)
        if written != info['length'] or digest != info['md5']:
            raise _damaged(backup_id, 'object %s restores to %d bytes with '
                           'md5 %s; the metadata records %d bytes, md5 %s'
                           % (name, written, digest, info['length'],
                              info['md5']))
        done += written
        if progress is not None:
            progress(done, total)
    end = max((i['offset'] + i['length'] for _n, i in entries), default=0)
    os.ftruncate(target_fd, end)
    os.fsync(target_fd)
    return done


def _restore_object(path, info, target_fd):
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
                raise posix_codec.CodecError('object holds more data than '
                                             'its recorded length')
            md5.update(piece)
            view = memoryview(piece)
            while view:
                n = os.pwrite(target_fd, view, position)
                position += n
                view = view[n:]

    try:
        with open(path, 'rb', buffering=0) as f:
            write(posix_codec.read_decompressed(f, codec, OUT_SIZE,
                                                READ_SIZE))
    except posix_codec.CodecError as exc:
        return position - info['offset'], 'damaged (%s)' % exc
    return position - info['offset'], md5.hexdigest()
