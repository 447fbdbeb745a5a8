"""Fixtures of the real-Cinder tests: Cinder's database, files and mounts."""

import hashlib
import json
import os
import random
import subprocess
import sys

import fixtures

from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional.reliability import databases
from cinder_backup_reset.tests.interop import base

#: Cinder's sha256 block (its default) and a small object size, so that a
#: volume of a megabyte or two makes several objects
BLOCK = 32768
FILE_SIZE = 8 * BLOCK
#: the NFS share as cinder.conf names it; never contacted (see TmpfsMount)
SHARE = '127.0.0.1:/srv/cinder-backups'
PROJECT = 'interop-project'


def brick_mount_point(base):
    """os-brick's mount point of SHARE: ``base/<md5 hex of the share>``."""
    return os.path.join(base, hashlib.md5(SHARE.encode('utf-8')).hexdigest())


def volume_image(seed=1, blocks=40):
    """Volume data: random, zero and text blocks, and a partial last block."""
    rng = random.Random(seed)
    parts = []
    for number in range(blocks):
        kind = number % 3
        if kind == 0:
            parts.append(rng.randbytes(BLOCK))
        elif kind == 1:
            parts.append(bytes(BLOCK))
        else:
            parts.append(bytes(rng.choices(b'lorem ipsum dolor sit ',
                                           k=BLOCK)))
    return b''.join(parts) + b'tail of the volume'


def changed_image(data, seed=2):
    """``data`` a day later: some blocks rewritten, zeroed or filled."""
    rng = random.Random(seed)
    data = bytearray(data)
    data[3 * BLOCK:4 * BLOCK] = bytes(BLOCK)
    data[10 * BLOCK:11 * BLOCK] = rng.randbytes(BLOCK)
    data[20 * BLOCK:23 * BLOCK] = bytes(rng.choices(b'xyz\n', k=3 * BLOCK))
    data[-5:] = b'TAIL!'
    return bytes(data)


class CinderDatabase(fixtures.Fixture):
    """A throwaway database whose schema Cinder's ``cinder-manage`` built.

    ``url`` is the database; ``cinder_conf`` a cinder.conf for Cinder's
    commands (posix repository, NFS share and mount base under ``path``);
    ``ours_conf`` the same for ours. ``cinder_revision`` is what Cinder's
    ``db version`` printed after its ``db sync``.
    """

    def __init__(self, backend):
        super().__init__()
        self.backend = backend

    def _setUp(self):
        self.path = self.useFixture(fixtures.TempDir()).path
        database = self.useFixture(databases.ThrowawayDatabase(
            self.backend, directory=self.path))
        self.url = database.url
        self.engine = database.engine
        self.posix_path = os.path.join(self.path, 'posix')
        self.mount_base = os.path.join(self.path, 'mnt')
        os.makedirs(self.posix_path)
        common = {
            'state_path': os.path.join(self.path, 'state'),
            'backup_posix_path': self.posix_path,
            'backup_share': SHARE,
            'backup_mount_point_base': self.mount_base,
        }
        self.cinder_conf = os.path.join(self.path, 'cinder.conf')
        server.write_config(self.cinder_conf, {
            'DEFAULT': dict(common, backup_file_size=FILE_SIZE,
                            backup_sha_block_size_bytes=BLOCK),
            'database': {'connection': self.url},
            'oslo_concurrency': {'lock_path': os.path.join(self.path,
                                                           'locks')},
            'oslo_messaging_notifications': {'driver': 'noop'},
        })
        self.ours_conf = os.path.join(self.path, 'ours.conf')
        server.write_config(self.ours_conf, {
            'DEFAULT': dict(common, auth_strategy='noauth',
                            state_path=os.path.join(self.path, 'ours')),
            'database': {'connection': self.url},
        })
        self.cinder_manage('db', 'sync')
        self.cinder_revision = self.cinder_manage('db', 'version')

    def run(self, argv, check=True):
        """Run a command; return its CompletedProcess (text)."""
        proc = subprocess.run(argv, capture_output=True, text=True,
                              timeout=600, stdin=subprocess.DEVNULL)
        if check and proc.returncode:
            raise RuntimeError('%s exited %d:\n%s\n%s' % (
                ' '.join(argv), proc.returncode, proc.stdout, proc.stderr))
        return proc

    def cinder_manage(self, *args):
        """Cinder's own ``cinder-manage``; returns its last stdout line."""
        proc = self.run([base.bin_path('cinder-manage'), '--config-file',
                         self.cinder_conf] + list(args))
        lines = proc.stdout.strip().splitlines()
        return lines[-1] if lines else ''

    def ours_manage(self, *args, check=True):
        """Our ``cinder-backup-reset-manage``; returns the process."""
        return self.run([sys.executable, '-m',
                         'cinder_backup_reset.cmd.manage', '--config-file',
                         self.ours_conf] + list(args), check=check)

    def cinder_side(self, command, request):
        """Run tests/interop/cinder_side.py (real Cinder); its answer."""
        proc = subprocess.run(
            [sys.executable, '-m', 'cinder_backup_reset.tests.interop.'
             'cinder_side', '--config-file', self.cinder_conf, command],
            input=json.dumps(request), capture_output=True, text=True,
            timeout=600)
        if proc.returncode:
            raise RuntimeError('cinder_side %s failed:\n%s' % (
                command, proc.stderr))
        return json.loads(proc.stdout)


class TmpfsMount(fixtures.Fixture):
    """A tmpfs mounted where os-brick mounts ``share``, unmounted after.

    NOTE: Cinder's NFSBackupDriver asks os-brick to mount the share, and
    os-brick skips the mount when /proc/mounts already lists its mount
    point, as it does after a cinder-backup restart. A tmpfs named after
    the share stands in for the NFS server, which the test machine does
    not have; the driver's own code does everything else. Mounting needs
    root: ``problem`` says why it could not be done (the tests skip).
    """

    def __init__(self, mount_point):
        super().__init__()
        self.mount_point = mount_point

    def _setUp(self):
        os.makedirs(self.mount_point, exist_ok=True)
        proc = subprocess.run(
            ['mount', '-t', 'tmpfs', '-o', 'size=256m,mode=0770', SHARE,
             self.mount_point], capture_output=True, text=True)
        self.problem = None
        if proc.returncode:
            self.problem = ('cannot mount a tmpfs to stand in for the NFS '
                            'share (needs root): %s' % proc.stderr.strip())
            return
        self.addCleanup(subprocess.run, ['umount', self.mount_point],
                        capture_output=True)
