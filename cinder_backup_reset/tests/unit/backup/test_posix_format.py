"""Format fidelity: what the writer produces is what Cinder reads/writes.

The reader here is written from the format description alone (it uses
none of the driver's modules), so a shared misunderstanding between the
writer and the verifier cannot hide.
"""

import bz2
import datetime
import hashlib
import json
import math
import os
import re
import stat
import zlib

import fixtures
import zstd

from cinder_backup_reset.backup.chunked import restore as posix_restore
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset.tests.unit.backup import posix_base

UUID_RE = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'


def independent_read(root, backup_id, volume_id):
    """Read a posix backup by the format description; return its data."""
    directory = os.path.join(root, backup_id[:2], backup_id[2:4], backup_id)
    names = os.listdir(directory)
    meta = [n for n in names if n.endswith('_metadata')]
    assert len(meta) == 1, names
    prefix = meta[0][:-len('_metadata')]
    assert re.match('^volume_%s_[0-9]{14}_backup_%s$' % (volume_id,
                                                         backup_id), prefix)
    raw_meta = open(os.path.join(directory, meta[0]), 'rb').read()
    raw_sha = open(os.path.join(directory, prefix + '_sha256file'),
                   'rb').read()
    metadata = json.loads(raw_meta)
    shas = json.loads(raw_sha)
    # Byte-exact: json.dumps(sort_keys=True, indent=2) in UTF-8.
    assert raw_meta == json.dumps(metadata, sort_keys=True,
                                  indent=2).encode('utf-8')
    assert raw_sha == json.dumps(shas, sort_keys=True,
                                 indent=2).encode('utf-8')
    # extra_metadata is optional: Cinder writes it only when its driver
    # returns some, and its posix driver's reader ignores it.
    assert set(metadata) - {'extra_metadata'} == {
        'version', 'backup_id', 'volume_id', 'backup_name',
        'backup_description', 'created_at', 'parent_id', 'objects',
        'volume_meta'}, sorted(metadata)
    assert set(shas) == {'version', 'backup_id', 'volume_id', 'backup_name',
                         'backup_description', 'created_at', 'chunk_size',
                         'sha256s'}, sorted(shas)
    assert metadata['version'] == shas['version'] == '1.0.0'
    assert metadata['backup_id'] == shas['backup_id'] == backup_id
    assert metadata['volume_id'] == shas['volume_id'] == volume_id
    data = bytearray()
    expected_names = []
    for number, item in enumerate(metadata['objects'], 1):
        (name, info), = item.items()
        assert name == '%s-%05d' % (prefix, number), name
        assert set(info) == {'offset', 'length', 'compression', 'md5'}
        expected_names.append(name)
        stored = open(os.path.join(directory, name), 'rb').read()
        decompress = {'none': bytes, 'zlib': zlib.decompress,
                      'gzip': zlib.decompress, 'bz2': bz2.decompress,
                      'bzip2': bz2.decompress,
                      'zstd': zstd.decompress}[info['compression']]
        chunk = decompress(stored)
        if info['compression'] != 'none':
            assert len(stored) < len(chunk)
        assert len(chunk) == info['length']
        assert hashlib.md5(chunk).hexdigest() == info['md5']
        assert info['offset'] == len(data)
        data += chunk
    assert sorted(expected_names) == sorted(
        n for n in names if n not in (meta[0], prefix + '_sha256file'))
    if 'extra_metadata' in metadata:
        # What we record there: the stored size of every object, and
        # nothing else; the field is left out rather than empty.
        extra = metadata['extra_metadata']
        assert set(extra) == {'object_sizes'}, extra
        assert extra['object_sizes'] == {
            n: os.path.getsize(os.path.join(directory, n))
            for n in expected_names}, extra
    size = shas['chunk_size']
    blocks = [hashlib.sha256(data[i:i + size]).hexdigest()
              for i in range(0, len(data), size)]
    assert shas['sha256s'] == blocks
    return bytes(data), metadata, shas, directory


