"""Incremental backups: verification follows the chain; restore layers it.

The backups are laid out by hand as Cinder's chunked driver writes them
(posix_base.write_cinder_layout); tests/interop proves the same against
backups written by real Cinder.
"""

import io
import os
import types

import fixtures
import sqlalchemy as sa

from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup.chunked import restore as posix_restore
from cinder_backup_reset.backup.drivers import posix
from cinder_backup_reset.cmd import backup_commands
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import models
from cinder_backup_reset import exception
from cinder_backup_reset.tests.unit.backup import posix_base

BLOCK = posix_base.BLOCK
VOLUME = '0c1d2e3f-4a5b-4c6d-8e7f-901a2b3c4d5e'


class IncrementalChain(posix_base.PosixTestCase):
    """A full backup and two incrementals on it, laid out as Cinder's."""

    def setUp(self):
        super().setUp()
        self.data = [posix_base.sample_data(10 * BLOCK + 100)]
        changed = bytearray(self.data[0])
        changed[2 * BLOCK:3 * BLOCK] = bytes(BLOCK)
        changed[7 * BLOCK + 5] ^= 0xff
        self.data.append(bytes(changed))
        again = bytearray(changed)
        again[-1] ^= 0xff
        self.data.append(bytes(again))
        self.chain = []
        for number, data in enumerate(self.data):
            self.chain.append(self.write(number, data))

    def write(self, number, data, chunk_size=BLOCK, full=False):
        backup_id = '9f3c2a61-57d1-4b9e-8a0f-2b1d8c7e6a5%d' % number
        parent = self.chain[-1] if number and not full else None
        prefix = 'volume_%s_20230102030405_backup_%s' % (VOLUME, backup_id)
        container = fmt.default_container(backup_id)
        count = posix_base.write_cinder_layout(
            os.path.join(self.root, container), data, backup_id, VOLUME,
            prefix, chunk_size=chunk_size,
            parent_id=parent.id if parent else None,
            parent_data=self.data[number - 1] if parent else None)
        return db_api.backup_create(self.ctx, {
            'id': backup_id, 'volume_id': VOLUME, 'status': 'available',
            'service': posix.POSIX_SERVICE, 'service_metadata': prefix,
            'container': container, 'size': 1, 'object_count': count,
            'parent_id': parent.id if parent else None, 'project_id': 'p1'})

    def set_deleted(self, backup):
        table = models.Backup.__table__
        with db_api.get_engine().begin() as conn:
            conn.execute(table.update().where(table.c.id == backup.id)
                         .values(deleted=True))


