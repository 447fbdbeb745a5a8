"""Cinder's chunked backup format: names, modes and JSON documents.

Cinder's chunked drivers (posix, NFS, S3, Swift, GCS) share it. A backup
lives in a container (for posix ``<backup_posix_path>/<container>``), which
is ``<id[0:2]>/<id[2:4]>/<id>`` unless the row names another. Its objects
all start with the object prefix kept in ``backups.service_metadata``:

* ``<prefix>-00001``, ``<prefix>-00002``, ...: the data objects;
* ``<prefix>_sha256file``: ``chunk_size`` and the sha256 of every block;
* ``<prefix>_metadata``: the object list, written last.

Our writer also records, in the metadata's optional ``extra_metadata``
field, the stored (on-disk) size of every object::

    "extra_metadata": {"object_sizes": {"<object name>": <bytes>, ...}}

Cinder writes ``extra_metadata`` only when its driver returns some (its
posix and NFS drivers never do) and hands it, on restore, to the driver's
object reader, which for posix ignores it; so such a backup stays
restorable by Cinder, and a backup written by Cinder simply has no sizes.

This module only knows names and the two JSON documents; reading data
objects lives in codec.py and the chunked layer (over store.py), writing
them in backup/posix_writer.py.
"""

import json
import os

#: the only metadata version Cinder (and we) can restore
VERSION = '1.0.0'
#: NOTE: Cinder's posix driver writes objects 0660 and directories 0770 so
#: that every member of the backup group (NFS shares) can read them.
FILE_MODE = 0o660
DIR_MODE = 0o770

METADATA_SUFFIX = '_metadata'
SHA256_SUFFIX = '_sha256file'
EXTRA_METADATA = 'extra_metadata'
OBJECT_SIZES = 'object_sizes'

#: configuration value -> the name stored in each object's ``compression``
_ALGORITHMS = {
    'none': 'none', 'off': 'none', 'no': 'none',
    'zlib': 'zlib', 'gzip': 'gzip',
    'bz2': 'bz2', 'bzip2': 'bzip2',
    'zstd': 'zstd',
}
#: stored name -> codec actually used ("gzip" is zlib data in Cinder)
_CODECS = {'none': 'none', 'zlib': 'zlib', 'gzip': 'zlib', 'bz2': 'bz2',
           'bzip2': 'bz2', 'zstd': 'zstd'}


class FormatError(ValueError):
    """A file of the backup does not follow the format."""


def default_container(backup_id):
    """The container Cinder's posix driver picks: ``ab/cd/<id>``."""
    return '%s/%s/%s' % (backup_id[0:2], backup_id[2:4], backup_id)


def container_name(backup):
    """The container of ``backup``: the row's, else the default."""
    return backup.container or default_container(backup.id)


def object_prefix(volume_id, backup_id, timestamp):
    """``volume_<volume_id>_<UTC YYYYmmddHHMMSS>_backup_<backup_id>``."""
    return 'volume_%s_%s_backup_%s' % (
        volume_id, timestamp.strftime('%Y%m%d%H%M%S'), backup_id)


def object_name(prefix, number):
    """Name of data object ``number`` (1-based): ``<prefix>-00001``."""
    return '%s-%05d' % (prefix, number)


def metadata_name(prefix):
    return prefix + METADATA_SUFFIX


def sha256_name(prefix):
    return prefix + SHA256_SUFFIX


def stored_compression(conf_value):
    """The ``compression`` value Cinder stores for a config value.

    Cinder stores the lower-cased option value, except that every way of
    saying "no compression" is stored as ``none``.
    """
    try:
        return _ALGORITHMS[(conf_value or 'none').lower()]
    except KeyError:
        raise FormatError('unknown compression algorithm %r' % conf_value)


def codec_for(stored):
    """The codec (none, zlib, bz2, zstd) that reads a stored value."""
    try:
        return _CODECS[stored.lower()]
    except (KeyError, AttributeError):
        raise FormatError('unknown compression %r' % (stored,))