class FormatFidelityTest(posix_base.PosixTestCase):

    def test_written_backup_reads_independently(self):
        data = posix_base.sample_data(10 * posix_base.BLOCK + 77)
        backup = self.make_backup(data)
        got, metadata, shas, directory = independent_read(
            self.root, backup.id, backup.volume_id)
        self.assertEqual(data, got)
        self.assertEqual(posix_base.BLOCK, shas['chunk_size'])
        self.assertEqual(backup.object_count, len(metadata['objects']))
        self.assertEqual(backup.service_metadata, os.path.basename(
            next(iter(metadata['objects'][0]))).rsplit('-', 1)[0])
        compressions = {next(iter(o.values()))['compression']
                        for o in metadata['objects']}
        self.assertEqual({'zlib', 'none'}, compressions)
        self.assertEqual('2024-05-06 07:08:09', metadata['created_at'])
        self.assertEqual('bk', metadata['backup_name'])
        self.assertIsNone(metadata['parent_id'])
        # independent_read checked the sizes against the files.
        self.assertEqual(backup.object_count, len(
            metadata['extra_metadata']['object_sizes']))

    def test_sizes_recorded_for_every_algorithm(self):
        data = posix_base.sample_data(6 * posix_base.BLOCK)
        for algorithm in ('none', 'zlib', 'gzip', 'bz2', 'zstd'):
            backup = self.make_backup(data, algorithm=algorithm)
            got, metadata, _shas, _dir = independent_read(
                self.root, backup.id, backup.volume_id)
            self.assertEqual(data, got)
            self.assertIn('extra_metadata', metadata)

    def test_modes(self):
        backup = self.make_backup(posix_base.sample_data(9000))
        directory = self.container(backup)
        for path in (directory, os.path.dirname(directory),
                     os.path.dirname(os.path.dirname(directory))):
            self.assertEqual(0o770, stat.S_IMODE(os.stat(path).st_mode),
                             path)
        for name in os.listdir(directory):
            self.assertEqual(0o660, stat.S_IMODE(
                os.stat(os.path.join(directory, name)).st_mode), name)

    def test_sha256file_written_before_metadata(self):
        backup = self.make_backup(posix_base.sample_data(9000))
        directory = self.container(backup)
        prefix = backup.service_metadata
        sha = os.stat(os.path.join(directory, prefix + '_sha256file'))
        meta = os.stat(os.path.join(directory, prefix + '_metadata'))
        self.assertLessEqual(sha.st_mtime_ns, meta.st_mtime_ns)