class IncrementalTest(IncrementalChain):

    def test_chain_verifies_shallow_and_deep(self):
        newest = self.chain[-1]
        result = self.driver.verify(self.ctx, newest)
        self.assertEqual([self.chain[1].id, self.chain[0].id],
                         [p['id'] for p in result.evidence['parents']])
        result = self.driver.verify(self.ctx, newest, deep=True)
        # NOTE: deep reads every object of the chain.
        chain_bytes = sum(
            os.path.getsize(os.path.join(self.driver.container_path(b), n))
            and info['length'] for b in self.chain
            for n, info in fmt.object_entries(fmt.load(os.path.join(
                self.driver.container_path(b),
                fmt.metadata_name(b.service_metadata)))))
        self.assertEqual(chain_bytes, result.evidence['bytes_verified'])
        self.assertGreater(chain_bytes, len(self.data[0]))

    def test_missing_parent_fails_naming_it(self):
        table = models.Backup.__table__
        with db_api.get_engine().begin() as conn:
            conn.execute(table.delete().where(table.c.id ==
                                              self.chain[0].id))
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, self.ctx, self.chain[2])
        self.assertIn('parent backup %s' % self.chain[0].id, exc.reason)
        self.assertIn('does not exist', exc.reason)

    def test_deleted_parent_fails_naming_it(self):
        self.set_deleted(self.chain[1])
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, self.ctx, self.chain[2])
        self.assertIn('parent backup %s' % self.chain[1].id, exc.reason)
        self.assertIn('deleted', exc.reason)
        self.assertEqual(self.chain[1].id, exc.evidence['bad_parent'])

    def test_damaged_grandparent_fails_naming_it(self):
        full = self.chain[0]
        os.unlink(os.path.join(self.driver.container_path(full),
                               fmt.object_name(full.service_metadata, 2)))
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, self.ctx, self.chain[2])
        self.assertIn('parent backup %s' % full.id, exc.reason)
        self.assertIn('missing', exc.reason)

    def test_damaged_parent_data_fails_deep_only(self):
        full = self.chain[0]
        path = os.path.join(self.driver.container_path(full),
                            fmt.object_name(full.service_metadata, 1))
        with open(path, 'rb') as f:
            blob = bytearray(f.read())
        blob[len(blob) // 2] ^= 0xff
        with open(path, 'wb') as f:
            f.write(blob)
        self.driver.verify(self.ctx, self.chain[2])
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, self.ctx, self.chain[2],
                                deep=True)
        self.assertIn('parent backup %s' % full.id, exc.reason)

    def test_parent_of_another_volume_size_fails(self):
        table = models.Backup.__table__
        other = self.write(9, self.data[0] + bytes(4 * BLOCK), full=True)
        with db_api.get_engine().begin() as conn:
            conn.execute(table.update().where(table.c.id ==
                                              self.chain[1].id)
                         .values(parent_id=other.id))
        exc = self.assertRaises(
            exception.BackupVerifyFailed, self.driver.verify, self.ctx,
            db_api.backup_get(self.ctx, self.chain[1].id))
        self.assertIn('its sha256 file has 11 hashes but parent backup %s '
                      'has 15' % other.id, exc.reason)

    def test_loop_in_the_chain_fails(self):
        table = models.Backup.__table__
        with db_api.get_engine().begin() as conn:
            conn.execute(table.update().where(table.c.id == self.chain[0].id)
                         .values(parent_id=self.chain[2].id))
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, self.ctx, self.chain[2])
        self.assertIn('loops back', exc.reason)

    def restore(self, backup):
        layers = [(self.driver.container_path(parent),
                   parent.service_metadata) for parent, _e, _n, _i
                  in reversed(self.driver.chain(self.ctx, backup))]
        target = os.path.join(self.useFixture(fixtures.TempDir()).path, 't')
        fd = os.open(target, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, fd)
        posix_restore.restore_backup(
            self.driver.store_for(backup),
            self.driver.container_path(backup), backup.service_metadata,
            backup.id, fd, base_layers=layers)
        with open(target, 'rb') as f:
            return f.read()

    def test_restore_layers_the_chain(self):
        for number, backup in enumerate(self.chain):
            self.assertTrue(self.restore(backup) == self.data[number],
                            'backup %d restores wrongly' % number)

    def test_restore_refuses_a_chain_out_of_order(self):
        newest = self.chain[2]
        target = os.path.join(self.useFixture(fixtures.TempDir()).path, 't')
        fd = os.open(target, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, fd)
        exc = self.assertRaises(
            exception.BackupVerifyFailed, posix_restore.restore_backup,
            self.driver.store_for(newest),
            self.driver.container_path(newest), newest.service_metadata,
            newest.id, fd, base_layers=[(
                self.driver.container_path(self.chain[0]),
                self.chain[0].service_metadata)])
        self.assertIn('names parent', exc.reason)
        self.assertEqual(0, os.fstat(fd).st_size)

    def test_incremental_hashes_count_is_not_held_to_the_row_size(self):
        # NOTE: the row says 1 GiB, the test volume is smaller: the count is
        # compared with the full backup's, not with the size.
        table = models.Backup.__table__
        with db_api.get_engine().connect() as conn:
            self.assertEqual(1, conn.execute(sa.select(table.c.size).where(
                table.c.id == self.chain[2].id)).scalar())
        self.driver.verify(self.ctx, self.chain[2])


class RestoreCommandTest(IncrementalChain):
    """``manage backup restore`` of incremental backups."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(
            backup_commands.service, 'init_database'))
        self.stderr = self.useFixture(fixtures.MockPatch(
            'sys.stderr', io.StringIO())).mock
        self.useFixture(fixtures.MockPatch('sys.stdout', io.StringIO()))
        self.target = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'volume')

    def restore_command(self, backup):
        return backup_commands.restore(types.SimpleNamespace(
            backup=backup.id, volume_file=self.target))

    def test_restores_an_incremental_byte_for_byte(self):
        self.assertEqual(0, self.restore_command(self.chain[2]))
        with open(self.target, 'rb') as f:
            self.assertTrue(f.read() == self.data[2])
        self.assertEqual('available',
                         db_api.backup_get(self.ctx, self.chain[2].id).status)

    def test_refuses_a_broken_chain_leaving_the_backup_alone(self):
        table = models.Backup.__table__
        with db_api.get_engine().begin() as conn:
            conn.execute(table.update().where(table.c.id == self.chain[2].id)
                         .values(fail_reason='earlier reason'))
        self.set_deleted(self.chain[0])
        self.assertEqual(1, self.restore_command(self.chain[2]))
        self.assertIn('Cannot restore backup %s (its status is unchanged)'
                      % self.chain[2].id, self.stderr.getvalue())
        self.assertIn('parent backup %s' % self.chain[0].id,
                      self.stderr.getvalue())
        row = db_api.backup_get(self.ctx, self.chain[2].id)
        self.assertEqual(('available', 'earlier reason'),
                         (row.status, row.fail_reason))
        self.assertFalse(os.path.exists(self.target))
