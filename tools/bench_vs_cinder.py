"""``tools/bench_reset.py --vs-cinder``: our reset against Cinder's own.

What users compare the service with is Cinder's ``os-reset_status`` on a
backup. Both run on ONE SQLite file whose schema Cinder's ``cinder-manage
db sync`` built, with ours beside it (``cinder-backup-reset-manage db
sync``, doc/source/admin/cinder-database.rst), each in its own process:

- Cinder: the ``cinder`` package of the interop environment
  (``--cinder-python``), Cinder's API app from its own api-paste.ini
  (``auth_strategy = noauth``) and its cinder-backup service with
  ``BackupManager`` in the same process, RPC on ``--cinder-transport``
  (``fake://``, oslo.messaging's in-process driver, by default), served by
  tools/bench_cinder_server.py;
- ours: ``cinder-backup-reset-api`` (tools/bench_bare_app.py ``api``),
  noauth, posix driver on Cinder's backup repository.

The backups are Cinder's: rows made with Cinder's objects on a
cinder-backup host that is gone (tests/interop/cinder_side.py ``stuck``),
each reset once. This process only sends the same ``os-reset_status``
request to each server over one keep-alive connection, sequentially, in
alternating batches (the order flips every round), and reads the row
from the SQLite file until the new status is there: Cinder's API answers
202 once it has cast the reset to the backup manager, which writes it
afterwards, so a reset is timed twice, to the 202 and to the status in
the database ("applied"). Ours writes before it answers. Targets:
``error`` from ``creating`` and ``available`` from ``restoring``: both
direct on both sides (neither verifies; ours would verify any other
source status before ``available``). The backups' volume is
``available``, so ours has no volume to reconcile either.
"""

import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time

import bench_loadgen as loadgen
import bench_reset as bench

#: Cinder's API routes only hexadecimal project ids (project_id_regex)
PROJECT = 'b3ac4f0e5e2d4c0e9a3f1b2c3d4e5f60'
HEADERS = bench.admin_headers(PROJECT)
#: the cinder-backup service of Cinder's server, and the one that died
#: leaving the backups stuck (Cinder's API picks a running one)
CINDER_HOST = 'bench-backup'
GONE_HOST = 'backup-host'
CINDER_POSIX = 'cinder.backup.drivers.posix.PosixBackupDriver'
THREADS = 8
#: how often the row is read while a reset is not applied yet, seconds
POLL = 0.0005
#: target -> the status the backups are left in
TARGETS = {'error': 'creating', 'available': 'restoring'}


def interop_python(path=None):
    """The Python that has cinder: ``path``, or .tox/interop's.

    Raises SystemExit with why when cinder is not importable there.
    """
    path = path or os.path.join(bench.REPO, '.tox', 'interop', 'bin',
                                'python')
    if not os.path.exists(path):
        raise SystemExit('%s does not exist: create the interop environment '
                         '("tox -e interop --notest") or pass '
                         '--cinder-python' % path)
    probe = subprocess.run(
        [path, '-c', 'import importlib.util, sys; '
         'sys.exit(importlib.util.find_spec("cinder") is None)'])
    if probe.returncode:
        raise SystemExit('cinder is not importable by %s' % path)
    return path


def cinder_version(python):
    out = subprocess.run(
        [python, '-c', 'from importlib import metadata; '
         'print(metadata.version("cinder"))'],
        capture_output=True, text=True, check=True)
    return out.stdout.strip()


