"""Write a full backup in Cinder's posix format, with bounded memory.

The source is read ``PIECE_SIZE`` bytes at a time and each piece is
hashed (md5 of the object, sha256 of every block) and compressed before
the next is read, so memory does not grow with ``backup_file_size``.
The metadata records each object's stored size in ``extra_metadata``
(see chunked/format.py).
"""

import dataclasses
import hashlib
import os

from cinder_backup_reset.backup.chunked import codec as chunk_codec
from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset import exception

#: NOTE: 8 MiB pieces amortise the per-call cost of zlib and hashlib while
#: keeping the writer's memory use small.
PIECE_SIZE = 8 * 1024 * 1024


class WriteCancelled(Exception):
    """``should_continue`` said stop (the row's status changed)."""


@dataclasses.dataclass
class BackupSpec:
    """What the two JSON documents say about the backup."""

    backup_id: str
    volume_id: str
    prefix: str
    container_path: str
    name: str = None
    description: str = None
    created_at: object = None
    parent_id: str = None


@dataclasses.dataclass
class WriteResult:
    object_count: int
    size_bytes: int
    stored_bytes: int
    sha256_count: int


def check_sizes(file_size, block_size):
    """Cinder's rule: ``backup_file_size`` is a multiple of the block size.

    Raises InvalidBackup otherwise.
    """
    if block_size <= 0 or file_size <= 0 or file_size % block_size:
        raise exception.InvalidBackup(reason=(
            'backup_file_size (%d) must be a positive multiple of '
            'backup_sha_block_size_bytes (%d)' % (file_size, block_size)))


def make_container(root, container):
    """Create ``root/container`` with every new directory mode 0770."""
    path = root
    for part in container.split('/'):
        if not part:
            continue
        path = os.path.join(path, part)
        try:
            os.mkdir(path, fmt.DIR_MODE)
        except FileExistsError:
            continue
        # NOTE: mkdir's mode is filtered by the umask; Cinder's repository
        # is shared by a group, so set the bits explicitly.
        os.chmod(path, fmt.DIR_MODE)
    return path


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def write_json_atomically(directory, name, document):
    """Write ``name`` so that it either does not exist or is complete.

    NOTE: the temporary name does not start with the object prefix, so
    neither Cinder's listing nor ours ever sees a half-written file.
    """
    tmp = os.path.join(directory, '.tmp-' + name)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, fmt.FILE_MODE)
    try:
        os.fchmod(fd, fmt.FILE_MODE)
        _write_all(fd, fmt.dumps(document))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, os.path.join(directory, name))


class _ObjectWriter:
    """Writes one data object; decides afterwards whether to compress."""

    def __init__(self, path, codec, block_size):
        self.path = path
        self.codec = codec
        self.block_size = block_size
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha256s = []
        self.length = 0
        self.stored = 0
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                          fmt.FILE_MODE)
        os.fchmod(self.fd, fmt.FILE_MODE)
        self.comp = None

    def add(self, data, expected_length):
        if self.comp is None:
            self.comp = chunk_codec.compressor(self.codec, expected_length)
        self.md5.update(data)
        view = memoryview(data)
        for start in range(0, len(data), self.block_size):
            self.sha256s.append(hashlib.sha256(
                view[start:start + self.block_size]).hexdigest())
        self.length += len(data)
        out = self.comp.compress(data)
        self._out(out)

    def _out(self, out):
        if out:
            _write_all(self.fd, out)
            self.stored += len(out)

    def finish(self, source, start):
        """Flush; store uncompressed when compressing did not help.

        Returns the stored compression name.
        """
        self._out(self.comp.flush() if self.comp else b'')
        stored_as = self.codec
        if self.codec != 'none' and self.stored >= self.length:
            # NOTE: Cinder's rule: keep the data uncompressed when the
            # compressed form is not smaller. The source is read again
            # rather than kept in memory.
            stored_as = 'none'
            os.ftruncate(self.fd, 0)
            os.lseek(self.fd, 0, os.SEEK_SET)
            source.seek(start)
            left = self.length
            while left:
                data = source.read(min(PIECE_SIZE, left))
                if not data:
                    raise exception.InvalidBackup(
                        reason='the source shrank while being backed up')
                _write_all(self.fd, data)
                left -= len(data)
        os.fsync(self.fd)
        # NOTE: the size recorded in the metadata is what the file system
        # says, not what we believe we wrote, so that shallow verify
        # compares like with like.
        self.stored = os.fstat(self.fd).st_size
        os.close(self.fd)
        return stored_as


