"""Shallow verification of a chunked backup: everything but the data.

Reads the metadata file, the head and tail of the sha256 file, and the
container's object list with their sizes, through the backup's object
store (store.py); no data object is opened, so the cost grows with the
number of objects only. Damage raises ``Damage`` with a
reason meant for an operator and the evidence gathered so far.

Object sizes are checked exactly when the writer recorded them
(``extra_metadata.object_sizes``, see format.py), and only for
plausibility otherwise (a backup written by Cinder).
"""

import json
import math
import re

from cinder_backup_reset.backup.chunked import format as fmt

GiB = 1024 ** 3
#: NOTE: below this size the sha256 file is parsed whole (and every hash
#: checked for form); above it only its head and tail are read, so the
#: check stays fast for multi-TiB volumes whose file has millions of lines.
SHA_FULL_PARSE_LIMIT = 4 * 1024 * 1024
_SHA_PROBE = 64 * 1024
_SHA_KEY = b'"sha256s": ['
#: json.dumps(indent=2) puts each hash on a line of 72 bytes:
#: '\n' + 4 spaces + '"' + 64 hex + '"' + ','
_SHA_LINE = 72
_HEX64 = re.compile(r'^[0-9a-f]{64}$')
#: NOTE: the densest each codec can possibly be: deflate emits at least a
#: bit per 258-byte match (~1032:1) and zstd at least a 3-byte header per
#: 128 KiB block. A smaller object cannot hold its data: it is truncated.
_MIN_STORED = {
    'zlib': lambda length: length // 1032,
    'zstd': lambda length: 3 * (length // (128 * 1024)),
}


class Damage(Exception):
    """The backup is incomplete or damaged; ``reason`` says how."""

    def __init__(self, reason, evidence):
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence


class Sha256Index:
    """The ``sha256s`` of a sha256 file, loaded or read on demand."""

    def __init__(self, store, container, name, count, hashes=None,
                 first=None):
        self.store = store
        self.container = container
        self.name = name
        self.count = count
        self._hashes = hashes
        self._first = first

    def get(self, start, number):
        """Hashes ``start`` .. ``start + number - 1`` (hex strings)."""
        number = max(0, min(number, self.count - start))
        if self._hashes is not None:
            return self._hashes[start:start + number]
        with self.store.open(self.container, self.name) as f:
            f.seek(self._first + start * _SHA_LINE)
            raw = f.read(number * _SHA_LINE)
        # NOTE: each line is '\n', 4 spaces, '"', 64 hex digits, '"', ','.
        return [raw[i * _SHA_LINE + 6:i * _SHA_LINE + 70].decode(
            'ascii', 'replace') for i in range(number)]


def read_sha256file(store, container, name):
    """Return ``(document without sha256s, Sha256Index)``.

    Raises fmt.FormatError if the object is not a sha256 document.
    """
    size = store.size(container, name)
    if size > SHA_FULL_PARSE_LIMIT:
        quick = _read_sha256file_quickly(store, container, name, size)
        if quick is not None:
            return quick
    document = fmt.load_object(store, container, name)
    hashes = document.pop('sha256s', None)
    if not isinstance(hashes, list) or not all(
            isinstance(h, str) and _HEX64.match(h) for h in hashes):
        raise fmt.FormatError('sha256 file has no list of sha256 hashes')
    return document, Sha256Index(store, container, name, len(hashes),
                                 hashes=hashes)


def _read_sha256file_quickly(store, container, name, size):
    """Head/tail read of a file laid out by json.dumps(indent=2).

    Returns None when the layout is another one (the caller then parses
    the whole file).
    """
    with store.open(container, name) as f:
        head = f.read(_SHA_PROBE)
        f.seek(size - _SHA_PROBE)
        tail = f.read()
    key = head.find(_SHA_KEY)
    end = tail.rfind(b']')
    if key < 0 or end < 0:
        return None
    first = key + len(_SHA_KEY)
    span = (size - len(tail) + end) - first
    if (span - 2) % _SHA_LINE or span < _SHA_LINE + 2:
        return None
    count = (span - 2) // _SHA_LINE
    index = Sha256Index(store, container, name, count, first=first)
    for sample in index.get(0, 1) + index.get(count - 1, 1):
        if not _HEX64.match(sample):
            return None
    try:
        document = json.loads((head[:key] + b'"sha256s": []'
                               + tail[end + 1:]).decode('utf-8'))
    except ValueError:
        return None
    document.pop('sha256s', None)
    return document, index


def shallow(store, backup):
    """Check everything about ``backup`` except its data.

    ``store`` is the ObjectStore (store.py) holding it, which the caller
    found available. Returns ``(evidence, entries, sha_index)`` where
    entries is the metadata's ``[(name, info)]``. Raises Damage; a
    backend error ``store.unreadable()`` names propagates.
    """
    evidence = {'level': 'shallow', 'checks': []}
    checks = evidence['checks']

    def fail(reason):
        raise Damage(reason, evidence)

    prefix = backup.service_metadata
    if not prefix:
        fail('the backup row has no object prefix (service_metadata), so '
             'no data was ever written for it')
    container = fmt.container_name(backup)
    path = store.location(container)
    evidence.update(container=path, prefix=prefix)
    # NOTE: the caller checked that the store is available, so a missing
    # container is the backup's own; any other error propagates for the
    # caller to judge.
    if not store.container_exists(container):
        fail('the container directory %s does not exist' % path)
    meta_name = fmt.metadata_name(prefix)
    sha_name = fmt.sha256_name(prefix)
    evidence.update(metadata_file=store.location(container, meta_name),
                    sha256_file=store.location(container, sha_name))
    if not store.exists(container, meta_name):
        fail('the metadata file %s is missing: the backup never finished '
             'writing (it is written last) or it was removed' % meta_name)
    if not store.exists(container, sha_name):
        fail('the sha256 file %s is missing (it is written before the '
             'metadata file, so it was removed afterwards)' % sha_name)
    try:
        metadata = fmt.load_object(store, container, meta_name)
        sha_doc, sha_index = read_sha256file(store, container, sha_name)
        entries = fmt.object_entries(metadata)
        recorded = fmt.recorded_sizes(metadata)
    except fmt.FormatError as exc:
        fail(str(exc))
    except OSError as exc:
        if store.unreadable(exc):
            raise
        fail(str(exc))
    checks.append('metadata and sha256 file parse')
    for what, doc in (('metadata', metadata), ('sha256 file', sha_doc)):
        if doc.get('version') != fmt.VERSION:
            fail('the %s has version %r; only %s is known'
                 % (what, doc.get('version'), fmt.VERSION))
        for key, expected in (('backup_id', backup.id),
                              ('volume_id', backup.volume_id)):
            if doc.get(key) != expected:
                fail('the %s belongs to %s %s, not to %s'
                     % (what, key, doc.get(key), expected))
    checks.append('version, backup_id and volume_id')

    names = [name for name, _info in entries]
    on_disk = fmt.list_objects(store, container, prefix)
    evidence.update(object_count=len(names), objects_on_disk=len(on_disk))
    if len(set(names)) != len(names):
        fail('the metadata lists an object twice')
    if sorted(names) != on_disk:
        missing = sorted(set(names) - set(on_disk))
        extra = sorted(set(on_disk) - set(names))
        evidence.update(missing_objects=missing[:10],
                        extra_objects=extra[:10])
        parts = []
        if missing:
            parts.append('%d object(s) listed in the metadata are missing '
                         '(first: %s)' % (len(missing), missing[0]))
        if extra:
            parts.append('%d object(s) in the directory are not in the '
                         'metadata (first: %s)' % (len(extra), extra[0]))
        fail('the object list does not match the metadata: '
             + '; '.join(parts))
    checks.append('directory object list equals metadata')
    if backup.object_count and backup.object_count != len(names):
        fail('the row records %d objects but the metadata lists %d'
             % (backup.object_count, len(names)))
    checks.append('object_count')

    chunk_size = sha_doc.get('chunk_size')
    if not isinstance(chunk_size, int) or chunk_size <= 0:
        fail('the sha256 file has no valid chunk_size')
    evidence.update(chunk_size=chunk_size, sha256_count=sha_index.count)
    if recorded is not None:
        _check_recorded_names(names, recorded, evidence, fail)
    stored_total = _check_object_sizes(store, container, entries, recorded,
                                       fail)
    evidence.update(stored_bytes=stored_total,
                    object_size_check='plausible' if recorded is None
                    else 'exact')
    checks.append('object sizes plausible' if recorded is None else
                  'object sizes exact (recorded by the writer)')
    volume_bytes = _check_layout(backup, entries, chunk_size, fail)
    evidence.update(data_bytes=sum(i['length'] for _n, i in entries),
                    volume_bytes=volume_bytes)
    checks.append('objects tile the volume')
    _check_coverage(backup, volume_bytes, chunk_size, sha_index.count,
                    fail)
    checks.append('sha256 list covers the volume')
    return evidence, entries, sha_index


def _check_recorded_names(names, recorded, evidence, fail):
    """The writer recorded a size for exactly the metadata's objects."""
    unrecorded = sorted(set(names) - set(recorded))
    unknown = sorted(set(recorded) - set(names))
    if not unrecorded and not unknown:
        return
    evidence.update(objects_without_size=unrecorded[:10],
                    sizes_of_unknown_objects=unknown[:10])
    parts = []
    if unrecorded:
        parts.append('%d object(s) have no recorded size (first: %s)'
                     % (len(unrecorded), unrecorded[0]))
    if unknown:
        parts.append('%d recorded size(s) are for objects not in the '
                     'object list (first: %s)' % (len(unknown), unknown[0]))
    fail('the object sizes in %s.%s do not match the metadata\'s object '
         'list: %s' % (fmt.EXTRA_METADATA, fmt.OBJECT_SIZES,
                       '; '.join(parts)))


def _check_exact_size(name, stored, expected, fail):
    if stored < expected:
        fail('object %s is truncated: it is %s on disk but the writer '
             'recorded %d bytes' % (name, '%d bytes' % stored if stored
                                    else 'empty (0 bytes)', expected))
    if stored > expected:
        fail('object %s is %d bytes on disk, more than the %d bytes the '
             'writer recorded (appended to or overwritten)'
             % (name, stored, expected))


def _check_object_sizes(store, container, entries, recorded, fail):
    """Sizes on disk: exact if ``recorded`` ({name: bytes}), else bounds.

    Returns the total stored bytes.
    """
    total = 0
    for name, info in entries:
        try:
            codec = fmt.codec_for(info['compression'])
        except fmt.FormatError as exc:
            fail('object %s: %s' % (name, exc))
        stored = store.size(container, name)
        total += stored
        if recorded is not None:
            _check_exact_size(name, stored, recorded[name], fail)
        # NOTE: the bounds below still apply with recorded sizes: they
        # also catch a metadata file whose lengths and sizes disagree.
        length = info['length']
        if length == 0:
            fail('object %s has length 0; Cinder never writes empty '
                 'objects' % name)
        if stored == 0:
            fail('object %s is empty on disk but holds %d bytes'
                 % (name, length))
        if codec == 'none' and stored != length:
            fail('object %s is stored uncompressed and should be %d bytes, '
                 'but it is %d bytes (truncated or overwritten)'
                 % (name, length, stored))
        if codec != 'none' and stored > length:
            fail('object %s is %d bytes, more than the %d bytes of data it '
                 'compresses (Cinder stores such data uncompressed)'
                 % (name, stored, length))
        least = _MIN_STORED.get(codec, lambda length: 1)(length)
        if stored < least:
            fail('object %s is %d bytes, too small for %d bytes of %s data '
                 '(truncated)' % (name, stored, length, codec))
    return total


def _check_layout(backup, entries, chunk_size, fail):
    """Offsets and lengths; returns the volume size the objects imply."""
    end = 0
    incremental = bool(backup.parent_id)
    for number, (name, info) in enumerate(entries):
        offset, length = info['offset'], info['length']
        if not incremental and offset != end:
            fail('object %s starts at byte %d but the previous objects end '
                 'at byte %d: the objects do not tile the volume'
                 % (name, offset, end))
        if offset % chunk_size:
            fail('object %s starts at byte %d, not on a %d-byte block '
                 'boundary' % (name, offset, chunk_size))
        if (not incremental and number < len(entries) - 1 and
                length % chunk_size):
            fail('object %s is %d bytes, not a whole number of %d-byte '
                 'blocks, yet it is not the last object'
                 % (name, length, chunk_size))
        end = max(end, offset + length)
    return end


def _check_coverage(backup, volume_bytes, chunk_size, count, fail):
    if not backup.parent_id:
        expected = math.ceil(volume_bytes / chunk_size)
        if count != expected:
            fail('the sha256 file has %d hashes but the %d bytes of data '
                 'need %d' % (count, volume_bytes, expected))
        if backup.size is not None and backup.size != math.ceil(
                volume_bytes / GiB):
            fail('the row says the volume is %d GiB but the objects hold '
                 '%d bytes' % (backup.size, volume_bytes))
        return
    # NOTE: an incremental's hashes cover the whole volume, as its full
    # backup's do (Cinder refuses an incremental of a grown volume); the
    # driver compares the two counts along the chain.
    if count * chunk_size < volume_bytes:
        fail('the sha256 file has %d hashes, too few for the %d bytes the '
             'objects reach' % (count, volume_bytes))