class Setup:
    """The SQLite file, both configurations and the backups' rows."""

    def __init__(self, state_path, python, transport):
        self.python = python
        self.state_path = state_path
        self.db_path = os.path.join(state_path, 'cinder.sqlite')
        self.posix = os.path.join(state_path, 'posix')
        os.makedirs(self.posix)
        url = 'sqlite:///%s' % self.db_path
        self.cinder_conf = os.path.join(state_path, 'cinder.conf')
        bench.write_config(self.cinder_conf, {
            'DEFAULT': {'auth_strategy': 'noauth', 'host': CINDER_HOST,
                        'state_path': os.path.join(state_path, 'cinder'),
                        'backup_driver': CINDER_POSIX,
                        'backup_posix_path': self.posix,
                        'transport_url': transport,
                        'log_file': os.path.join(state_path,
                                                 'cinder-service.log')},
            'database': {'connection': url},
            'oslo_concurrency': {'lock_path': os.path.join(state_path,
                                                           'locks')},
        })
        self.ours_config = {
            'DEFAULT': {'auth_strategy': 'noauth', 'backup_driver': 'posix',
                        'wsgi_default_pool_size': THREADS,
                        'state_path': os.path.join(state_path, 'ours'),
                        'backup_posix_path': self.posix},
            'database': {'connection': url},
        }
        self.ours_conf = os.path.join(state_path, 'ours.conf')
        bench.write_config(self.ours_conf, self.ours_config)

    def _run(self, argv, stdin=None):
        proc = subprocess.run(argv, input=stdin, capture_output=True,
                              text=True, cwd=bench.REPO,
                              env=bench.child_env())
        if proc.returncode:
            raise RuntimeError('%s exited %d:\n%s' % (
                ' '.join(argv), proc.returncode, proc.stderr[-3000:]))
        return proc.stdout

    def schemas(self):
        """Cinder's ``cinder-manage db sync``, then ours beside it."""
        self._run([os.path.join(os.path.dirname(self.python),
                                'cinder-manage'),
                   '--config-file', self.cinder_conf, 'db', 'sync'])
        self._run([sys.executable, '-m', 'cinder_backup_reset.cmd.manage',
                   '--config-file', self.ours_conf, 'db', 'sync'])

    def cinder_side(self, command, request):
        return json.loads(self._run(
            [self.python, '-m', 'cinder_backup_reset.tests.interop.'
             'cinder_side', '--config-file', self.cinder_conf, command],
            json.dumps(request)))

    def stuck(self, counts):
        """Cinder backup rows, no data: {status: count} -> {status: ids}."""
        return self.cinder_side('stuck', {
            'counts': counts, 'host': GONE_HOST, 'project_id': PROJECT})


class Resetter:
    """Sequential resets of fresh backups, a keep-alive connection a batch.

    ``run(ids)`` resets each backup in turn to ``target`` and returns
    [(seconds to the 202, seconds until the row shows ``target``)].
    """

    def __init__(self, port, db_path, target):
        self.port = port
        self.target = target
        self.body = json.dumps(
            {'os-reset_status': {'status': target}}).encode()
        # NOTE: read-only, autocommit: each SELECT sees the last commit
        # (the file is in WAL mode: readers never block the writers).
        self.db = sqlite3.connect('file:%s?mode=ro' % db_path, uri=True,
                                  isolation_level=None)

    def close(self):
        self.db.close()

    def _status(self, backup_id):
        return self.db.execute('SELECT status FROM backups WHERE id = ?',
                               (backup_id,)).fetchone()[0]

    def run(self, ids):
        conn = loadgen.Connection(self.port, [loadgen.request_bytes(
            self.port, 'POST', '/v3/%s/backups/%s/action' % (PROJECT, i),
            HEADERS, self.body) for i in ids])
        try:
            return [self._reset(conn, backup_id) for backup_id in ids]
        finally:
            conn.close()

    def _reset(self, conn, backup_id):
        start = time.perf_counter()
        conn.run(1)
        answered = time.perf_counter()
        deadline = answered + 30
        while self._status(backup_id) != self.target:
            if time.perf_counter() > deadline:
                raise RuntimeError('%s not %s 30 s after the 202' % (
                    backup_id, self.target))
            time.sleep(POLL)
        return answered - start, time.perf_counter() - start


def p95(samples):
    return statistics.quantiles(samples, n=20)[18]


def show(label, samples):
    med = statistics.median(samples)
    print('  %-34s median %8.2f ms   p95 %8.2f ms   (n=%d)' % (
        label, med * 1000, p95(samples) * 1000, len(samples)))
    return med


