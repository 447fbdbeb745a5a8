"""Shared set-up of the posix driver tests: a DB, a repository, data."""

import datetime
import hashlib
import json
import math
import os
import random
import zlib

import fixtures
import testtools

from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup.drivers import posix
from cinder_backup_reset.backup import posix_writer
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.tests import fixtures as crb_fixtures

BLOCK = 4096
GiB = 1024 ** 3


def sample_data(size, seed=1):
    """Alternating random and compressible stretches of 4 blocks.

    With 4-block objects, odd objects do not compress (stored as none)
    and even ones do, so both kinds get written.
    """
    rng = random.Random(seed)
    parts = []
    while sum(map(len, parts)) < size:
        parts.append(rng.randbytes(4 * BLOCK))
        parts.append(bytes(rng.choices(b'abcd', k=4 * BLOCK)))
    return b''.join(parts)[:size]


class PosixTestCase(testtools.TestCase):
    """A test with a migrated DB and a temporary backup repository."""

    def setUp(self):
        super().setUp()
        self.conf_fixture = self.useFixture(crb_fixtures.ConfFixture())
        self.useFixture(crb_fixtures.Database())
        self.root = self.useFixture(fixtures.TempDir()).path
        self.conf_fixture.config(backup_posix_path=self.root,
                                 backup_sha_block_size_bytes=BLOCK,
                                 backup_file_size=4 * BLOCK)
        self.conf = self.conf_fixture.conf
        self.ctx = context.get_admin_context()
        self.driver = posix.PosixBackupDriver(self.conf)

    def make_backup(self, data, algorithm='zlib', file_size=None,
                    status='available'):
        """Write ``data`` as a backup with the writer; return the row."""
        file_size = file_size or self.conf.backup_file_size
        backup_id = db_api.backup_create(self.ctx, {
            'volume_id': 'e5a9e5e0-0d4c-4a0e-9e3e-7f8a35b3c1d2',
            'status': 'creating', 'project_id': 'p1'}).id
        stamp = datetime.datetime(2024, 5, 6, 7, 8, 9)
        volume_id = 'e5a9e5e0-0d4c-4a0e-9e3e-7f8a35b3c1d2'
        prefix = fmt.object_prefix(volume_id, backup_id, stamp)
        container = fmt.default_container(backup_id)
        spec = posix_writer.BackupSpec(
            backup_id=backup_id, volume_id=volume_id, prefix=prefix,
            container_path=posix_writer.make_container(self.root, container),
            name='bk', description='a test backup', created_at=stamp)
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'v')
        with open(path, 'wb') as f:
            f.write(data)
        with open(path, 'rb') as source:
            result = posix_writer.write_backup(
                source, spec, file_size, self.conf.backup_sha_block_size_bytes,
                algorithm, total=len(data))
        db_api.backup_conditional_update(self.ctx, backup_id, 'creating', {
            'status': status, 'service': posix.PosixBackupDriver.name,
            'service_metadata': prefix, 'container': container,
            'object_count': result.object_count,
            'size': math.ceil(len(data) / GiB)})
        return db_api.backup_get(self.ctx, backup_id)

    def container(self, backup):
        return self.driver.container_path(backup)

    def object_path(self, backup, number):
        return os.path.join(self.container(backup), fmt.object_name(
            backup.service_metadata, number))


def write_cinder_layout(directory, data, backup_id, volume_id, prefix,
                        chunk_size=BLOCK, file_size=2 * BLOCK,
                        parent_id=None, parent_data=None,
                        created_at='2023-01-02 03:04:05+00:00',
                        volume_meta=None):
    """Lay out a backup by hand as Cinder's chunked driver does.

    A full backup splits ``data`` into ``file_size`` objects; an
    incremental one (``parent_id`` and the parent's data given) writes
    only the extents of ``chunk_size`` blocks that differ from
    ``parent_data``, each as one object at its offset. ``volume_meta`` is
    the metadata's (JSON string) ``volume_meta``. Returns the number of
    objects.
    """
    os.makedirs(directory, 0o770, exist_ok=True)
    common = {'version': '1.0.0', 'backup_id': backup_id,
              'volume_id': volume_id, 'backup_name': 'nightly',
              'backup_description': None,
              'created_at': created_at}
    extents = []
    if parent_id is None:
        extents = [(offset, data[offset:offset + file_size])
                   for offset in range(0, len(data), file_size)]
    else:
        start = None
        for offset in range(0, len(data) + chunk_size, chunk_size):
            same = (offset >= len(data) or data[offset:offset + chunk_size]
                    == parent_data[offset:offset + chunk_size])
            if not same and start is None:
                start = offset
            elif same and start is not None:
                extents.append((start, data[start:offset]))
                start = None
    objects = []
    for number, (offset, chunk) in enumerate(extents, 1):
        name = '%s-%05d' % (prefix, number)
        stored, algorithm = zlib.compress(chunk), 'zlib'
        if len(stored) >= len(chunk):
            # NOTE: as Cinder does when compressing does not pay.
            stored, algorithm = chunk, 'none'
        with open(os.path.join(directory, name), 'wb') as f:
            f.write(stored)
        objects.append({name: {'offset': offset, 'length': len(chunk),
                               'compression': algorithm,
                               'md5': hashlib.md5(chunk).hexdigest()}})
    shas = dict(common, chunk_size=chunk_size, sha256s=[
        hashlib.sha256(data[i:i + chunk_size]).hexdigest()
        for i in range(0, len(data), chunk_size)])
    with open(os.path.join(directory, prefix + '_sha256file'), 'w') as f:
        json.dump(shas, f, sort_keys=True, indent=2)
    with open(os.path.join(directory, prefix + '_metadata'), 'w') as f:
        json.dump(dict(common, parent_id=parent_id, objects=objects,
                       volume_meta=volume_meta), f, sort_keys=True, indent=2)
    return len(objects)
