#!/usr/bin/env python3
"""Deep verification against Cinder's own restore of the same backup.

What operators do today to test a backup is restore it. This benchmark
writes one backup with Cinder's own ``PosixBackupDriver`` (the ``cinder``
package from PyPI, through tests/interop/cinder_side.py), about 400 MiB
of mixed random, text and zero blocks, then, interleaved, N times each:

- ``cinder``: Cinder's ``driver.restore()`` of the backup into /dev/null,
  in its own process (cinder_side.py ``restore``);
- ``ours``: ``cinder-backup-reset-manage backup verify --deep BACKUP``,
  the whole command, in its own process;
- ``job``: the API's deep verification job (``backup-verify`` with
  ``level: deep``, verify_via=local), timed from the POST to ``passed``
  on a running ``cinder-backup-reset-api`` (its start-up not counted).

Each command's wall time and peak memory (the child's ``ru_maxrss`` from
wait4, so each side is measured alone) are printed per round and as
medians, with the ratios ours/cinder (goal: <= 0.5 for both), the
API job's time against Cinder's (the same goal, within 10%), and
job/command.

It needs Cinder installed beside the project; run it with the interop
environment's Python::

    tox -e interop --notest
    .tox/interop/bin/python tools/bench_verify_vs_cinder.py [--size-mib 400]
        [--rounds 3] [--keep DIR]
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from cinder_backup_reset.tests.fixtures import free_port  # noqa: E402
from cinder_backup_reset.tests.functional.fixtures import server  # noqa

MiB = 1024 * 1024
BLOCK = 32768


def bin_path(name):
    """A console script of this Python's environment."""
    return os.path.join(os.path.dirname(sys.executable), name)


