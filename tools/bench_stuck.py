#!/usr/bin/env python3
"""Benchmarks of the stuck report and the bulk reset.

Prints ratios of things measured side by side in one run, never absolute
pass/fail times: the machine is shared.

1. the stuck report, ``GET backups/detail?stuck=true&all_tenants=1&
   limit=50`` in process through the paste pipeline, with 10,000 stuck
   backups among 1,000,000 rows versus the same report with 1,000 rows
   (100 stuck, so that both pages are full: 50 backups) (goals: ratio
   <= 1.2, and under 100 ms on MariaDB and PostgreSQL); then the large
   report again without the index on (deleted, status, created_at, id),
   as on a Cinder database whose operator has not added it;
2. the bulk reset of N stuck backups to ``error`` in one ``POST
   backups/action`` versus N single ``backup-reset_status`` calls over
   HTTP against the same real server, taking turns (goals: >= 1,000
   backups/s, and >= 5 x the single calls).

Usage::

    python tools/bench_stuck.py [--db sqlite|mysql|postgresql] [--quick]
        [--only report|bulk]

See doc/source/admin/performance.rst.
"""

import argparse
import datetime
import http.client
import json
import os
import shutil
import sys
import tempfile
import time

import bench_reset as br  # noqa: I100 (tools/ is on sys.path)
import sqlalchemy as sa
import webob

from cinder_backup_reset.db import cinder_tables

PLANS = {
    'full': {'large_rows': 1000000, 'large_stuck_every': 100,
             'small_rows': 1000, 'small_stuck_every': 10,
             'report': (20, 3), 'unindexed': (5, 1), 'bulk': 10000,
             'bulk_rounds': 2},
    'quick': {'large_rows': 100000, 'large_stuck_every': 100,
              'small_rows': 1000, 'small_stuck_every': 10,
              'report': (6, 2), 'unindexed': (3, 1), 'bulk': 1000,
              'bulk_rounds': 1},
}
REPORT_LIMIT = 50
#: the migration's index of the stuck report (8e3f4a5b6c7d)
STUCK_INDEX = 'backups_deleted_status_created_at_id_idx'


class StuckDatabase(br.Database):
    """The benchmark database, one row in ``every`` stuck ``creating``."""

    def __init__(self, kind, state_path, name, every=100):
        super().__init__(kind, state_path, name)
        self.every = every

    def _exprs(self):
        exprs = super()._exprs()
        exprs['status'] = (
            "CASE WHEN n %% %d = 1 THEN 'creating' ELSE 'available' END"
            % self.every)
        # NOTE: one row in seven is soft-deleted, never a stuck one, so
        # that exactly rows / every are stuck.
        exprs['deleted'] = '(n %% 7 = 0 AND n %% %d <> 1)' % self.every
        return exprs

    def stuck_count(self):
        table = br.models.Backup.__table__
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).where(
                table.c.status == 'creating',
                table.c.deleted == sa.false())).scalar()


def report(inproc, n):
    for _ in range(n):
        req = webob.Request.blank(
            '/v3/%s/backups/detail?stuck=true&all_tenants=1&limit=%d'
            % (br.PROJECT, REPORT_LIMIT), headers=br.ADMIN_HEADERS)
        resp = req.get_response(inproc.app)
        if resp.status_int != 200:
            raise RuntimeError('report answered %s: %s' % (
                resp.status, resp.body[:300]))
        listed = len(json.loads(resp.body)['backups'])
        if listed != min(REPORT_LIMIT, inproc.expect):
            raise RuntimeError('report listed the wrong backups')


def section_report(plan, args, state_path, base_config):
    small = StuckDatabase(args.db, state_path, 'stuck_small',
                          plan['small_stuck_every'])
    large = StuckDatabase(args.db, state_path, 'stuck_large',
                          plan['large_stuck_every'])
    try:
        small.create()
        small.fill(plan['small_rows'])
        large.create()
        filled = large.fill(plan['large_rows'])
        print('\n[1] stuck report: %d rows (%d stuck) vs %d rows (%d stuck)'
              ' (filled in %.1f s)' % (large.count(), large.stuck_count(),
                                       small.count(), small.stuck_count(),
                                       filled))
        config = {k: dict(v) for k, v in base_config.items()}
        config['database'] = {'connection': small.url}
        config_file = os.path.join(state_path, 'report.conf')
        br.write_config(config_file, config)
        inproc = br.InProcess(config_file, 'fake')

        def on(db):
            def run(n):
                inproc.expect = db.stuck_count_cached
                with br.using_engine(db.engine):
                    report(inproc, n)
            return run

        for db in (small, large):
            db.stuck_count_cached = db.stuck_count()
        rounds, batch = plan['report']
        samples = br.interleave({'small': on(small), 'large': on(large)},
                                rounds, batch)
        s = br.show('report, small table', samples['small'])
        lg = br.show('report, large table', samples['large'])
        br.ratio('report large / small', lg, s, 1.2)
        if args.db != 'sqlite':
            print('  => %-41s %6.1f ms (goal < 100 ms: %s)' % (
                'report, large table', lg * 1000,
                'met' if lg < 0.1 else 'NOT met'))
        # NOTE: last, since it changes the large table: what a Cinder
        # database gives without the index its operator may add
        # (doc/source/admin/cinder-database.rst).
        with large.engine.begin() as conn:
            table = sa.Table('backups', sa.MetaData(), autoload_with=conn)
            [index] = [ix for ix in table.indexes if ix.name == STUCK_INDEX]
            index.drop(conn)
        cinder_tables.forget(large.engine)
        rounds, batch = plan['unindexed']
        samples = br.interleave({'large': on(large)}, rounds, batch,
                                warmup=1)
        bare = br.show('report, large table without the index',
                       samples['large'])
        print('  => %-41s %6.2f' % ('without the index / small', bare / s))
    finally:
        br.db_api.dispose_engine()
        for db in (small, large):
            if db.engine is not None:
                db.drop()