def dumps(document):
    """Serialise a metadata or sha256 document exactly as Cinder does."""
    return json.dumps(document, sort_keys=True, indent=2).encode('utf-8')


def load(path):
    """Read and parse one JSON document; FormatError if it is not one."""
    with open(path, 'rb') as f:
        raw = f.read()
    return loads(raw, os.path.basename(path))


def load_object(store, container, name):
    """Read and parse one JSON object of a store (chunked/store.py).

    :raises FormatError: it is not a JSON object.
    """
    with store.open(container, name) as f:
        raw = f.read()
    return loads(raw, name)


def loads(raw, name):
    """Parse one JSON document (bytes) named ``name``; FormatError."""
    try:
        document = json.loads(raw.decode('utf-8'))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormatError('%s is not valid JSON (%s)' % (name, exc))
    if not isinstance(document, dict):
        raise FormatError('%s is not a JSON object' % name)
    return document


def header(backup_id, volume_id, name, description, created_at):
    """The fields the metadata and the sha256 file share."""
    return {
        'version': VERSION,
        'backup_id': backup_id,
        'volume_id': volume_id,
        'backup_name': name,
        'backup_description': description,
        'created_at': None if created_at is None else str(created_at),
    }


def object_entries(metadata):
    """``[(name, {offset, length, compression, md5}), ...]`` in order.

    Raises FormatError when ``objects`` is not the list of one-key dicts
    Cinder writes, or an entry lacks a field.
    """
    objects = metadata.get('objects')
    if not isinstance(objects, list):
        raise FormatError('metadata has no "objects" list')
    entries = []
    for item in objects:
        if not isinstance(item, dict) or len(item) != 1:
            raise FormatError('metadata object entry %r is not a one-key '
                              'object' % (item,))
        name, info = next(iter(item.items()))
        if not isinstance(info, dict):
            raise FormatError('metadata entry of %s is not an object' % name)
        for key, kind in (('offset', int), ('length', int),
                          ('compression', str), ('md5', str)):
            value = info.get(key)
            if not isinstance(value, kind) or isinstance(value, bool):
                raise FormatError('metadata entry of %s has no valid "%s"'
                                  % (name, key))
        if info['offset'] < 0 or info['length'] < 0:
            raise FormatError('metadata entry of %s has a negative offset '
                              'or length' % name)
        entries.append((name, info))
    return entries


def extra_metadata(object_sizes):
    """The ``extra_metadata`` value recording ``{name: stored bytes}``.

    None when there is nothing to record: like Cinder, the field is then
    left out of the metadata.
    """
    if not object_sizes:
        return None
    return {OBJECT_SIZES: dict(object_sizes)}


def recorded_sizes(metadata):
    """``{name: stored bytes}`` recorded by our writer, or None.

    None when the metadata has no ``extra_metadata.object_sizes`` (a
    backup written by Cinder). Raises FormatError when the sizes are
    there but are not a mapping of names to non-negative integers.
    """
    extra = metadata.get(EXTRA_METADATA)
    if extra is None:
        return None
    if not isinstance(extra, dict):
        raise FormatError('metadata "%s" is not an object' % EXTRA_METADATA)
    # NOTE: another driver could one day record something else here;
    # only our key means anything to us.
    sizes = extra.get(OBJECT_SIZES)
    if sizes is None:
        return None
    if not isinstance(sizes, dict) or not all(
            isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for v in sizes.values()):
        raise FormatError('metadata "%s.%s" is not an object of object '
                          'names and sizes in bytes'
                          % (EXTRA_METADATA, OBJECT_SIZES))
    return sizes


def list_objects(store, container, prefix):
    """Names of the data objects in the container, sorted.

    Like Cinder's ``get_container_entries`` this is every name starting
    with the prefix, less the metadata and sha256 files.
    """
    special = (metadata_name(prefix), sha256_name(prefix))
    return sorted(name for name in store.list(container)
                  if name.startswith(prefix) and name not in special)