class CinderLayoutTest(posix_base.PosixTestCase):
    """A backup laid out by hand exactly as Cinder's NFS driver does."""

    SHARE = '192.0.2.10:/srv/cinder-backups'

    def setUp(self):
        super().setUp()
        self.mount_base = self.useFixture(fixtures.TempDir()).path
        self.conf_fixture.config(backup_share=self.SHARE,
                                 backup_mount_point_base=self.mount_base)
        # NOTE: the share's mount point is a plain directory here; the
        # interop tests mount a real file system there.
        self.ismount = self.useFixture(fixtures.MockPatch(
            'os.path.ismount', return_value=True)).mock

    def build(self, data, chunk_size=4096, file_size=8192):
        backup_id = '9f3c2a61-57d1-4b9e-8a0f-2b1d8c7e6a54'
        volume_id = '0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e'
        stamp = datetime.datetime(2023, 1, 2, 3, 4, 5)
        prefix = 'volume_%s_%s_backup_%s' % (
            volume_id, stamp.strftime('%Y%m%d%H%M%S'), backup_id)
        container = '%s/%s/%s' % (backup_id[0:2], backup_id[2:4], backup_id)
        # NOTE: where os-brick mounts the share for Cinder's NFS driver.
        directory = os.path.join(
            self.mount_base,
            hashlib.md5(self.SHARE.encode()).hexdigest(), container)
        volume_meta = json.dumps({'version': 2, 'volume-base-metadata': {
            'display_name': 'vol1'}})
        count = posix_base.write_cinder_layout(
            directory, data, backup_id, volume_id, prefix,
            chunk_size=chunk_size, file_size=file_size,
            created_at=str(stamp) + '+00:00', volume_meta=volume_meta)
        return db_api.backup_create(self.ctx, {
            'id': backup_id, 'volume_id': volume_id, 'status': 'error',
            'service': 'cinder.backup.drivers.nfs.NFSBackupDriver',
            'service_metadata': prefix, 'container': container,
            'size': math.ceil(len(data) / posix_base.GiB),
            'object_count': count, 'project_id': 'p1'})

    def test_cinder_nfs_backup_verifies_shallow_and_deep(self):
        data = posix_base.sample_data(5 * 8192)
        backup = self.build(data)
        self.assertTrue(self.driver.owns(backup.service))
        self.assertTrue(self.driver.owns('cinder.backup.drivers.nfs'))
        result = self.driver.verify(self.ctx, backup)
        self.assertEqual('shallow', result.level)
        self.assertEqual(5, result.evidence['object_count'])
        # Cinder records no object sizes: they are only bounded.
        self.assertEqual('plausible', result.evidence['object_size_check'])
        self.assertIn('object sizes plausible', result.evidence['checks'])
        result = self.driver.verify(self.ctx, backup, deep=True)
        self.assertEqual('deep', result.level)
        self.assertEqual(len(data), result.evidence['bytes_verified'])
        self.assertEqual(10, result.evidence['blocks_verified'])
        json.dumps(result.evidence)

    def test_nfs_backup_without_backup_share_is_unavailable(self):
        backup = self.build(posix_base.sample_data(8192))
        self.conf_fixture.config(backup_share=None)
        exc = self.assertRaises(exception.BackupBackendUnavailable,
                                self.driver.verify, self.ctx, backup)
        self.assertIn('backup_share is not set', str(exc))
        self.assertEqual(503, exc.code)

    def test_nfs_share_not_mounted_is_unavailable(self):
        backup = self.build(posix_base.sample_data(8192))
        self.ismount.return_value = False
        exc = self.assertRaises(exception.BackupBackendUnavailable,
                                self.driver.verify, self.ctx, backup)
        self.assertIn('the NFS share %s is not mounted on %s/%s' % (
            self.SHARE, self.mount_base,
            hashlib.md5(self.SHARE.encode()).hexdigest()), str(exc))

    def test_posix_backups_stay_under_backup_posix_path(self):
        backup = self.make_backup(posix_base.sample_data(8192))
        self.assertTrue(self.container(backup).startswith(self.root + '/'))

    def test_cinder_truncated_compressed_object_caught_deep(self):
        # Without recorded sizes a half-length zlib object looks plausible
        # to shallow verify; deep verify still finds it.
        backup = self.build(posix_base.sample_data(5 * 8192))
        with open(os.path.join(self.container(backup),
                               backup.service_metadata + '_metadata')) as f:
            metadata = json.load(f)
        self.assertNotIn('extra_metadata', metadata)
        name = next(n for o in metadata['objects'] for n, i in o.items()
                    if i['compression'] == 'zlib')
        path = os.path.join(self.container(backup), name)
        os.truncate(path, os.path.getsize(path) // 2)
        self.driver.verify(self.ctx, backup)
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, self.ctx, backup,
                                deep=True)
        self.assertIn(name, exc.reason)
        self.assertIn('first bad block', exc.reason)

    def test_cinder_backup_restores(self):
        data = posix_base.sample_data(3 * 8192 + 100)
        backup = self.build(data)
        target = os.path.join(self.useFixture(fixtures.TempDir()).path, 't')
        fd = os.open(target, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, fd)
        posix_restore.restore_backup(self.driver.store_for(backup),
                                     self.container(backup),
                                     backup.service_metadata, backup.id, fd)
        with open(target, 'rb') as f:
            self.assertEqual(data, f.read())

    def test_unknown_version_refused(self):
        backup = self.build(posix_base.sample_data(8192))
        path = os.path.join(self.container(backup),
                            backup.service_metadata + '_metadata')
        doc = json.load(open(path))
        doc['version'] = '2.0.0'
        with open(path, 'w') as f:
            json.dump(doc, f)
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, self.ctx, backup)
        self.assertIn("version '2.0.0'", exc.reason)
