#!/usr/bin/env python3
"""Benchmarks of the backup reset path against its alternatives.

Prints ratios of things measured side by side in one run (their samples
interleaved), never absolute pass/fail times: the machine is shared.

1. in-process: a reset through the full paste pipeline (noauth,
   webob.Request.blank) versus the spec's SQL alternative, one
   ``UPDATE backups SET status=...`` transaction through SQLAlchemy on
   the same database (for context: its goal, <= 3, is retired);
2. over HTTP: sequential keep-alive resets against the real server versus
   a bare webob app served by the same gunicorn set-up (for context: its
   goal, <= 2.5, is retired), and requests per second of 1 and 2
   workers with several clients (goal: 2 workers >= 1.7 x 1 worker), with
   the CPU the load generator, the server and everything else used
   meanwhile. Both use the cheap single-process client of
   tools/bench_loadgen.py;
3. scale: reset latency and ``backups/detail?limit=N`` with 1,000,000
   backup rows versus 1,000 (goals: <= 1.2 and <= 1.5);
4. ``--vs-cinder`` (run alone): our HTTP reset against real Cinder's own
   ``os-reset_status``, its API and backup manager in one process, on one
   SQLite file (goal: our median <= 0.15 x Cinder's, the reset applied in
   the database; tools/bench_vs_cinder.py). Issue 18 measures the service
   against what users compare it with, Cinder's own reset, and retired
   the goals of 1 and 2 (a raw UPDATE and a bare app).

Usage::

    python tools/bench_reset.py [--db sqlite|mysql|postgresql] [--quick]
    python tools/bench_reset.py --vs-cinder [--rounds 20 --batch 50]
        [--cinder-python .tox/interop/bin/python] [--cinder-transport URL]
    python tools/bench_reset.py --profile 300   # cProfile the reset path

The posix driver verifies a real small backup written by
``cinder-backup-reset-manage backup create`` when the driver module is
importable; otherwise the ``fake`` driver is used. The output says which.
See doc/source/admin/performance.rst.
"""

import argparse
import contextlib
import cProfile
import http.client
import importlib.util
import io
import json
import os
import platform
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# NOTE: the package may be installed editable from another checkout;
# benchmark the code next to this file.
sys.path.insert(0, REPO)
sys.path.insert(1, os.path.join(REPO, 'tools'))

from oslo_config import cfg  # noqa: E402
from oslo_db.sqlalchemy import engines  # noqa: E402
from oslo_utils import timeutils  # noqa: E402
import sqlalchemy as sa  # noqa: E402
import webob  # noqa: E402

import bench_loadgen as loadgen  # noqa: E402
from cinder_backup_reset.db import api as db_api  # noqa: E402
from cinder_backup_reset.db import migration  # noqa: E402
from cinder_backup_reset.db import models  # noqa: E402
from cinder_backup_reset.db import sqlite as db_sqlite  # noqa: E402
from cinder_backup_reset.tests.functional.fixtures import server as srv  # noqa: E402,E501

free_port = srv.free_port
write_config = srv.write_config

PROJECT = 'bench'


def admin_headers(project):
    """An admin's JSON request headers under noauth, for ``project``."""
    return {'X-Auth-Token': 'admin:%s' % project,
            'Content-Type': 'application/json',
            'Accept': 'application/json'}


ADMIN_HEADERS = admin_headers(PROJECT)
POSIX_MODULE = 'cinder_backup_reset.backup.drivers.posix'
FAKE_SERVICE = 'cinder_backup_reset.backup.drivers.fake.FakeBackupDriver'
DETAIL_LIMIT = 50
CLIENTS = 4

#: repetitions: rounds of interleaved batches, and the size of a batch
PLANS = {
    'full': {'inproc': (40, 10), 'http': (30, 20), 'tput': (5, 3.0),
             'scale_reset': (30, 10), 'scale_detail': (30, 5),
             'small_rows': 1000, 'large_rows': 1000000},
    'quick': {'inproc': (10, 5), 'http': (8, 10), 'tput': (2, 1.0),
              'scale_reset': (8, 5), 'scale_detail': (8, 3),
              'small_rows': 1000, 'large_rows': 100000},
}


# ---------------------------------------------------------------- utilities

def machine():
    """nproc, CPU model and memory, for the report."""
    model = '?'
    with contextlib.suppress(OSError):
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                    break
    mem = '?'
    with contextlib.suppress(OSError):
        with open('/proc/meminfo') as f:
            kib = int(f.readline().split()[1])
            mem = '%.1f GiB' % (kib / 1024 / 1024)
    return 'nproc %d, %s, %s RAM, Python %s, %s' % (
        os.cpu_count(), model, mem, platform.python_version(),
        platform.platform())


def stats(samples):
    """(median, min, max) of a list of seconds."""
    return statistics.median(samples), min(samples), max(samples)


