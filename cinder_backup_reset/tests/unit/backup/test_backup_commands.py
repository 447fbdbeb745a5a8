"""``cinder-backup-reset-manage backup ...``: create, restore, verify, list."""

import io
import math
import os
import types

import fixtures

from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup.chunked import restore as posix_restore
from cinder_backup_reset.backup import posix_writer
from cinder_backup_reset.cmd import backup_commands
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset.tests.unit.backup import posix_base

ALGORITHMS = ('none', 'off', 'no', 'zlib', 'gzip', 'bz2', 'bzip2', 'zstd')


class CommandsTest(posix_base.PosixTestCase):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(
            backup_commands.service, 'init_database'))
        self.stdout = self.useFixture(fixtures.MockPatch(
            'sys.stdout', io.StringIO())).mock
        self.stderr = self.useFixture(fixtures.MockPatch(
            'sys.stderr', io.StringIO())).mock
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.data = posix_base.sample_data(9 * posix_base.BLOCK + 5)
        self.volume = os.path.join(self.tmp, 'volume')
        with open(self.volume, 'wb') as f:
            f.write(self.data)

    def create(self, **kwargs):
        args = types.SimpleNamespace(volume_file=self.volume,
                                     project_id='p1', volume_id=None,
                                     backup_name='nightly')
        for key, value in kwargs.items():
            setattr(args, key, value)
        return backup_commands.create(args)

    def only_backup(self):
        rows = db_api.backup_get_all(self.ctx, all_projects=True)
        self.assertEqual(1, len(rows))
        return rows[0]

    def restore(self, backup_id, target):
        return backup_commands.restore(types.SimpleNamespace(
            backup=backup_id, volume_file=target))

    def test_create_restore_bytes_equal(self):
        self.assertEqual(0, self.create(volume_id='v-1'))
        backup = self.only_backup()
        self.assertEqual('available', backup.status)
        self.assertEqual(self.driver.name, backup.service)
        self.assertEqual(3, backup.object_count)
        self.assertEqual(1, backup.size)
        self.assertEqual('v-1', backup.volume_id)
        self.assertEqual('nightly', backup.display_name)
        self.assertEqual(fmt.default_container(backup.id), backup.container)
        self.assertTrue(backup.service_metadata.startswith('volume_v-1_'))
        target = os.path.join(self.tmp, 'restored')
        self.assertEqual(0, self.restore(backup.id, target))
        with open(target, 'rb') as f:
            self.assertEqual(self.data, f.read())
        self.assertEqual('available', self.only_backup().status)

    def test_every_algorithm_round_trips(self):
        for algorithm in ALGORITHMS:
            self.conf_fixture.config(backup_compression_algorithm=algorithm)
            backup = self.make_backup(self.data, algorithm=algorithm)
            stored = {next(iter(o.values()))['compression'] for o in
                      fmt.load(os.path.join(
                          self.container(backup), backup.service_metadata +
                          '_metadata'))['objects']}
            expected = fmt.stored_compression(algorithm)
            self.assertIn(expected, stored, algorithm)
            # the random objects do not compress: Cinder stores them as none
            self.assertIn('none', stored, algorithm)
            target = os.path.join(self.tmp, algorithm)
            self.assertEqual(0, self.restore(backup.id, target), algorithm)
            with open(target, 'rb') as f:
                self.assertEqual(self.data, f.read(), algorithm)
            self.driver.verify(self.ctx, backup, deep=True)

    def test_simulate_crash_leaves_a_whole_backup_creating(self):
        self.assertEqual(0, self.create(simulate_crash=True))
        backup = self.only_backup()
        self.assertEqual('creating', backup.status)
        self.assertIn('stays "creating"', self.stdout.getvalue())
        # The data is whole: the verification a reset runs passes.
        self.driver.verify(self.ctx, backup, deep=True)

    def test_file_size_must_be_multiple_of_block(self):
        self.conf_fixture.config(backup_file_size=4 * posix_base.BLOCK + 1)
        self.assertEqual(1, self.create())
        self.assertIn('multiple', self.stderr.getvalue())
        self.assertEqual([], db_api.backup_get_all(self.ctx,
                                                   all_projects=True))

    def test_create_stops_when_reset_meanwhile(self):
        real = posix_writer.write_backup

        def reset_then_write(*args, **kwargs):
            backup = self.only_backup()
            db_api.backup_conditional_update(self.ctx, backup.id, 'creating',
                                             {'status': 'error'})
            return real(*args, **kwargs)

        self.useFixture(fixtures.MockPatchObject(
            posix_writer, 'write_backup', reset_then_write))
        self.assertEqual(1, self.create())
        self.assertIn('no longer "creating"', self.stderr.getvalue())
        self.assertEqual('error', self.only_backup().status)

    def test_create_cas_loses_to_reset_after_last_object(self):
        real = posix_writer.write_backup

        def write_then_reset(*args, **kwargs):
            result = real(*args, **kwargs)
            db_api.backup_conditional_update(
                self.ctx, self.only_backup().id, 'creating',
                {'status': 'error', 'fail_reason': 'admin'})
            return result

        self.useFixture(fixtures.MockPatchObject(
            posix_writer, 'write_backup', write_then_reset))
        self.assertEqual(1, self.create())
        self.assertIn('not marked available', self.stderr.getvalue())
        self.assertEqual('error', self.only_backup().status)

    def test_restore_cancelled_when_status_changes(self):
        self.assertEqual(0, self.create())
        backup = self.only_backup()
        real = posix_restore._restore_object
        calls = []

        def restore_then_reset(*args):
            calls.append(args)
            if len(calls) == 1:
                db_api.backup_conditional_update(
                    self.ctx, backup.id, 'restoring', {'status': 'error'})
            return real(*args)

        self.useFixture(fixtures.MockPatchObject(
            posix_restore, '_restore_object', restore_then_reset))
        self.assertEqual(1, self.restore(backup.id,
                                         os.path.join(self.tmp, 'r')))
        self.assertEqual(1, len(calls))
        self.assertIn('cancelled', self.stderr.getvalue())
        # Cinder's behaviour: a cancelled restore leaves the backup
        # available, whatever status cancelled it; the history says so.
        self.assertEqual('available', self.only_backup().status)
        self.assertIsNone(self.only_backup().fail_reason)
        history = db_api.status_history_get(self.ctx, backup.id)
        self.assertEqual([('error', 'available')],
                         [(h['from_status'], h['to_status'])
                          for h in history])
        self.assertIn('restore cancelled', history[0]['reason'])

    def test_create_cancelled_part_way_leaves_no_objects(self):
        self.conf_fixture.config(backup_file_size=4 * posix_base.BLOCK)
        real = posix_writer._ObjectWriter.finish
        finished = []

        def finish_then_reset(writer, *args):
            stored_as = real(writer, *args)
            finished.append(writer.path)
            if len(finished) == 1:
                db_api.backup_conditional_update(
                    self.ctx, self.only_backup().id, 'creating',
                    {'status': 'error', 'fail_reason': 'admin'})
            return stored_as

        self.useFixture(fixtures.MockPatchObject(
            posix_writer._ObjectWriter, 'finish', finish_then_reset))
        self.assertEqual(1, self.create())
        self.assertIn('removed the objects written so far',
                      self.stderr.getvalue())
        backup = self.only_backup()
        self.assertEqual('error', backup.status)
        self.assertEqual(1, len(finished))
        self.assertFalse(os.path.exists(finished[0]))
        self.assertFalse(os.path.exists(self.container(backup)))

    def test_restore_needs_available(self):
        backup = self.make_backup(self.data, status='error')
        self.assertEqual(1, self.restore(backup.id,
                                         os.path.join(self.tmp, 'r')))
        self.assertIn('Cannot restore', self.stderr.getvalue())

    def test_restore_of_damaged_backup_sets_error(self):
        backup = self.make_backup(self.data)
        with open(self.object_path(backup, 2), 'r+b') as f:
            f.write(b'\0\0')
        self.assertEqual(1, self.restore(backup.id,
                                         os.path.join(self.tmp, 'r')))
        backup = self.only_backup()
        self.assertEqual('error', backup.status)
        self.assertIn('-00002', backup.fail_reason)

    def test_verify_exit_codes(self):
        backup = self.make_backup(self.data)
        args = types.SimpleNamespace(backup=backup.id, deep=True)
        self.assertEqual(0, backup_commands.verify(args))
        self.assertIn('verified (deep)', self.stdout.getvalue())
        with open(self.object_path(backup, 3), 'r+b') as f:
            f.seek(10)
            f.write(b'!')
        args.deep = False
        self.assertEqual(0, backup_commands.verify(args))
        args.deep = True
        self.assertEqual(1, backup_commands.verify(args))
        self.assertIn('-00003', self.stderr.getvalue())
        self.assertIn('first bad block 8', self.stderr.getvalue())

    def test_verify_refuses_other_services(self):
        backup = db_api.backup_create(self.ctx, {
            'volume_id': 'v', 'status': 'error', 'service':
            'cinder.backup.drivers.swift.SwiftBackupDriver'})
        self.assertEqual(1, backup_commands.verify(
            types.SimpleNamespace(backup=backup.id, deep=False)))
        self.assertIn('only posix/NFS', self.stderr.getvalue())

    def test_list(self):
        self.make_backup(self.data)
        self.make_backup(self.data, status='error')
        backup_commands.list_backups(types.SimpleNamespace(status='error'))
        lines = self.stdout.getvalue().splitlines()
        self.assertEqual(2, len(lines))
        self.assertIn('error', lines[1])

    def test_size_rounded_up_to_gib(self):
        self.assertEqual(1, math.ceil(len(self.data) / posix_base.GiB))
        self.assertEqual(0, self.create())
        self.assertEqual(1, self.only_backup().size)

    def test_progress_only_on_tty(self):
        stream = io.StringIO()
        bar = backup_commands.Progress('x', stream)
        bar(5, 10)
        bar.close()
        self.assertEqual('', stream.getvalue())
        stream.isatty = lambda: True
        bar = backup_commands.Progress('x', stream)
        bar(10, 10)
        bar.close()
        self.assertIn('100.0%', stream.getvalue())

    def test_parsers(self):
        import argparse
        parser = argparse.ArgumentParser()
        backup_commands.add_parsers(parser.add_subparsers())
        args = parser.parse_args(['backup', 'create', '--volume-file', 'f',
                                  '--project-id', 'p', '--name', 'n'])
        self.assertIs(backup_commands.create, args.func)
        self.assertEqual('n', args.backup_name)
        args = parser.parse_args(['backup', 'verify', '--deep', 'b'])
        self.assertTrue(args.deep)
        self.assertIs(backup_commands.verify, args.func)


class WriterRulesTest(posix_base.PosixTestCase):

    def test_check_sizes(self):
        posix_writer.check_sizes(8192, 4096)
        self.assertRaises(exception.InvalidBackup,
                          posix_writer.check_sizes, 8193, 4096)

    def test_empty_source(self):
        backup = self.make_backup(b'')
        self.assertEqual(0, backup.object_count)
        self.driver.verify(self.ctx, backup, deep=True)

    def test_stored_compression_names(self):
        self.assertEqual('none', fmt.stored_compression('OFF'))
        self.assertEqual('gzip', fmt.stored_compression('gzip'))
        self.assertEqual('zlib', fmt.codec_for('gzip'))
        self.assertEqual('bz2', fmt.codec_for('bzip2'))
