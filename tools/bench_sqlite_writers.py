#!/usr/bin/env python3
"""SQLite writers with and without the service's write lock, side by side.

    python tools/bench_sqlite_writers.py [--processes 2] [--threads 3]
                                         [--seconds 3] [--rounds 3]

Each round runs the same workload twice, in alternating order: PROCESSES
processes x THREADS threads commit ``UPDATE`` + ``INSERT`` transactions
flat out on one WAL database file (tuned by cinder_backup_reset.db.sqlite,
as the service's is), once bare (SQLite's own busy handler decides who
waits, sleeping 1, 2, 5, 10 ... ms between attempts) and once inside
``sqlite.write_lock`` (oslo.concurrency's inter-process lock). Prints
commits/s and the latency of a commit (p50, p99, max) for both, and the
ratios.
"""

import argparse
import contextlib
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time

from oslo_db.sqlalchemy import engines

from cinder_backup_reset.db import sqlite


def _engine(path):
    engine = engines.create_engine('sqlite:///' + path)
    sqlite.tune(engine)
    return engine


def _process(path, locked, threads, seconds, start, results):
    engine = _engine(path)
    latencies = []

    def writer(n):
        key = '%d-%d' % (os.getpid(), n)
        with engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO b VALUES ('%s', 'a')" % key)
        start.wait()
        deadline = time.monotonic() + seconds
        status = 'a'
        while time.monotonic() < deadline:
            status = 'b' if status == 'a' else 'a'
            began = time.perf_counter()
            guard = (sqlite.write_lock(engine) if locked
                     else contextlib.nullcontext())
            with guard:
                with engine.begin() as conn:
                    conn.exec_driver_sql(
                        "UPDATE b SET s = '%s' WHERE id = '%s'"
                        % (status, key))
                    conn.exec_driver_sql(
                        "INSERT INTO h (bid) VALUES ('%s')" % key)
            latencies.append(time.perf_counter() - began)

    pool = [threading.Thread(target=writer, args=(n,))
            for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    engine.dispose()
    results.put(latencies)


def run(tmpdir, locked, processes, threads, seconds):
    path = os.path.join(tmpdir, 'writers-%s.sqlite' % (
        'locked' if locked else 'bare'))
    for suffix in ('', '-wal', '-shm', '.lock'):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    engine = _engine(path)
    with engine.begin() as conn:
        conn.exec_driver_sql('CREATE TABLE b (id TEXT PRIMARY KEY, s TEXT)')
        conn.exec_driver_sql('CREATE TABLE h (id INTEGER PRIMARY KEY, '
                             'bid TEXT)')
    engine.dispose()
    ctx = multiprocessing.get_context('fork')
    start, results = ctx.Barrier(processes * threads), ctx.Queue()
    procs = [ctx.Process(target=_process, args=(
        path, locked, threads, seconds, start, results))
        for _ in range(processes)]
    for proc in procs:
        proc.start()
    latencies = sorted(sum((results.get(timeout=seconds + 120)
                            for _ in procs), []))
    for proc in procs:
        proc.join()
    return {'rate': len(latencies) / seconds,
            'p50': latencies[len(latencies) // 2] * 1000,
            'p99': latencies[int(len(latencies) * 0.99)] * 1000,
            'max': latencies[-1] * 1000}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--processes', type=int, default=2)
    parser.add_argument('--threads', type=int, default=3)
    parser.add_argument('--seconds', type=float, default=3.0)
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args(argv)
    runs = {False: [], True: []}
    with tempfile.TemporaryDirectory(prefix='cbr-writers-') as tmpdir:
        for n in range(args.rounds):
            order = (False, True) if n % 2 == 0 else (True, False)
            for locked in order:
                runs[locked].append(run(tmpdir, locked, args.processes,
                                        args.threads, args.seconds))
    print('%d processes x %d threads, %d rounds of %.0f s each' % (
        args.processes, args.threads, args.rounds, args.seconds))
    medians = {}
    for locked, label in ((False, 'SQLite busy handler'),
                          (True, 'write lock')):
        medians[locked] = {key: statistics.median(r[key] for r in runs[locked])
                           for key in ('rate', 'p50', 'p99', 'max')}
        m = medians[locked]
        print('  %-20s %7.0f commits/s  p50 %6.2f ms  p99 %7.2f ms  '
              'max %8.1f ms' % (label, m['rate'], m['p50'], m['p99'],
                                m['max']))
    lock, bare = medians[True], medians[False]
    print('  => lock / busy handler: commits/s %.2f, p99 %.2f, max %.2f' % (
        lock['rate'] / bare['rate'], lock['p99'] / bare['p99'],
        lock['max'] / bare['max']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