def show(label, samples, unit='ms', scale=1000.0):
    med, lo, hi = stats(samples)
    print('  %-44s median %8.3f %s  (min %.3f, max %.3f, n=%d)' % (
        label, med * scale, unit, lo * scale, hi * scale, len(samples)))
    return med


def ratio(label, num, den, goal, higher_is_better=False, retired=False):
    """Print num / den against ``goal``; a ``retired`` goal is context."""
    value = num / den
    sign = '>=' if higher_is_better else '<='
    if retired:
        print('  => %-41s %6.2f   (context; the goal %s %.2f is retired)' % (
            label, value, sign, goal))
        return value
    ok = value >= goal if higher_is_better else value <= goal
    print('  => %-41s %6.2f   (goal %s %.2f: %s)' % (
        label, value, sign, goal, 'met' if ok else 'NOT met'))
    return value


def interleave(funcs, rounds, batch, warmup=2):
    """Time ``funcs`` (name -> f(n)) in alternating batches.

    Returns name -> [seconds per call, one per round]. The order flips
    every round so that drift on a noisy machine hits both sides alike.
    """
    names = list(funcs)
    for _ in range(warmup):
        for name in names:
            funcs[name](batch)
    samples = {name: [] for name in names}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            start = time.perf_counter()
            funcs[name](batch)
            samples[name].append((time.perf_counter() - start) / batch)
    return samples


def child_env():
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    return env


# ---------------------------------------------------------------- databases

class Database:
    """A throwaway database: a SQLite file, or one on the local server."""

    SERVERS = {
        'mysql': 'mysql+pymysql://root@127.0.0.1:3306',
        'postgresql': 'postgresql+psycopg2://postgres@127.0.0.1:5432',
    }

    def __init__(self, kind, state_path, name):
        self.kind = kind
        self.name = 'cbr_bench_%d_%s' % (os.getpid(), name)
        if kind == 'sqlite':
            self.url = 'sqlite:///%s/%s.sqlite' % (state_path, name)
        elif kind == 'mysql':
            self.url = '%s/%s?charset=utf8' % (self.SERVERS[kind], self.name)
        else:
            self.url = '%s/%s' % (self.SERVERS[kind], self.name)
        self.engine = None

    def _admin(self, statement):
        url = self.SERVERS[self.kind] + (
            '/postgres' if self.kind == 'postgresql' else '/')
        engine = sa.create_engine(url, isolation_level='AUTOCOMMIT')
        try:
            with engine.connect() as conn:
                conn.execute(sa.text(statement))
        finally:
            engine.dispose()

    def create(self):
        if self.kind != 'sqlite':
            self._admin('CREATE DATABASE %s' % self.name)
        # NOTE: oslo.db's engine (SQLite pragmas, MySQL sql_mode) as the
        # service itself would create it.
        self.engine = engines.create_engine(self.url)
        db_sqlite.tune(self.engine)
        migration.db_sync(self.engine)
        return self

    def drop(self):
        if self.engine is not None:
            self.engine.dispose()
        if self.kind != 'sqlite':
            self._admin('DROP DATABASE IF EXISTS %s' % self.name)

    def _seq(self, count):
        """(prefix, FROM clause) yielding n = 1..count."""
        if self.kind == 'sqlite':
            return ('WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT '
                    'n + 1 FROM seq WHERE n < %d) ' % count, 'FROM seq')
        if self.kind == 'mysql':
            # NOTE: MariaDB's Sequence engine: a virtual 1..N table.
            return '', 'FROM (SELECT seq AS n FROM seq_1_to_%d) AS s' % count
        return '', 'FROM generate_series(1, %d) AS s(n)' % count

    def _exprs(self):
        # NOTE: plain SQL text: SQLAlchemy escapes its % signs itself.
        text = 'CHAR' if self.kind == 'mysql' else 'VARCHAR'
        if self.kind == 'sqlite':
            uid = "printf('%%08x-0000-4000-%s-%%012x', n, n)"
            cat = lambda *p: ' || '.join(p)  # noqa: E731
            created = "datetime('2024-01-01', '+' || n || ' seconds')"
        elif self.kind == 'mysql':
            uid = ("LOWER(CONCAT(LPAD(HEX(n), 8, '0'), '-0000-4000-%s-', "
                   "LPAD(HEX(n), 12, '0')))")
            cat = lambda *p: 'CONCAT(%s)' % ', '.join(p)  # noqa: E731
            created = "TIMESTAMP('2024-01-01') + INTERVAL n SECOND"
        else:
            uid = ("lpad(to_hex(n), 8, '0') || '-0000-4000-%s-' || "
                   "lpad(to_hex(n), 12, '0')")
            cat = lambda *p: ' || '.join(p)  # noqa: E731
            created = "TIMESTAMP '2024-01-01' + n * INTERVAL '1 second'"
        return {
            'id': uid % '8000',
            'volume_id': uid % '9000',
            'user_id': "'filler'",
            # NOTE: one row in ten is the benchmark project's, the rest
            # spread over 500 others; one in seven is soft-deleted.
            'project_id': "CASE WHEN n %% 10 = 0 THEN '%s' ELSE %s END" % (
                PROJECT, cat("'project-'", 'CAST(n %% 500 AS %s(8))' % text)),
            'host': "'host@posix'",
            'availability_zone': "'nova'",
            'display_name': cat("'filler-'", 'CAST(n AS %s(12))' % text),
            'status': "'available'",
            'service': "'cinder.backup.drivers.posix.PosixBackupDriver'",
            'size': '1',
            'object_count': '1',
            'num_dependent_backups': '0',
            'created_at': created,
            'updated_at': created,
            'deleted': '(n % 7 = 0)',
        }

    def fill(self, count):
        """Bulk-insert ``count`` filler rows in one INSERT ... SELECT."""
        prefix, source = self._seq(count)
        exprs = self._exprs()
        sql = '%sINSERT INTO backups (%s) SELECT %s %s' % (
            prefix, ', '.join(exprs), ', '.join(exprs.values()), source)
        if self.kind == 'sqlite':
            # NOTE: SQLite wants the CTE after INSERT ... (columns).
            sql = 'INSERT INTO backups (%s) %sSELECT %s %s' % (
                ', '.join(exprs), prefix, ', '.join(exprs.values()), source)
        start = time.perf_counter()
        with self.engine.begin() as conn:
            conn.execute(sa.text(sql))
        if self.kind == 'postgresql':
            with self.engine.connect().execution_options(
                    isolation_level='AUTOCOMMIT') as conn:
                conn.execute(sa.text('VACUUM ANALYZE backups'))
        elif self.kind == 'mysql':
            with self.engine.begin() as conn:
                conn.execute(sa.text('ANALYZE TABLE backups'))
        else:
            with self.engine.begin() as conn:
                conn.execute(sa.text('ANALYZE'))
        return time.perf_counter() - start

    def count(self):
        with self.engine.connect() as conn:
            return conn.execute(sa.text('SELECT COUNT(*) FROM backups')
                                ).scalar()

    def explain_detail(self):
        """The plan of the detail listing's query (one page)."""
        # NOTE: the shape backup_get_all + paginate_query produce.
        query = ("SELECT id FROM backups WHERE deleted = %s AND "
                 "project_id = '%s' ORDER BY created_at DESC, id DESC "
                 "LIMIT %d" % ('false' if self.kind == 'postgresql' else '0',
                               PROJECT, DETAIL_LIMIT))
        prefix = {'sqlite': 'EXPLAIN QUERY PLAN ', 'mysql': 'EXPLAIN ',
                  'postgresql': 'EXPLAIN '}[self.kind]
        with self.engine.connect() as conn:
            rows = conn.execute(sa.text(prefix + query)).fetchall()
        if self.kind == 'sqlite':
            return [row[-1] for row in rows]
        if self.kind == 'mysql':
            return ['key=%s rows=%s extra=%s' % (r.key, r.rows, r.Extra)
                    for r in rows]
        return [row[0] for row in rows]

    def copy_rows(self, other, ids):
        """Copy backups ``ids`` from this database into ``other``."""
        table = models.Backup.__table__
        with self.engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                table.select().where(table.c.id.in_(ids)))]
        with other.engine.begin() as conn:
            conn.execute(table.insert(), rows)