def compare(target, servers, pools, db_path, rounds, batch):
    """Alternating batches of resets to ``target``; print and return."""
    clients = {side: Resetter(servers[side].port, db_path, target)
               for side in servers}
    times = {side: [] for side in servers}
    try:
        for r in range(-1, rounds):
            # NOTE: round -1 warms both servers up and is not counted.
            for side in (('ours', 'cinder') if r % 2 == 0
                         else ('cinder', 'ours')):
                ids = [pools[side].pop() for _ in range(batch)]
                got = clients[side].run(ids)
                if r >= 0:
                    times[side].extend(got)
    finally:
        for client in clients.values():
            client.close()
    print('\n  target %s (from %s): %d batches of %d resets per side, '
          'alternating' % (target, TARGETS[target], rounds, batch))
    medians = {}
    for side, label in (('ours', 'ours'), ('cinder', 'Cinder')):
        answered = [t[0] for t in times[side]]
        applied = [t[1] for t in times[side]]
        medians[side, 202] = show('%s, to the 202' % label, answered)
        medians[side, 'applied'] = show('%s, applied in the database' % label,
                                        applied)
    bench.ratio('ours / Cinder, applied (the goal)',
                medians['ours', 'applied'], medians['cinder', 'applied'],
                0.15)
    print('  => %-41s %6.2f   (Cinder\'s API alone, for reference)' % (
        'ours / Cinder, to the 202', medians['ours', 202] /
        medians['cinder', 202]))
    return medians


def loadavg():
    return ', '.join('%.2f' % v for v in os.getloadavg())


def main(args, state_path):
    """The --vs-cinder benchmark; ``args`` from bench_reset's parser."""
    python = interop_python(args.cinder_python)
    targets = args.target or ['error', 'available']
    print('\n[vs-cinder] our reset vs Cinder %s\'s os-reset_status, one '
          'SQLite file' % cinder_version(python))
    print('  Cinder: API (noauth pipeline of its api-paste.ini) and '
          'BackupManager in one process, RPC %s' % args.cinder_transport)
    if args.cinder_transport.startswith('fake:'):
        # NOTE: oslo.messaging's fake listener sleeps between looks at an
        # empty queue instead of being woken by a message.
        print('  (the fake driver looks for a cast every 50 ms when idle: '
              'Cinder\'s "applied" includes\n  that wait; a broker, '
              '--cinder-transport rabbit://..., does not add it)')
    print('  both: gunicorn, 1 worker, gthread, %d threads; load average '
          'before: %s' % (THREADS, loadavg()))
    setup = Setup(state_path, python, args.cinder_transport)
    started = time.monotonic()
    setup.schemas()
    count = (args.rounds + 1) * args.batch
    made = setup.stuck({TARGETS[target]: 2 * count for target in targets})
    pools = {target: {'ours': made[TARGETS[target]][:count],
                      'cinder': made[TARGETS[target]][count:]}
             for target in targets}
    print('  schemas and %d backups made in %.0f s' % (
        sum(len(p) for pools_ in pools.values() for p in pools_.values()),
        time.monotonic() - started))
    servers = {}
    try:
        servers['cinder'] = bench.Served(
            'cinder-api-and-backup', lambda port: [
                python, os.path.join(bench.REPO, 'tools',
                                     'bench_cinder_server.py'),
                setup.cinder_conf, str(port), str(THREADS)], state_path)
        servers['ours'] = bench.Server('api', setup.ours_config, state_path,
                                       1)
        for server in servers.values():
            server.wait()
        for target in targets:
            compare(target, servers, pools[target], setup.db_path,
                    args.rounds, args.batch)
    except Exception:
        for server in servers.values():
            with contextlib.suppress(OSError):
                print('--- %s log:\n%s' % (server.name, server.log()),
                      file=sys.stderr)
        raise
    finally:
        for server in servers.values():
            server.stop()
    print('\n  load average after: %s' % loadavg())
    return 0