def _post(conn, path, body):
    conn.request('POST', path, body=json.dumps(body).encode(),
                 headers=br.ADMIN_HEADERS)
    resp = conn.getresponse()
    data = resp.read()
    return resp.status, data


def _make_stuck(db, count):
    """``count`` stuck backups (creating, two hours without progress)."""
    table = br.models.Backup.__table__
    old = br.timeutils.utcnow() - datetime.timedelta(hours=2)
    ids = ['%08x-1111-4000-8000-%012x' % (time.time_ns() % 2 ** 32, n)
           for n in range(count)]
    with db.engine.begin() as conn:
        conn.execute(table.insert(), [
            {'id': i, 'volume_id': i, 'project_id': br.PROJECT,
             'user_id': 'bench', 'status': 'creating', 'host': 'dead',
             'service': br.FAKE_SERVICE, 'deleted': False,
             'created_at': old, 'updated_at': old} for i in ids])
    return ids


def section_bulk(plan, args, state_path, base_config):
    db = StuckDatabase(args.db, state_path, 'bulk')
    server = None
    try:
        db.create()
        config = {k: dict(v) for k, v in base_config.items()}
        config['database'] = {'connection': db.url}
        server = br.Server('api', config, state_path, 1).wait()
        n = plan['bulk']
        print('\n[2] bulk reset of %d stuck backups vs %d single calls '
              '(HTTP, one server, %s)' % (n, n, args.db))
        bulk_rates, single_rates = [], []
        for r in range(plan['bulk_rounds']):
            for kind in (('bulk', 'single') if r % 2 == 0
                         else ('single', 'bulk')):
                ids = _make_stuck(db, n)
                conn = http.client.HTTPConnection('127.0.0.1', server.port,
                                                  timeout=600)
                start = time.perf_counter()
                if kind == 'bulk':
                    status, data = _post(
                        conn, '/v3/%s/backups/action' % br.PROJECT,
                        {'backup-reset_status': {
                            'status': 'error', 'max': n,
                            'filter': {'stuck': True,
                                       'all_tenants': True}}})
                    answer = json.loads(data)
                    if status != 200 or answer['matched'] != n:
                        raise RuntimeError('bulk answered %s: %s' % (
                            status, data[:300]))
                else:
                    for backup_id in ids:
                        status, data = _post(
                            conn, '/v3/%s/backups/%s/action'
                            % (br.PROJECT, backup_id),
                            {'backup-reset_status': {'status': 'error'}})
                        if status != 202:
                            raise RuntimeError('reset answered %s: %s' % (
                                status, data[:300]))
                elapsed = time.perf_counter() - start
                conn.close()
                (bulk_rates if kind == 'bulk' else single_rates).append(
                    n / elapsed)
                print('  %-8s %7.0f backups/s' % (kind, n / elapsed))
        bulk_rate = max(bulk_rates)
        single_rate = max(single_rates)
        print('  => %-41s %6.0f /s (goal >= 1000: %s)' % (
            'bulk reset rate', bulk_rate,
            'met' if bulk_rate >= 1000 else 'NOT met'))
        br.ratio('bulk / single calls', bulk_rate, single_rate, 5,
                 higher_is_better=True)
    finally:
        if server is not None:
            server.stop()
        br.db_api.dispose_engine()
        if db.engine is not None:
            db.drop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--db', choices=('sqlite', 'mysql', 'postgresql'),
                        default='sqlite')
    parser.add_argument('--quick', action='store_true',
                        help='100,000 rows and 1,000 backups (< 1 min)')
    parser.add_argument('--only', action='append',
                        choices=('report', 'bulk'))
    parser.add_argument('--tmpdir')
    args = parser.parse_args(argv)
    plan = PLANS['quick' if args.quick else 'full']
    sections = set(args.only or ('report', 'bulk'))
    print('cinder-backup-reset stuck/bulk benchmark (%s run)' % (
        'quick' if args.quick else 'full'))
    print('machine: %s' % br.machine())
    print('load average at start: %.2f %.2f %.2f' % os.getloadavg())
    state_path = tempfile.mkdtemp(prefix='cbr-bench-stuck-',
                                  dir=args.tmpdir)
    base_config = {
        'DEFAULT': {'auth_strategy': 'noauth', 'state_path': state_path,
                    'backup_driver': 'fake',
                    'log_file': os.path.join(state_path, 'bench.log')},
        'database': {'connection': 'sqlite:///%s/unused.sqlite'
                                   % state_path},
    }
    started = time.monotonic()
    try:
        if 'report' in sections:
            section_report(plan, args, state_path, base_config)
        if 'bulk' in sections:
            section_bulk(plan, args, state_path, base_config)
    finally:
        # NOTE: the SQLite databases (a million rows) and the log.
        shutil.rmtree(state_path, ignore_errors=True)
    print('\nload average at end: %.2f %.2f %.2f' % os.getloadavg())
    print('total time %.0f s' % (time.monotonic() - started))
    return 0


if __name__ == '__main__':
    sys.exit(main())