# ------------------------------------------------------------------ backups

def posix_available():
    try:
        return importlib.util.find_spec(POSIX_MODULE) is not None
    except ImportError:
        return False


def _project_ids(db):
    table = models.Backup.__table__
    with db.engine.connect() as conn:
        return {r.id for r in conn.execute(
            sa.select(table.c.id).where(table.c.project_id == PROJECT)
            # NOTE: rows the manage command writes have no user_id, and
            # NULL != 'filler' is not true in SQL.
            .where(sa.or_(table.c.user_id.is_(None),
                          table.c.user_id != 'filler')))}


def create_posix_backups(db, config_file, state_path, count):
    """Write ``count`` real small backups with the manage command."""
    volume = os.path.join(state_path, 'volume.img')
    with open(volume, 'wb') as f:
        # NOTE: half random, half zeros: a 1 MiB volume that compresses
        # like a real one.
        f.write(os.urandom(512 * 1024) + bytes(512 * 1024))
    before = _project_ids(db)
    for i in range(count):
        subprocess.run(
            [sys.executable, '-m', 'cinder_backup_reset.cmd.manage',
             '--config-file', config_file, 'backup', 'create',
             '--volume-file', volume, '--project-id', PROJECT,
             '--name', 'bench-%d' % i],
            cwd=REPO, env=child_env(), check=True, capture_output=True)
    return sorted(_project_ids(db) - before)


