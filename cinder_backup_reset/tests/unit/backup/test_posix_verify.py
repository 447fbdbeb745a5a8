"""Every kind of damage is caught by deep verify; most by shallow too.

Shallow verify misses a flipped byte, and in a backup written by Cinder
(which records no object sizes) a truncated compressed object whose size
stays plausible.
"""

import json
import os
import shutil
import time
from unittest import mock

from cinder_backup_reset.backup.chunked import deep as posix_deep
from cinder_backup_reset.backup.chunked import shallow as posix_verify
from cinder_backup_reset import exception
from cinder_backup_reset.tests.unit.backup import posix_base

SIZE = 6 * 4 * posix_base.BLOCK + 1000   # 7 objects, the last one short


class VerifyTest(posix_base.PosixTestCase):

    def setUp(self):
        super().setUp()
        self.data = posix_base.sample_data(SIZE)

    def backup(self, algorithm='none'):
        return self.make_backup(self.data, algorithm=algorithm)

    def assertCaught(self, backup, deep, *words):
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, self.ctx, backup,
                                deep=deep)
        for word in words:
            self.assertIn(word, exc.reason)
        self.assertEqual(backup.id, exc.kwargs['backup_id'])
        json.dumps(exc.evidence)
        return exc

    def assertBothCatch(self, backup, *words):
        self.assertCaught(backup, False, *words)
        self.assertCaught(backup, True, *words)

    def test_sound_backup_passes_both(self):
        for algorithm in ('none', 'zlib', 'bz2', 'zstd'):
            backup = self.backup(algorithm)
            shallow = self.driver.verify(self.ctx, backup)
            deep = self.driver.verify(self.ctx, backup, deep=True)
            self.assertEqual('shallow', shallow.level)
            self.assertEqual('deep', deep.level)
            self.assertEqual(7, deep.evidence['objects_verified'])
            self.assertEqual(SIZE, deep.evidence['bytes_verified'])
            json.dumps(deep.evidence)

    def test_missing_chunk(self):
        backup = self.backup('zlib')
        os.unlink(self.object_path(backup, 3))
        self.assertBothCatch(backup, 'missing', '-00003')

    def test_truncated_uncompressed_chunk(self):
        backup = self.backup('none')
        os.truncate(self.object_path(backup, 2), 1000)
        self.assertBothCatch(backup, '-00002', 'truncated')

    def metadata_path(self, backup):
        return os.path.join(self.container(backup),
                            backup.service_metadata + '_metadata')

    def edit_metadata(self, backup, edit):
        """Rewrite the metadata file (Cinder's JSON style) after edit()."""
        path = self.metadata_path(backup)
        with open(path) as f:
            doc = json.load(f)
        edit(doc)
        with open(path, 'w') as f:
            json.dump(doc, f, sort_keys=True, indent=2)

    def forget_sizes(self, backup):
        """Make the backup look written by Cinder: no extra_metadata."""
        self.edit_metadata(backup, lambda doc: doc.pop('extra_metadata'))

    def test_truncated_compressed_chunk(self):
        # NOTE: object 2 holds compressible data, so it is stored
        # compressed with every algorithm; half of it keeps a plausible
        # size, so only the size the writer recorded can tell.
        for algorithm in ('zlib', 'bz2', 'zstd'):
            backup = self.backup(algorithm)
            path = self.object_path(backup, 2)
            size = os.path.getsize(path)
            os.truncate(path, size // 2)
            exc = self.assertCaught(backup, False, '-00002', 'truncated',
                                    '%d bytes on disk' % (size // 2),
                                    'recorded %d bytes' % size)
            self.assertEqual('shallow', exc.evidence['level'])
            self.assertCaught(backup, True, '-00002', 'truncated')

    def test_truncated_compressed_chunk_written_by_cinder(self):
        # A backup written by Cinder records no sizes: shallow verify can
        # only bound them, so a plausible truncation is left to deep
        # verify, which names the first bad block.
        for algorithm in ('zlib', 'bz2', 'zstd'):
            backup = self.backup(algorithm)
            self.forget_sizes(backup)
            path = self.object_path(backup, 2)
            os.truncate(path, os.path.getsize(path) // 2)
            result = self.driver.verify(self.ctx, backup)
            self.assertEqual('plausible', result.evidence['object_size_check'])
            exc = self.assertCaught(backup, True, '-00002',
                                    'first bad block')
            self.assertIn(exc.evidence['first_bad_block'], range(4, 8))
            # Truncations no data could explain are still caught.
            os.truncate(path, 0)
            self.assertCaught(backup, False, '-00002', 'empty')

    def test_evidence_says_how_sizes_were_checked(self):
        backup = self.backup('zlib')
        evidence = self.driver.verify(self.ctx, backup).evidence
        self.assertEqual('exact', evidence['object_size_check'])
        self.assertIn('object sizes exact (recorded by the writer)',
                      evidence['checks'])
        self.forget_sizes(backup)
        evidence = self.driver.verify(self.ctx, backup, deep=True).evidence
        self.assertEqual('plausible', evidence['object_size_check'])
        self.assertIn('object sizes plausible', evidence['checks'])
        self.assertEqual('deep', evidence['level'])

    def sizes(self, backup):
        with open(self.metadata_path(backup)) as f:
            return json.load(f)['extra_metadata']['object_sizes']

    def test_recorded_size_wrong(self):
        backup = self.backup('zlib')
        name = self.object_name(backup, 4)
        size = self.sizes(backup)[name]
        self.edit_metadata(backup, lambda doc: doc['extra_metadata'][
            'object_sizes'].update({name: size + 1}))
        self.assertBothCatch(backup, name, 'truncated',
                             'recorded %d bytes' % (size + 1))
        self.edit_metadata(backup, lambda doc: doc['extra_metadata'][
            'object_sizes'].update({name: size - 1}))
        self.assertBothCatch(backup, name, '%d bytes on disk' % size,
                             'more than the %d bytes' % (size - 1))

    def test_recorded_size_missing(self):
        backup = self.backup('zlib')
        name = self.object_name(backup, 5)
        self.edit_metadata(backup, lambda doc: doc['extra_metadata'][
            'object_sizes'].pop(name))
        exc = self.assertCaught(backup, False, 'object_sizes',
                                'no recorded size', name)
        self.assertEqual([name], exc.evidence['objects_without_size'])

    def test_recorded_size_for_unknown_object(self):
        backup = self.backup('zlib')
        name = self.object_name(backup, 8)
        self.edit_metadata(backup, lambda doc: doc['extra_metadata'][
            'object_sizes'].update({name: 10}))
        exc = self.assertCaught(backup, False, 'object_sizes',
                                'not in the object list', name)
        self.assertEqual([name], exc.evidence['sizes_of_unknown_objects'])

    def test_recorded_sizes_malformed(self):
        for bad in ([], {'x': -1}, {'x': '12'}, {'x': True}):
            backup = self.backup('zlib')
            self.edit_metadata(backup, lambda doc: doc['extra_metadata']
                               .update(object_sizes=bad))
            self.assertCaught(backup, False, 'object_sizes',
                              'is not an object')
        backup = self.backup('zlib')
        self.edit_metadata(backup, lambda doc: doc.update(extra_metadata=3))
        self.assertCaught(backup, False, 'extra_metadata')

    def test_other_extra_metadata_is_ignored(self):
        # Only our key means anything; without it sizes are bounded.
        backup = self.backup('zlib')
        self.edit_metadata(backup, lambda doc: doc.update(
            extra_metadata={'other': 1}))
        evidence = self.driver.verify(self.ctx, backup, deep=True).evidence
        self.assertEqual('plausible', evidence['object_size_check'])

    def object_name(self, backup, number):
        return os.path.basename(self.object_path(backup, number))

    def test_flipped_byte_only_deep(self):
        for algorithm, number in (('none', 3), ('zlib', 4)):
            backup = self.backup(algorithm)
            path = self.object_path(backup, number)
            with open(path, 'r+b') as f:
                f.seek(200)
                byte = f.read(1)
                f.seek(200)
                f.write(bytes([byte[0] ^ 0x01]))
            self.driver.verify(self.ctx, backup)
            exc = self.assertCaught(backup, True, '-%05d' % number,
                                    'first bad block')
            first = (number - 1) * 4
            self.assertIn(exc.evidence['first_bad_block'],
                          range(first, first + 4))

    def test_flipped_byte_reports_exact_block(self):
        backup = self.backup('none')
        path = self.object_path(backup, 2)
        with open(path, 'r+b') as f:
            f.seek(2 * posix_base.BLOCK + 5)
            f.write(b'\xff\xfe')
        exc = self.assertCaught(backup, True, 'first bad block 6')
        self.assertIn('md5', exc.reason)
        self.assertEqual(6, exc.evidence['first_bad_block'])

    def test_missing_metadata(self):
        backup = self.backup()
        os.unlink(os.path.join(self.container(backup),
                               backup.service_metadata + '_metadata'))
        self.assertBothCatch(backup, 'metadata file', 'missing')

    def test_missing_sha256file(self):
        backup = self.backup()
        os.unlink(os.path.join(self.container(backup),
                               backup.service_metadata + '_sha256file'))
        self.assertBothCatch(backup, 'sha256 file', 'missing')

    def test_extra_object(self):
        backup = self.backup()
        shutil.copy(self.object_path(backup, 1), self.object_path(backup, 8))
        self.assertBothCatch(backup, 'not in the metadata', '-00008')

    def test_wrong_backup_id(self):
        backup = self.backup()
        path = os.path.join(self.container(backup),
                            backup.service_metadata + '_metadata')
        doc = json.load(open(path))
        doc['backup_id'] = '00000000-0000-0000-0000-000000000000'
        with open(path, 'w') as f:
            json.dump(doc, f, indent=2, sort_keys=True)
        self.assertBothCatch(backup, 'backup_id', backup.id)

    def test_wrong_volume_id_in_sha256file(self):
        backup = self.backup()
        path = os.path.join(self.container(backup),
                            backup.service_metadata + '_sha256file')
        doc = json.load(open(path))
        doc['volume_id'] = 'other'
        with open(path, 'w') as f:
            json.dump(doc, f)
        self.assertBothCatch(backup, 'sha256 file', 'volume_id')

    def test_missing_container(self):
        backup = self.backup()
        shutil.rmtree(self.container(backup))
        self.assertBothCatch(backup, 'does not exist')

    def test_no_prefix_recorded(self):
        backup = self.backup()
        backup.service_metadata = None
        self.assertBothCatch(backup, 'service_metadata')

    def test_object_count_mismatch(self):
        backup = self.backup()
        backup.object_count = 3
        self.assertBothCatch(backup, 'records 3 objects')

    def test_zero_object_count_in_row_is_not_checked(self):
        backup = self.backup()
        backup.object_count = 0
        self.driver.verify(self.ctx, backup)

    def test_sha256_list_short(self):
        backup = self.backup()
        path = os.path.join(self.container(backup),
                            backup.service_metadata + '_sha256file')
        doc = json.load(open(path))
        doc['sha256s'].pop()
        with open(path, 'w') as f:
            json.dump(doc, f)
        self.assertBothCatch(backup, 'need 25')

    def test_size_mismatch(self):
        backup = self.backup()
        backup.size = 2
        self.assertBothCatch(backup, '2 GiB')

    def test_gap_between_objects(self):
        backup = self.backup()
        path = os.path.join(self.container(backup),
                            backup.service_metadata + '_metadata')
        doc = json.load(open(path))
        info = next(iter(doc['objects'][3].values()))
        info['offset'] += posix_base.BLOCK
        with open(path, 'w') as f:
            json.dump(doc, f)
        self.assertBothCatch(backup, 'do not tile')

    def test_compressed_larger_than_data(self):
        backup = self.backup('zlib')
        path = os.path.join(self.container(backup),
                            backup.service_metadata + '_metadata')
        doc = json.load(open(path))
        name, info = next((n, i) for o in doc['objects']
                          for n, i in o.items() if i['compression'] == 'zlib')
        with open(os.path.join(self.container(backup), name), 'ab') as f:
            f.write(b'\0' * info['length'])
        self.assertBothCatch(backup, name, 'more than')

    def test_first_bad_object_reported_with_parallel_workers(self):
        backup = self.backup('zlib')
        for number in (6, 3):
            with open(self.object_path(backup, number), 'r+b') as f:
                f.write(b'\0\0\0\0')
        for workers in (1, 2, 4):
            exc = self.assertRaises(
                exception.BackupVerifyFailed, self.driver.verify, self.ctx,
                backup, deep=True, workers=workers)
            self.assertIn('-00003', exc.reason)

    def test_deep_progress(self):
        backup = self.backup('zlib')
        calls = []
        self.driver.verify(self.ctx, backup, deep=True,
                           progress=lambda d, t: calls.append((d, t)))
        self.assertEqual((SIZE, SIZE), max(calls))

    def test_deep_pipeline_small_pieces(self):
        # Pieces smaller than, and not aligned with, a block exercise the
        # hashing stage's carry-over.
        backup = self.backup('zlib')
        self.useFixture_patch(posix_deep, 'OUT_SIZE', 1000)
        self.useFixture_patch(posix_deep, 'READ_SIZE', 333)
        result = self.driver.verify(self.ctx, backup, deep=True)
        self.assertEqual(25, result.evidence['blocks_verified'])

    def useFixture_patch(self, obj, name, value):
        patcher = mock.patch.object(obj, name, value)
        patcher.start()
        self.addCleanup(patcher.stop)


class ShallowCostTest(posix_base.PosixTestCase):
    """Shallow verify never opens a data object."""

    def test_no_object_opened(self):
        backup = self.make_backup(posix_base.sample_data(SIZE))
        real_open = open
        opened = []

        def spy(path, *args, **kwargs):
            opened.append(os.path.basename(path))
            return real_open(path, *args, **kwargs)

        with mock.patch('builtins.open', spy):
            self.driver.verify(self.ctx, backup)
        self.assertEqual(sorted([backup.service_metadata + '_metadata',
                                 backup.service_metadata + '_sha256file']),
                         sorted(opened))

    def test_large_sha256file_read_by_head_and_tail(self):
        self.useFixture_limit()
        data = posix_base.sample_data(SIZE)
        backup = self.make_backup(data)
        evidence, _entries, index = posix_verify.shallow(
            self.driver.store_for(backup), backup)
        self.assertIsNone(index._hashes)
        self.assertEqual(25, index.count)
        full = json.load(open(os.path.join(
            self.container(backup),
            backup.service_metadata + '_sha256file')))['sha256s']
        self.assertEqual(full[3:7], index.get(3, 4))
        self.driver.verify(self.ctx, backup, deep=True)
        started = time.monotonic()
        self.driver.verify(self.ctx, backup)
        self.assertLess(time.monotonic() - started, 1)

    def useFixture_limit(self):
        patcher = mock.patch.object(posix_verify, 'SHA_FULL_PARSE_LIMIT', 10)
        patcher.start()
        self.addCleanup(patcher.stop)
        patcher = mock.patch.object(posix_verify, '_SHA_PROBE', 300)
        patcher.start()
        self.addCleanup(patcher.stop)
