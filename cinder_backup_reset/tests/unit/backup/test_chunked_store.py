"""A second chunked store is one module: an object store kept in memory.

MemoryStore and MemoryBackupDriver below are everything a store adds to
the chunked layer (backup/chunked/); the shallow and deep verification,
restore and deletion they get are the posix driver's, unchanged.
"""

import io
import os
import subprocess
import sys
import types

import fixtures
import testtools

from cinder_backup_reset.backup.chunked import driver as chunked_driver
from cinder_backup_reset.backup.chunked import restore
from cinder_backup_reset.backup.chunked import store as chunked_store
from cinder_backup_reset import exception
from cinder_backup_reset.tests import fixtures as crb_fixtures
from cinder_backup_reset.tests.unit.backup import posix_base

BACKUP_ID = '0f5e6b1c-3c0a-4d8e-9a55-6a7b8c9d0e1f'
VOLUME_ID = 'e5a9e5e0-0d4c-4a0e-9e3e-7f8a35b3c1d2'
PREFIX = 'volume_%s_20230102030405_backup_%s' % (VOLUME_ID, BACKUP_ID)


class MemoryStore(chunked_store.ObjectStore):
    """Containers of objects in a dict: ``{container: {name: bytes}}``."""

    def __init__(self, containers=None, available=True):
        self.containers = containers if containers is not None else {}
        self.available = available

    def check_available(self, backup):
        if not self.available:
            raise exception.BackupBackendUnavailable(
                backup_id=backup.id, reason='the memory store is offline')

    def location(self, container=None, name=None):
        return 'memory://' + '/'.join(
            part for part in (container, name) if part is not None)

    def container_exists(self, container):
        return container in self.containers

    def list(self, container):
        return list(self.containers[container])

    def exists(self, container, name):
        return name in self.containers.get(container, {})

    def size(self, container, name):
        return len(self.containers[container][name])

    def open(self, container, name):
        return io.BytesIO(self.containers[container][name])

    def delete(self, container, name):
        del self.containers[container][name]


class MemoryBackupDriver(chunked_driver.ChunkedBackupDriver):
    """The driver of the memory store: only where a backup is."""

    name = 'memory'

    def __init__(self, conf, store):
        super().__init__(conf)
        self.store = store

    def store_for(self, backup):
        return self.store


def _backup(object_count):
    return types.SimpleNamespace(
        id=BACKUP_ID, volume_id=VOLUME_ID, container='bucket',
        service_metadata=PREFIX, object_count=object_count, size=1,
        parent_id=None, service='memory')


class ChunkedStoreTest(testtools.TestCase):
    """The chunked layer's checks, against a backup held in memory."""

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(crb_fixtures.ConfFixture()).conf
        self.data = posix_base.sample_data(5 * 2 * posix_base.BLOCK + 100)
        # NOTE: Cinder's layout, written by the tests' hand-made writer,
        # then held in memory only.
        directory = self.useFixture(fixtures.TempDir()).path
        count = posix_base.write_cinder_layout(
            directory, self.data, BACKUP_ID, VOLUME_ID, PREFIX)
        objects = {}
        for name in os.listdir(directory):
            with open(os.path.join(directory, name), 'rb') as f:
                objects[name] = f.read()
        self.store = MemoryStore({'bucket': objects})
        self.driver = MemoryBackupDriver(self.conf, self.store)
        self.backup = _backup(count)
        self.objects = objects

    def test_shallow_passes(self):
        result = self.driver.verify(None, self.backup)
        self.assertEqual('shallow', result.level)
        self.assertEqual('memory://bucket', result.evidence['container'])
        self.assertEqual(self.backup.object_count,
                         result.evidence['object_count'])
        self.assertEqual(len(self.data), result.evidence['volume_bytes'])

    def test_deep_passes(self):
        result = self.driver.verify(None, self.backup, deep=True)
        self.assertEqual('deep', result.level)
        self.assertEqual(len(self.data), result.evidence['bytes_verified'])

    def test_missing_object_fails_shallow(self):
        del self.objects[PREFIX + '-00002']
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, None, self.backup)
        self.assertIn('missing', exc.reason)
        self.assertEqual([PREFIX + '-00002'],
                         exc.evidence['missing_objects'])

    def test_damaged_object_passes_shallow_fails_deep(self):
        name = PREFIX + '-00003'
        damaged = bytearray(self.objects[name])
        damaged[len(damaged) // 2] ^= 0xff
        self.objects[name] = bytes(damaged)
        self.driver.verify(None, self.backup)
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                self.driver.verify, None, self.backup,
                                deep=True)
        self.assertIn('object %s (number 3 of' % name, exc.reason)

    def test_offline_store_is_no_verdict(self):
        self.store.available = False
        self.assertRaises(exception.BackupBackendUnavailable,
                          self.driver.verify, None, self.backup)

    def test_restore_and_delete(self):
        target = os.path.join(self.useFixture(fixtures.TempDir()).path, 't')
        fd = os.open(target, os.O_RDWR | os.O_CREAT)
        self.addCleanup(os.close, fd)
        restore.restore_backup(self.store, 'bucket', PREFIX, BACKUP_ID, fd)
        with open(target, 'rb') as f:
            self.assertEqual(self.data, f.read())
        self.objects['another-backup-00001'] = b'kept'
        removed = self.driver.delete(None, self.backup)['removed']
        self.assertEqual(self.backup.object_count + 2, len(removed))
        self.assertEqual(['another-backup-00001'], list(self.objects))


class APIImportsNoWriterTest(testtools.TestCase):
    """What the API loads does not include the backup writer."""

    def test_api_modules_do_not_import_the_writer(self):
        code = (
            'import sys\n'
            'import cinder_backup_reset.wsgi\n'
            'import cinder_backup_reset.api.router\n'
            'from cinder_backup_reset.api import extensions\n'
            'from cinder_backup_reset.backup import driver\n'
            'from cinder_backup_reset import conf\n'
            'from oslo_config import cfg\n'
            'c = cfg.ConfigOpts(); conf.register_opts(c); c([])\n'
            'extensions.ExtensionManager(c)\n'
            'driver.load_driver(c, "posix")\n'
            'import cinder_backup_reset.verification.agent\n'
            'print(sorted(m for m in sys.modules\n'
            '             if m.startswith("cinder_backup_reset.") and\n'
            '             ("writer" in m or ".cmd" in m)))\n')
        out = subprocess.run([sys.executable, '-c', code], check=True,
                             capture_output=True, text=True).stdout
        self.assertEqual('[]', out.strip())