def write_backup(source, spec, file_size, block_size, algorithm,
                 total=None, progress=None, should_continue=None):
    """Write ``source`` (a seekable binary file) as a full backup.

    Objects are written in order, then the sha256 file, then the metadata
    file (so a backup without metadata is known to be incomplete). Before
    each object ``should_continue()`` is asked, if given; False removes the
    objects written so far and raises WriteCancelled. ``progress(done,
    total)`` follows the bytes read.
    """
    check_sizes(file_size, block_size)
    stored_name = fmt.stored_compression(algorithm)
    codec = fmt.codec_for(stored_name)
    piece = max(block_size, PIECE_SIZE // block_size * block_size)
    objects = []
    object_sizes = {}
    sha256s = []
    offset = 0
    stored_bytes = 0
    number = 0
    while True:
        data = source.read(min(piece, file_size))
        if not data:
            break
        if should_continue is not None and not should_continue():
            # NOTE: Cinder removes the objects of a backup it did not
            # finish; a cancelled backup must leave no data for a later
            # reset to mistake for a backup.
            _remove_objects(spec.container_path,
                            [next(iter(obj)) for obj in objects])
            raise WriteCancelled()
        number += 1
        name = fmt.object_name(spec.prefix, number)
        writer = _ObjectWriter(os.path.join(spec.container_path, name),
                               codec if stored_name != 'none' else 'none',
                               block_size)
        start = offset
        # NOTE: zstd records the object's size in its frame header; it is
        # known only when the caller told us the source's size.
        expected = None
        if total is not None:
            expected = max(0, min(file_size, total - start))
        while data:
            writer.add(data, expected)
            offset += len(data)
            if progress is not None:
                progress(offset, total)
            want = min(piece, file_size - writer.length)
            data = source.read(want) if want else b''
        compression = writer.finish(source, start)
        if compression != 'none':
            compression = stored_name
        source.seek(offset)
        stored_bytes += writer.stored
        object_sizes[name] = writer.stored
        sha256s.extend(writer.sha256s)
        objects.append({name: {'offset': start, 'length': writer.length,
                               'compression': compression,
                               'md5': writer.md5.hexdigest()}})
    common = fmt.header(spec.backup_id, spec.volume_id, spec.name,
                        spec.description, spec.created_at)
    sha_doc = dict(common, chunk_size=block_size, sha256s=sha256s)
    write_json_atomically(spec.container_path, fmt.sha256_name(spec.prefix),
                          sha_doc)
    metadata = dict(common, parent_id=spec.parent_id, objects=objects,
                    volume_meta=None)
    # NOTE: the exact stored sizes let shallow verify catch a truncated
    # compressed object without reading it; Cinder ignores the field.
    extra = fmt.extra_metadata(object_sizes)
    if extra is not None:
        metadata[fmt.EXTRA_METADATA] = extra
    write_json_atomically(spec.container_path,
                          fmt.metadata_name(spec.prefix), metadata)
    _fsync_dir(spec.container_path)
    return WriteResult(object_count=len(objects), size_bytes=offset,
                       stored_bytes=stored_bytes, sha256_count=len(sha256s))


def _remove_objects(container_path, names):
    """Remove the named objects, then the container if it is now empty."""
    for name in names:
        try:
            os.unlink(os.path.join(container_path, name))
        except FileNotFoundError:
            pass
    try:
        os.rmdir(container_path)
    except OSError:
        # NOTE: not empty (files we did not write) or already gone.
        pass


def _fsync_dir(path):
    # NOTE: makes the new names durable, so after a power loss the
    # metadata file never exists without the objects it lists.
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