def create_fake_backups(db, count):
    """Insert ``count`` rows that the fake driver will verify."""
    table = models.Backup.__table__
    now = timeutils.utcnow()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with db.engine.begin() as conn:
        conn.execute(table.insert(), [
            {'id': i, 'volume_id': str(uuid.uuid4()), 'user_id': 'admin',
             'project_id': PROJECT, 'status': 'available',
             'service': FAKE_SERVICE, 'size': 1, 'object_count': 1,
             'display_name': 'bench', 'created_at': now, 'updated_at': now,
             'deleted': False} for i in ids])
    return ids


def reset_body(status):
    return json.dumps({'backup-reset_status': {'status': status}}).encode()


class Toggle:
    """Alternate available/error so that every reset really writes."""

    def __init__(self, status='available'):
        self.status = status

    def next(self):
        self.status = 'error' if self.status == 'available' else 'available'
        return self.status


# --------------------------------------------------------------- in-process

class InProcess:
    """The paste pipeline loaded in this process, as load_app builds it."""

    def __init__(self, config_file, driver):
        from cinder_backup_reset import service
        from cinder_backup_reset import wsgi
        service.parse_args(['--config-file', config_file])
        self.app = wsgi.load_app(cfg.CONF)
        self.driver = driver

    def verified(self, ids):
        if self.driver == 'fake':
            from cinder_backup_reset.backup.drivers import fake
            for backup_id in ids:
                fake.FakeBackupDriver.outcomes[backup_id] = True

    def reset(self, backup_id, toggle, n):
        for _ in range(n):
            req = webob.Request.blank(
                '/v3/%s/backups/%s/action' % (PROJECT, backup_id),
                method='POST', headers=ADMIN_HEADERS,
                body=reset_body(toggle.next()))
            resp = req.get_response(self.app)
            if resp.status_int != 202:
                raise RuntimeError('reset answered %s: %s' % (
                    resp.status, resp.body[:300]))

    def detail(self, n):
        for _ in range(n):
            req = webob.Request.blank(
                '/v3/%s/backups/detail?limit=%d' % (PROJECT, DETAIL_LIMIT),
                headers=ADMIN_HEADERS)
            resp = req.get_response(self.app)
            if resp.status_int != 200:
                raise RuntimeError('detail answered %s: %s' % (
                    resp.status, resp.body[:300]))


def small_bench_args(description, default_db, argv=None):
    """--db, --rounds and --batch, for the single-purpose bench tools."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('--db', choices=('sqlite', 'mysql', 'postgresql'),
                        default=default_db)
    parser.add_argument('--rounds', type=int, default=40)
    parser.add_argument('--batch', type=int, default=20)
    return parser.parse_args(argv)


def print_against(samples, base, width, label, sign=1):
    """Each sample's median and ``label`` sign * (median - base median)."""
    reference = statistics.median(samples[base])
    for name, values in samples.items():
        median = statistics.median(values)
        extra = '' if name == base else '   %s %5.0f us' % (
            label, sign * (median - reference) * 1e6)
        print('  %-*s median %7.0f us%s' % (
            width, name, median * 1e6, extra))


@contextlib.contextmanager
def throwaway_database(kind, name):
    """A created Database and its state directory, dropped afterwards."""
    state_path = tempfile.mkdtemp(prefix='cbr-%s-' % name)
    db = Database(kind, state_path, name)
    try:
        db.create()
        yield db, state_path
    finally:
        # NOTE: the service's pooled connections would keep the database
        # busy (PostgreSQL refuses to drop it).
        db_api.dispose_engine()
        try:
            db.drop()
        except Exception as exc:
            print('could not drop %s: %s' % (db.name, exc), file=sys.stderr)
        shutil.rmtree(state_path, ignore_errors=True)


def sql_alternative(engine, backup_id):
    """The operator's ``update backups set status=...``, one transaction."""
    table = models.Backup.__table__
    toggle = Toggle()

    def run(n):
        for _ in range(n):
            with engine.begin() as conn:
                conn.execute(table.update().where(table.c.id == backup_id)
                             .values(status=toggle.next()))
    return run


@contextlib.contextmanager
def using_engine(engine):
    """Point the DB API at ``engine`` (as the test fixtures do)."""
    restore = db_api.main_context_manager.patch_engine(engine)
    try:
        yield
    finally:
        restore()


# -------------------------------------------------------------------- HTTP

