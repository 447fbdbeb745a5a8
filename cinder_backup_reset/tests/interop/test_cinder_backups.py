"""Backups written by real Cinder's own drivers, reset, verified, restored.

Per database backend (SQLite; MariaDB and PostgreSQL when they answer) and
per Cinder driver (PosixBackupDriver; NFSBackupDriver on a tmpfs standing
in for the share), Cinder writes full and incremental backups with zlib,
bz2, zstd and no compression into a database its own ``cinder-manage``
built. Some are left ``creating`` with all their data written, as when
cinder-backup dies at the end of a job. Then:

- each stuck backup is reset to ``available`` through our API, which
  verifies it (and, for an incremental, its chain) first;
- a backup whose metadata was never written fails that reset (400,
  ``error`` with the reason);
- our shallow and deep verification pass on every backup, and each kind
  of damage fails as it does for our own backups;
- ``cinder-backup-reset-manage backup restore`` reproduces every volume
  byte for byte (incremental backups through their chain);
- Cinder's own restore still works on the backups we reset.
"""

import os
import shutil

import fixtures
import requests
import sqlalchemy as sa

from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup.drivers import posix
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import models
from cinder_backup_reset import exception
from cinder_backup_reset.tests import fixtures as crb_fixtures
from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.interop import base
from cinder_backup_reset.tests.interop import fixtures as interop_fixtures

COMPRESSIONS = ('zlib', 'bz2', 'zstd', 'none')
BACKUPS = models.Backup.__table__


def _plan(driver, image_a, image_b):
    plan = []
    for compression in COMPRESSIONS:
        plan.append({'name': 'full-' + compression, 'driver': driver,
                     'compression': compression, 'volume_file': image_a,
                     'finish': True})
        plan.append({'name': 'incr-' + compression, 'driver': driver,
                     'compression': compression, 'volume_file': image_b,
                     'parent': 'full-' + compression, 'finish': False})
    plan.append({'name': 'stuck-full', 'driver': driver,
                 'compression': 'zlib', 'volume_file': image_a,
                 'finish': False})
    plan.append({'name': 'crashed', 'driver': driver,
                 'compression': 'zlib', 'volume_file': image_a,
                 'finish': False})
    return plan