def make_volume(path, size):
    """Random, text and zero blocks in turn (as the interop tests' image).

    Text blocks are drawn from a few dozen pre-made ones, so that 400 MiB
    is made in seconds.
    """
    rng = random.Random(1)
    texts = [bytes(rng.choices(b'lorem ipsum dolor sit amet\n', k=BLOCK))
             for _ in range(64)]
    zero = bytes(BLOCK)
    with open(path, 'wb') as f:
        for number in range(size // BLOCK):
            kind = number % 3
            if kind == 0:
                f.write(os.urandom(BLOCK))
            elif kind == 1:
                f.write(zero)
            else:
                f.write(texts[number % len(texts)])


def run(argv, stdin=None):
    """Run argv; return (seconds, peak RSS in MiB, stdout)."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # NOTE: wait4 gives this child's own rusage; communicate() first
    # would reap it.
    if stdin is not None:
        proc.stdin.write(stdin.encode())
    proc.stdin.close()
    out = proc.stdout.read()
    err = proc.stderr.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError('%s exited %d:\n%s' % (
            ' '.join(argv), proc.returncode, err.decode()[-4000:]))
    return seconds, usage.ru_maxrss / 1024.0, out.decode()


class Bench:

    def __init__(self, directory, size):
        self.dir = directory
        self.size = size
        self.url = 'sqlite:///%s/cinder.sqlite' % directory
        self.posix = os.path.join(directory, 'posix')
        os.makedirs(self.posix, exist_ok=True)
        self.cinder_conf = os.path.join(directory, 'cinder.conf')
        server.write_config(self.cinder_conf, {
            'DEFAULT': {'state_path': os.path.join(directory, 'state'),
                        'backup_posix_path': self.posix},
            'database': {'connection': self.url},
            'oslo_concurrency': {'lock_path': os.path.join(directory,
                                                           'locks')},
            'oslo_messaging_notifications': {'driver': 'noop'},
        })
        self.ours_conf = os.path.join(directory, 'ours.conf')
        server.write_config(self.ours_conf, {
            'DEFAULT': {'state_path': os.path.join(directory, 'ours'),
                        'backup_posix_path': self.posix,
                        'backup_driver': 'posix'},
            'database': {'connection': self.url},
        })

    def prepare(self):
        """Cinder's schema, ours beside it, the volume and its backup."""
        subprocess.run([bin_path('cinder-manage'), '--config-file',
                        self.cinder_conf, 'db', 'sync'], check=True,
                       capture_output=True)
        subprocess.run([sys.executable, '-m',
                        'cinder_backup_reset.cmd.manage', '--config-file',
                        self.ours_conf, 'db', 'sync'], check=True,
                       capture_output=True)
        volume = os.path.join(self.dir, 'volume.img')
        make_volume(volume, self.size)
        print('Writing a %d MiB backup with Cinder\'s PosixBackupDriver...'
              % (self.size // MiB), flush=True)
        seconds, _rss, out = run(self.cinder_side('backup'), json.dumps(
            [{'name': 'bench', 'driver': 'posix', 'compression': 'zlib',
              'volume_file': volume}]))
        os.unlink(volume)
        self.backup = json.loads(out)['bench']
        print('  written in %.1f s: backup %s, %d object(s)' % (
            seconds, self.backup['id'], self.backup['object_count']))

    def cinder_side(self, command):
        return [sys.executable, '-m',
                'cinder_backup_reset.tests.interop.cinder_side',
                '--config-file', self.cinder_conf, command]

    def cinder(self):
        """Cinder's restore into /dev/null."""
        seconds, rss, _out = run(self.cinder_side('restore'), json.dumps(
            [{'backup_id': self.backup['id'], 'volume_file': '/dev/null',
              'driver': 'posix'}]))
        return seconds, rss

    def ours(self):
        """cinder-backup-reset-manage backup verify --deep."""
        seconds, rss, _out = run(
            [sys.executable, '-m', 'cinder_backup_reset.cmd.manage',
             '--config-file', self.ours_conf, 'backup', 'verify', '--deep',
             self.backup['id']])
        return seconds, rss

    def start_api(self):
        self.port = free_port()
        conf = os.path.join(self.dir, 'api.conf')
        server.write_config(conf, {
            'DEFAULT': {'state_path': os.path.join(self.dir, 'ours'),
                        'backup_posix_path': self.posix,
                        'backup_driver': 'posix', 'auth_strategy': 'noauth',
                        'osapi_volume_listen': '127.0.0.1',
                        'osapi_volume_listen_port': self.port,
                        'osapi_volume_workers': 1},
            'database': {'connection': self.url},
        })
        self.api = subprocess.Popen(
            [sys.executable, '-m', 'cinder_backup_reset.cmd.api',
             '--config-file', conf], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get('http://127.0.0.1:%d/' % self.port, timeout=1)
                return
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop_api(self):
        self.api.terminate()
        self.api.wait(30)

    def job(self):
        """The API's deep job, from the POST to its end."""
        base = 'http://127.0.0.1:%d/v3/%s/backups/%s' % (
            self.port, 'p', self.backup['id'])
        headers = {'X-Auth-Token': 'admin:p'}
        started = time.monotonic()
        job = requests.post(base + '/action', headers=headers, json={
            'backup-verify': {'level': 'deep'}}, timeout=60).json()[
                'verification']
        while job['status'] in ('queued', 'running'):
            time.sleep(0.05)
            job = requests.get(base + '/verifications/' + job['id'],
                               headers=headers, timeout=60).json()[
                                   'verification']
        seconds = time.monotonic() - started
        if job['status'] != 'passed':
            raise RuntimeError('the job ended %s: %s' % (job['status'],
                                                         job['reason']))
        return seconds, None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--size-mib', type=int, default=400)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--keep', metavar='DIR',
                        help='work in DIR and keep it (default: a '
                             'temporary directory, removed)')
    args = parser.parse_args()
    directory = args.keep or tempfile.mkdtemp(prefix='bench-verify-')
    os.makedirs(directory, exist_ok=True)
    bench = Bench(directory, args.size_mib * MiB)
    try:
        bench.prepare()
        bench.start_api()
        results = {'cinder': [], 'ours': [], 'job': []}
        print('round  cinder restore s/MiB   ours verify s/MiB   '
              'API job s', flush=True)
        for number in range(args.rounds):
            # NOTE: interleaved, so that the machine's load at any moment
            # weighs on all three alike.
            for name in ('cinder', 'ours', 'job'):
                results[name].append(getattr(bench, name)())
            row = [results[n][-1] for n in ('cinder', 'ours', 'job')]
            print('%5d  %7.2f / %6.1f       %7.2f / %6.1f    %7.2f' % (
                number + 1, row[0][0], row[0][1], row[1][0], row[1][1],
                row[2][0]), flush=True)
        bench.stop_api()
    finally:
        if not args.keep:
            shutil.rmtree(directory, ignore_errors=True)

    def median(name, index):
        return statistics.median(r[index] for r in results[name])
    c_time, c_rss = median('cinder', 0), median('cinder', 1)
    o_time, o_rss = median('ours', 0), median('ours', 1)
    j_time = median('job', 0)
    print()
    print('medians of %d rounds, %d MiB backup' % (
        args.rounds, args.size_mib))
    print('  Cinder restore to /dev/null  %7.2f s  %7.1f MiB peak' % (
        c_time, c_rss))
    print('  ours, backup verify --deep   %7.2f s  %7.1f MiB peak' % (
        o_time, o_rss))
    print('  ours, API deep job           %7.2f s' % j_time)
    print('  ours/cinder: time %.2fx (goal <= 0.5), peak memory %.2fx '
          '(goal <= 0.5)' % (o_time / c_time, o_rss / c_rss))
    print('  API job/cinder: time %.2fx (the same goal, <= 0.5, within '
          '10%%: <= 0.55)' % (j_time / c_time))
    # NOTE: the job runs in an API already started; the command's figure
    # includes its own process start-up, hence the difference.
    print('  API job/command: time %.2fx' % (j_time / o_time))
    return 0


if __name__ == '__main__':
    sys.exit(main())