class Served:
    """A server process on loopback, in its own session; ``port`` is set.

    ``argv`` is a callable given the port; the server's output goes to
    ``<state_path>/<name>.log``.
    """

    def __init__(self, name, argv, state_path, workers=1, env=None):
        self.port = free_port()
        self.name = name
        self.workers = workers
        self.log_path = os.path.join(state_path, self.name + '.log')
        self._log = open(self.log_path, 'wb')
        self.process = subprocess.Popen(
            argv(self.port), cwd=REPO, env=env or child_env(),
            stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def wait(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('%s exited:\n%s' % (self.name, self.log()))
            try:
                conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                                  timeout=2)
                conn.request('GET', '/')
                conn.getresponse().read()
                conn.close()
                return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError('%s did not answer:\n%s' % (self.name, self.log()))

    def worker_pids(self, timeout=30):
        """The workers' pids, once all of them are there.

        NOTE: the master forks them one after the other; the first may
        answer before the last exists.
        """
        master = self.process.pid
        deadline = time.monotonic() + timeout
        while True:
            pids = [pid for pid in loadgen.process_group(master)
                    if pid != master]
            if len(pids) >= self.workers or time.monotonic() > deadline:
                return pids
            time.sleep(0.1)

    def log(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')[-3000:]

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(15)
        self._log.close()


class Server(Served):
    """``tools/bench_bare_app.py`` (the API or the bare app) on loopback."""

    def __init__(self, app, base_config, state_path, workers, extra_env=None):
        name = '%s-%dw' % (app, workers)
        self.config_file = os.path.join(state_path, name + '.conf')

        def argv(port):
            config = {k: dict(v) for k, v in base_config.items()}
            config['DEFAULT'].update({
                'osapi_volume_listen': '127.0.0.1',
                'osapi_volume_listen_port': port,
                'osapi_volume_workers': workers,
                'graceful_shutdown_timeout': 5})
            config['DEFAULT'].pop('log_file', None)
            write_config(self.config_file, config)
            return [sys.executable,
                    os.path.join(REPO, 'tools', 'bench_bare_app.py'),
                    '--config-file', self.config_file]

        env = child_env()
        env['CBR_BENCH_APP'] = app
        env.update(extra_env or {})
        super().__init__(name, argv, state_path, workers, env)


def reset_connection(port, backup_id, status='available'):
    """One keep-alive connection resetting one backup back and forth.

    Its requests are built once; its ``label`` is the backup's status
    after the last reset answered.
    """
    path = '/v3/%s/backups/%s/action' % (PROJECT, backup_id)
    toggle = Toggle(status)
    order = (toggle.next(), toggle.next())
    return loadgen.Connection(
        port, [loadgen.request_bytes(port, 'POST', path, ADMIN_HEADERS,
                                     reset_body(s)) for s in order],
        labels=order, initial=status)


def spread_connections(server, statuses):
    """One reset connection per backup, as many on each worker.

    NOTE: a worker keeps the keep-alive connections it accepts, and
    whichever worker wakes up first may accept several in a row: left
    alone, four connections split 2/2 over two workers in 12 of 30
    tries, 3/1 in 10 and 4/0 in 8, so the 2-worker figure measured one
    worker (or one and a third) as often as two. A connection that
    lands on a worker which already has its share is closed and opened
    again (after one reset, so that a worker has surely accepted it).
    Returns the connections and the number on each worker.
    """
    workers = server.worker_pids()
    share = -(-len(statuses) // max(len(workers), 1))
    count = dict.fromkeys(workers, 0)
    conns = []
    tries = 10 * len(statuses)
    try:
        for backup_id in statuses:
            while True:
                conn = reset_connection(server.port, backup_id,
                                        statuses[backup_id])
                conn.run(1)
                statuses[backup_id] = conn.label
                owner = loadgen.owners([conn], workers)[0]
                tries -= 1
                if count.get(owner, 0) < share or tries <= 0:
                    break
                conn.close()
            conns.append(conn)
            if owner in count:
                count[owner] += 1
    except BaseException:
        for conn in conns:
            conn.close()
        raise
    return conns, sorted(count.values(), reverse=True)


def throughput(server, statuses, duration, db_port=None, warmup=0.25):
    """One window of len(statuses) concurrent clients on ``server``.

    Every client is a keep-alive connection of this one process
    (tools/bench_loadgen.py) resetting its own backup; ``statuses`` is
    updated. Returns a dict: requests/s, the load generator's CPU as a
    share of the window, the CPU seconds per request of the server and
    of the database server listening on ``db_port`` (None without one),
    the busy share of the host's CPUs and the part of it none of them
    used, the connections on each worker and each worker's share of the
    workers' CPU.
    """
    conns, spread = spread_connections(server, statuses)
    try:
        # NOTE: let the workers open their database connections and
        # start their threads before the clock starts.
        loadgen.drive(conns, warmup)
        pids = [server.process.pid] + server.worker_pids()
        db_pids = loadgen.listener(db_port) if db_port else []
        window = loadgen.drive(
            conns, duration,
            probe=lambda: (loadgen.cpu_seconds(pids + db_pids),
                           loadgen.host_cpu()))
    finally:
        for conn in conns:
            conn.close()
    for backup_id, conn in zip(statuses, conns):
        statuses[backup_id] = conn.label
    (cpu0, host0), (cpu1, host1) = window.before, window.after
    # NOTE: a process gone during the window reads 0 at its end.
    used = {pid: max(cpu1[pid] - cpu0[pid], 0.0) for pid in pids + db_pids}
    server_cpu = sum(used[pid] for pid in pids)
    db_cpu = sum(used[pid] for pid in db_pids)
    workers = sorted((used[pid] for pid in pids
                      if pid != server.process.pid), reverse=True)
    requests = max(window.requests, 1)
    host = (host1[0] - host0[0]) / max(host1[1] - host0[1], 1)
    capacity = window.seconds * (os.cpu_count() or 1)
    return {
        'rate': window.rate,
        'client': window.client_cpu / window.seconds,
        'server': server_cpu / requests,
        'database': db_cpu / requests if db_pids else None,
        'host': host,
        'others': host - (server_cpu + db_cpu + window.client_cpu) / capacity,
        'spread': spread,
        'split': [w / (sum(workers) or 1) for w in workers],
    }


# --------------------------------------------------------------- sections

def section_inproc(plan, inproc, db, backup_id, sql_id):
    print('\n[1] in-process: full paste pipeline vs the SQL alternative')
    sql_engine = sa.create_engine(db.url)
    toggle = Toggle()
    rounds, batch = plan['inproc']
    samples = interleave({
        'api': lambda n: inproc.reset(backup_id, toggle, n),
        'sql': sql_alternative(sql_engine, sql_id),
    }, rounds, batch)
    sql_engine.dispose()
    api = show('reset through the API (per request)', samples['api'])
    sql = show('UPDATE backups SET status (per txn)', samples['sql'])
    ratio('API / SQL', api, sql, 3.0, retired=True)
    return toggle.status


def section_http(plan, base_config, state_path, driver, ids, statuses,
                 db=None, sql_id=None):
    # NOTE: the in-process section parsed the same config file.
    print('\n[2] HTTP: the API server vs a bare webob app, same gunicorn '
          '(threads per worker: %d)' % cfg.CONF.wsgi_default_pool_size)
    env = {}
    if driver == 'fake':
        env['CBR_BENCH_FAKE_VERIFIED'] = ','.join(ids)
    servers = {}
    try:
        for app, workers in (('api', 1), ('bare', 1), ('api', 2)):
            servers[app, workers] = Server(app, base_config, state_path,
                                           workers, env)
        for server in servers.values():
            server.wait()
        seq_id = ids[0]
        api = reset_connection(servers['api', 1].port, seq_id,
                               statuses[seq_id])
        bare = reset_connection(servers['bare', 1].port, seq_id)
        rounds, batch = plan['http']
        funcs = {'api': api.run, 'bare': bare.run}
        sql_engine = None
        if db is not None:
            # NOTE: the SQL alternative's transaction, interleaved with
            # the HTTP batches, gives the floor below.
            sql_engine = sa.create_engine(db.url)
            funcs['sql'] = sql_alternative(sql_engine, sql_id)
        try:
            samples = interleave(funcs, rounds, batch)
        finally:
            api.close()
            bare.close()
            if sql_engine is not None:
                sql_engine.dispose()
        statuses[seq_id] = api.label
        a = show('sequential keep-alive reset, API', samples['api'])
        b = show('sequential keep-alive POST, bare app', samples['bare'])
        ratio('API / bare', a, b, 2.5, retired=True)
        if sql_engine is not None:
            s = show('UPDATE backups SET status (per txn)', samples['sql'])
            floor = (b + s) / b
            # NOTE: any reset that commits durably costs at least an HTTP
            # exchange plus the SQL alternative's transaction; below
            # this figure no implementation can go.
            print('  => %-41s %6.2f' % ('floor: (bare + SQL txn) / bare',
                                        floor))

        clients = {i: statuses[i] for i in ids[1:1 + CLIENTS]}
        rounds, duration = plan['tput']
        db_port = None
        url = sa.engine.make_url(base_config['database']['connection'])
        if not url.drivername.startswith('sqlite'):
            db_port = url.port or {'mysql': 3306, 'postgresql': 5432}.get(
                url.get_backend_name())
        runs = {1: [], 2: []}
        for r in range(rounds):
            for workers in ((1, 2) if r % 2 == 0 else (2, 1)):
                runs[workers].append(throughput(
                    servers['api', workers], clients, duration, db_port))
        statuses.update(clients)
        print('  %d clients (keep-alive connections of one process, one '
              'request in flight each),' % len(clients))
        print('  %d windows of %.1f s each' % (rounds, duration))
        rps = {w: [run['rate'] for run in runs[w]] for w in runs}
        one = show('requests/s, 1 worker', rps[1], unit='req/s', scale=1)
        two = show('requests/s, 2 workers', rps[2], unit='req/s', scale=1)
        ratio('2 workers / 1 worker', two, one, 1.7, higher_is_better=True)
        print('  CPU used during the windows:')
        cpus = '%% of %d CPUs' % os.cpu_count()
        for key, label, unit, scale in (
                ('client', 'load generator CPU, %s (% of window)', '%', 100),
                ('server', 'server CPU per request, %s', 'ms', 1000),
                ('database', 'database CPU per request, %s', 'ms', 1000),
                ('host', 'host CPU busy, %s (' + cpus + ')', '%', 100),
                ('others', 'other processes, %s (' + cpus + ')', '%', 100)):
            if runs[1][0][key] is None:
                continue
            for workers in (1, 2):
                show(label.replace('%s', '%d worker%s' % (
                    workers, 's' if workers > 1 else '')),
                    [run[key] for run in runs[workers]], unit=unit,
                    scale=scale)
        busy = max(statistics.median(run['others'] for run in runs[w])
                   for w in runs)
        if busy > 0.1:
            print('  NOTE: %.0f%% of the host\'s CPU went to other '
                  'processes (neither the server, its\n  database server '
                  'nor the load generator): the figures are not the '
                  'server\'s alone.' % (busy * 100))
        print('  2 workers, connections on each, per window:  %s' % ', '.join(
            '/'.join(map(str, run['spread'])) for run in runs[2]))
        print('  2 workers, share of their CPU, per window:   %s' % ', '.join(
            '/'.join('%.0f' % (share * 100) for share in run['split'])
            for run in runs[2]))
    finally:
        for server in servers.values():
            server.stop()


def section_scale(plan, inproc, small, large, backup_id, statuses):
    print('\n[3] scale: %d rows vs %d rows' % (large.count(), small.count()))
    print('  detail query plan with %d rows (%s):' % (large.count(),
                                                      large.kind))
    for line in large.explain_detail():
        print('    %s' % line)
    toggles = {'small': Toggle(statuses[backup_id]), 'large': Toggle()}

    def on(db, fn):
        def run(n):
            with using_engine(db.engine):
                fn(n)
        return run

    rounds, batch = plan['scale_reset']
    samples = interleave({
        'small': on(small, lambda n: inproc.reset(backup_id,
                                                  toggles['small'], n)),
        'large': on(large, lambda n: inproc.reset(backup_id,
                                                  toggles['large'], n)),
    }, rounds, batch)
    statuses[backup_id] = toggles['small'].status
    s = show('reset, small table', samples['small'])
    lg = show('reset, large table', samples['large'])
    ratio('reset large / small', lg, s, 1.2)

    rounds, batch = plan['scale_detail']
    samples = interleave({'small': on(small, inproc.detail),
                          'large': on(large, inproc.detail)}, rounds, batch)
    s = show('detail?limit=%d, small table' % DETAIL_LIMIT, samples['small'])
    lg = show('detail?limit=%d, large table' % DETAIL_LIMIT,
              samples['large'])
    ratio('detail large / small', lg, s, 1.5)


def ab_worker(inproc, backup_id):
    """Serve tools/bench_ab.py: run the batches it asks for on stdin.

    Each line ``N`` runs N in-process resets and answers
    ``<wall s per reset> <cpu s per reset>``; an empty line ends.
    """
    toggle = Toggle()
    inproc.reset(backup_id, toggle, 20)
    print('ready', flush=True)
    for line in sys.stdin:
        if not line.strip():
            break
        n = int(line)
        wall, cpu = time.perf_counter(), time.process_time()
        inproc.reset(backup_id, toggle, n)
        print('%.9f %.9f' % ((time.perf_counter() - wall) / n,
                             (time.process_time() - cpu) / n), flush=True)


def profile(inproc, backup_id, n, sort):
    """cProfile ``n`` in-process resets; print the top functions."""
    toggle = Toggle()
    inproc.reset(backup_id, toggle, 10)
    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    inproc.reset(backup_id, toggle, n)
    prof.disable()
    elapsed = time.perf_counter() - start
    print('\n[profile] %d resets, %.3f ms each under cProfile' % (
        n, elapsed / n * 1000))
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats(sort).print_stats(35)
    print(out.getvalue())


# --------------------------------------------------------------------- main

def vs_cinder(args):
    """tools/bench_vs_cinder.py in a state directory of its own."""
    import bench_vs_cinder
    print('cinder-backup-reset reset benchmark against Cinder')
    print('machine: %s' % machine())
    state_path = tempfile.mkdtemp(prefix='cbr-vs-cinder-', dir=args.tmpdir)
    try:
        return bench_vs_cinder.main(args, state_path)
    finally:
        if args.keep:
            print('state kept in %s' % state_path)
        else:
            shutil.rmtree(state_path, ignore_errors=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--db', choices=('sqlite', 'mysql', 'postgresql'),
                        default='sqlite')
    parser.add_argument('--quick', action='store_true',
                        help='fewer repetitions and 100,000 rows (< 1 min)')
    parser.add_argument('--only', action='append',
                        choices=('inproc', 'http', 'scale'),
                        help='run only these sections (repeatable)')
    parser.add_argument('--profile', type=int, metavar='N',
                        help='cProfile N in-process resets and stop')
    parser.add_argument('--ab-worker', action='store_true',
                        help=argparse.SUPPRESS)
    parser.add_argument('--sort', default='cumulative',
                        help='pstats sort key for --profile')
    parser.add_argument('--tmpdir',
                        help='where the state directory (SQLite files, '
                             'backups) goes; default: $TMPDIR or /tmp')
    parser.add_argument('--keep', action='store_true',
                        help='keep the state directory (and print it)')
    parser.add_argument('--threads', type=int, metavar='N',
                        help='[DEFAULT] wsgi_default_pool_size of the HTTP '
                             "servers (default: the service's)")
    vs = parser.add_argument_group(
        'against Cinder', 'our HTTP reset and real Cinder\'s os-reset_status '
        'on one SQLite file (tools/bench_vs_cinder.py)')
    vs.add_argument('--vs-cinder', action='store_true',
                    help='run only this comparison')
    vs.add_argument('--rounds', type=int, default=20,
                    help='batches per side (default: 20)')
    vs.add_argument('--batch', type=int, default=50,
                    help='resets per batch (default: 50)')
    vs.add_argument('--target', action='append',
                    choices=('error', 'available'),
                    help='reset to this status (repeatable; default: both)')
    vs.add_argument('--cinder-python', metavar='PATH',
                    help='a Python with cinder installed (default: '
                         '.tox/interop/bin/python)')
    vs.add_argument('--cinder-transport', default='fake://',
                    help="Cinder's oslo.messaging transport_url (default: "
                         'fake://, in-process)')
    args = parser.parse_args(argv)
    if args.vs_cinder:
        return vs_cinder(args)
    plan = PLANS['quick' if args.quick else 'full']
    sections = set(args.only or ('inproc', 'http', 'scale'))
    driver = 'posix' if posix_available() else 'fake'

    # NOTE: an A/B worker's stdout is its protocol.
    out = sys.stderr if args.ab_worker else sys.stdout
    print('cinder-backup-reset reset benchmark (%s run)' % (
        'quick' if args.quick else 'full'), file=out)
    print('machine: %s' % machine(), file=out)
    print('database: %s; state in %s; backup driver: %s%s' % (
        args.db, args.tmpdir or tempfile.gettempdir(), driver,
        '' if driver == 'posix' else
        ' (%s is not importable; rerun when it lands)' % POSIX_MODULE),
        file=out)

    state_path = tempfile.mkdtemp(prefix='cbr-bench-', dir=args.tmpdir)
    started = time.monotonic()
    small = Database(args.db, state_path, 'small')
    large = Database(args.db, state_path, 'large')
    try:
        small.create()
        base_config = {
            'DEFAULT': {'auth_strategy': 'noauth', 'state_path': state_path,
                        'backup_driver': driver,
                        'backup_posix_path': os.path.join(state_path,
                                                          'backup'),
                        'log_file': os.path.join(state_path, 'bench.log')},
            'database': {'connection': small.url},
        }
        if args.threads:
            base_config['DEFAULT']['wsgi_default_pool_size'] = args.threads
        config_file = os.path.join(state_path, 'bench.conf')
        write_config(config_file, base_config)

        needed = 1 + CLIENTS
        if driver == 'posix':
            ids = create_posix_backups(small, config_file, state_path,
                                       needed)
        else:
            ids = create_fake_backups(small, needed)
        sql_id = create_fake_backups(small, 1)[0]
        filled = small.fill(plan['small_rows'] - small.count())
        print('small database: %d rows (filled in %.1f s)' % (
            small.count(), filled), file=out)
        statuses = {i: 'available' for i in ids}

        inproc = InProcess(config_file, driver)
        inproc.verified(ids)
        if args.profile:
            profile(inproc, ids[0], args.profile, args.sort)
            return 0
        if args.ab_worker:
            ab_worker(inproc, ids[0])
            return 0
        if 'inproc' in sections:
            statuses[ids[0]] = section_inproc(plan, inproc, small, ids[0],
                                              sql_id)
        if 'http' in sections:
            section_http(plan, base_config, state_path, driver, ids,
                         statuses, small, sql_id)
        if 'scale' in sections:
            large.create()
            filled = large.fill(plan['large_rows'])
            small.copy_rows(large, [ids[0]])
            print('\nlarge database: %d rows (filled in %.1f s)' % (
                large.count(), filled))
            section_scale(plan, inproc, small, large, ids[0], statuses)
        print('\ntotal time %.0f s' % (time.monotonic() - started))
        return 0
    finally:
        # NOTE: the service's own pooled connections would keep the
        # throwaway databases busy (PostgreSQL refuses to drop them).
        db_api.dispose_engine()
        for db in (small, large):
            if db.engine is None:
                continue
            try:
                db.drop()
            except Exception as exc:
                print('could not drop %s: %s' % (db.name, exc),
                      file=sys.stderr)
        if args.keep:
            print('state kept in %s' % state_path)
        else:
            shutil.rmtree(state_path, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