class _CinderBackups:
    BACKEND = None
    DRIVER = None

    def setUp(self):
        super().setUp()
        self.db = self.cinder_database(self.BACKEND)
        if self.DRIVER == 'nfs':
            # NOTE: where os-brick mounts the share for Cinder's driver,
            # computed here independently of our own code: if ours differed,
            # Cinder would find no mount there and fail to write.
            mount = self.useFixture(interop_fixtures.TmpfsMount(
                interop_fixtures.brick_mount_point(self.db.mount_base)))
            if mount.problem:
                self.skipTest(mount.problem)
        self.images = {'a': interop_fixtures.volume_image()}
        self.images['b'] = interop_fixtures.changed_image(self.images['a'])
        self.image_paths = {}
        for key, data in self.images.items():
            path = os.path.join(self.db.path, 'volume-%s.img' % key)
            with open(path, 'wb') as f:
                f.write(data)
            self.image_paths[key] = path
        self.made = self.db.cinder_side('backup', _plan(
            self.DRIVER, self.image_paths['a'], self.image_paths['b']))
        self.db.ours_manage('db', 'sync')

    # helpers

    def expected_image(self, name):
        return self.images['b' if name.startswith('incr') else 'a']

    def status(self, backup_id):
        with self.db.engine.connect() as conn:
            return conn.execute(
                sa.select(BACKUPS.c.status, BACKUPS.c.fail_reason).where(
                    BACKUPS.c.id == backup_id)).one()

    def api(self):
        return self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_posix_path': self.db.posix_path,
                        'backup_share': interop_fixtures.SHARE,
                        'backup_mount_point_base': self.db.mount_base},
            'database': {'connection': self.db.url}}))

    def reset(self, api, backup_id, status='available'):
        return requests.post(
            api.url('backups/%s/action' % backup_id,
                    interop_fixtures.PROJECT),
            json={'backup-reset_status': {'status': status}},
            headers=api.headers('admin', interop_fixtures.PROJECT),
            timeout=60)

    def driver_in_process(self):
        """Our driver and DB API on the test's database, in this process."""
        conf = self.useFixture(crb_fixtures.ConfFixture())
        conf.config(backup_posix_path=self.db.posix_path,
                    backup_share=interop_fixtures.SHARE,
                    backup_mount_point_base=self.db.mount_base)
        self.useFixture(crb_fixtures.Database(engine=self.db.engine))
        return posix.PosixBackupDriver(conf.conf), context.get_admin_context()

    # the scenario

    def test_cinder_backups(self):
        made = self.made
        crashed = made['crashed']
        # NOTE: Cinder writes the metadata file last; without it the backup
        # is what a cinder-backup killed before the end leaves.
        os.unlink(os.path.join(
            self._container(crashed), fmt.metadata_name(
                crashed['service_metadata'])))

        self._check_rows_are_cinders()
        api = self.api()
        stuck = [name for name in made
                 if name.startswith('incr') or name == 'stuck-full']
        for name in stuck:
            backup_id = made[name]['id']
            self.assertEqual('creating', self.status(backup_id).status)
            resp = self.reset(api, backup_id)
            self.assertEqual(202, resp.status_code, (name, resp.text))
            outcome = resp.json()['backup_reset']
            self.assertEqual('passed', outcome['verified'], name)
            self.assertEqual('creating', outcome['from_status'])
            if name.startswith('incr'):
                parents = outcome['verification']['evidence']['parents']
                self.assertEqual([made['full-' + name[5:]]['id']],
                                 [p['id'] for p in parents])
            self.assertEqual(('available', None),
                             tuple(self.status(backup_id)))
            history = requests.get(
                api.url('backups/%s/status-history' % backup_id,
                        interop_fixtures.PROJECT),
                headers=api.headers('admin', interop_fixtures.PROJECT),
                timeout=60).json()['status_history']
            self.assertEqual(1, len(history))
            self.assertEqual('passed', history[0]['verified'])

        resp = self.reset(api, crashed['id'])
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertIn('metadata file', resp.json()['badRequest']['message'])
        status = self.status(crashed['id'])
        self.assertEqual('error', status.status)
        self.assertIn('metadata file', status.fail_reason)

        self._check_verification_and_damage()
        self._check_our_restore()
        self._check_cinders_restore()

    def _container(self, made):
        root = (interop_fixtures.brick_mount_point(self.db.mount_base)
                if self.DRIVER == 'nfs' else self.db.posix_path)
        return os.path.join(root, made['container'])

    def _check_rows_are_cinders(self):
        expected = ('cinder.backup.drivers.nfs.NFSBackupDriver'
                    if self.DRIVER == 'nfs' else
                    'cinder.backup.drivers.posix.PosixBackupDriver')
        for name, made in self.made.items():
            self.assertEqual(expected, made['service'], name)
            self.assertTrue(os.path.isdir(self._container(made)), name)

    def _check_verification_and_damage(self):
        drv, ctx = self.driver_in_process()
        for name, made in self.made.items():
            if name == 'crashed':
                continue
            backup = db_api.backup_get(ctx, made['id'])
            shallow = drv.verify(ctx, backup)
            self.assertEqual('shallow', shallow.level)
            deep = drv.verify(ctx, backup, deep=True)
            self.assertEqual('deep', deep.level)
            if name.startswith('full') or name == 'stuck-full':
                self.assertEqual(len(self.images['a']),
                                 deep.evidence['bytes_verified'], name)
        for compression in COMPRESSIONS:
            for name in ('full-' + compression, 'incr-' + compression):
                self._check_damage(drv, ctx, name)
            self._check_broken_chain(drv, ctx, compression)

    def _damage_kinds(self, made):
        """(what, function(container, prefix), level it must fail at)."""
        prefix = made['service_metadata']

        def obj(container, number=1):
            return os.path.join(container, fmt.object_name(prefix, number))

        def flip(container):
            path = obj(container)
            with open(path, 'r+b') as f:
                f.seek(os.path.getsize(path) // 2)
                byte = f.read(1)
                f.seek(-1, os.SEEK_CUR)
                f.write(bytes([byte[0] ^ 0xff]))

        def rewrite(path, change):
            with open(path, 'rb') as f:
                text = f.read()
            with open(path, 'wb') as f:
                f.write(change(text))

        return [
            ('missing object', lambda c: os.unlink(obj(c)), 'shallow'),
            ('extra object', lambda c: shutil.copy(
                obj(c), obj(c, 99999)), 'shallow'),
            ('missing metadata', lambda c: os.unlink(os.path.join(
                c, fmt.metadata_name(prefix))), 'shallow'),
            ('missing sha256 file', lambda c: os.unlink(os.path.join(
                c, fmt.sha256_name(prefix))), 'shallow'),
            ('broken metadata', lambda c: rewrite(os.path.join(
                c, fmt.metadata_name(prefix)),
                lambda t: t[:len(t) // 2]), 'shallow'),
            ('metadata of another backup', lambda c: rewrite(os.path.join(
                c, fmt.metadata_name(prefix)), lambda t: t.replace(
                    made['id'].encode(), b'0' * 36)), 'shallow'),
            ('truncated object', lambda c: os.truncate(
                obj(c), os.path.getsize(obj(c)) // 2), 'deep'),
            ('flipped byte', flip, 'deep'),
        ]

    def _check_damage(self, drv, ctx, name):
        made = self.made[name]
        container = self._container(made)
        pristine = container + '.pristine'
        shutil.copytree(container, pristine)
        backup = db_api.backup_get(ctx, made['id'])
        for what, damage, level in self._damage_kinds(made):
            damage(container)
            try:
                if level == 'deep':
                    # NOTE: as for our own backups, a truncated compressed
                    # object or a flipped byte may look plausible to the
                    # shallow checks; deep verification always fails.
                    exc = self.assertRaises(exception.BackupVerifyFailed,
                                            drv.verify, ctx, backup,
                                            deep=True)
                else:
                    exc = self.assertRaises(exception.BackupVerifyFailed,
                                            drv.verify, ctx, backup)
                self.assertTrue(exc.reason, (name, what))
            finally:
                shutil.rmtree(container)
                shutil.copytree(pristine, container)
        shutil.rmtree(pristine)
        drv.verify(ctx, backup, deep=True)

    def _check_broken_chain(self, drv, ctx, compression):
        full = self.made['full-' + compression]
        incr = db_api.backup_get(ctx, self.made['incr-' + compression]['id'])
        container = self._container(full)
        victim = os.path.join(container, fmt.object_name(
            full['service_metadata'], 2))
        os.rename(victim, victim + '.away')
        try:
            exc = self.assertRaises(exception.BackupVerifyFailed,
                                    drv.verify, ctx, incr)
            self.assertIn('parent backup %s' % full['id'], exc.reason)
        finally:
            os.rename(victim + '.away', victim)
        with self.db.engine.begin() as conn:
            conn.execute(BACKUPS.update().where(
                BACKUPS.c.id == full['id']).values(deleted=True))
        try:
            exc = self.assertRaises(exception.BackupVerifyFailed,
                                    drv.verify, ctx, incr)
            self.assertIn('parent backup %s' % full['id'], exc.reason)
            self.assertIn('deleted', exc.reason)
        finally:
            with self.db.engine.begin() as conn:
                conn.execute(BACKUPS.update().where(
                    BACKUPS.c.id == full['id']).values(deleted=False))
        drv.verify(ctx, incr, deep=True)

    def _check_our_restore(self):
        target_dir = self.useFixture(fixtures.TempDir()).path
        for name, made in self.made.items():
            if name == 'crashed':
                continue
            target = os.path.join(target_dir, name + '.img')
            proc = self.db.ours_manage('backup', 'restore', made['id'],
                                       '--volume-file', target)
            self.assertIn('Restored', proc.stdout, name)
            with open(target, 'rb') as f:
                self.assertTrue(f.read() == self.expected_image(name),
                                '%s does not restore byte for byte' % name)
            self.assertEqual('available', self.status(made['id']).status)

    def _check_cinders_restore(self):
        target_dir = self.useFixture(fixtures.TempDir()).path
        requests_ = []
        for name, made in self.made.items():
            if name.startswith('incr') or name == 'stuck-full':
                target = os.path.join(target_dir, name + '.img')
                with open(target, 'wb') as f:
                    f.truncate(len(self.images['a']))
                requests_.append({'backup_id': made['id'],
                                  'volume_file': target,
                                  'driver': self.DRIVER, 'name': name})
        self.db.cinder_side('restore', requests_)
        for request in requests_:
            with open(request['volume_file'], 'rb') as f:
                self.assertTrue(
                    f.read() == self.expected_image(request['name']),
                    "Cinder's restore of %s differs" % request['name'])


class TestPosixSQLite(_CinderBackups, base.InteropTestCase):
    BACKEND, DRIVER = 'sqlite', 'posix'


class TestNFSSQLite(_CinderBackups, base.InteropTestCase):
    BACKEND, DRIVER = 'sqlite', 'nfs'


class TestPosixMySQL(_CinderBackups, base.InteropTestCase):
    BACKEND, DRIVER = 'mysql', 'posix'


class TestNFSMySQL(_CinderBackups, base.InteropTestCase):
    BACKEND, DRIVER = 'mysql', 'nfs'


class TestPosixPostgreSQL(_CinderBackups, base.InteropTestCase):
    BACKEND, DRIVER = 'postgresql', 'posix'


class TestNFSPostgreSQL(_CinderBackups, base.InteropTestCase):
    BACKEND, DRIVER = 'postgresql', 'nfs'
