#!/usr/bin/env python3
"""Compare the in-process reset cost of two source trees, interleaved.

    python tools/bench_ab.py BEFORE_TREE AFTER_TREE [--db D] [--rounds N]

Each tree's ``tools/bench_reset.py --ab-worker`` loads its own copy of the
service (own throwaway database) and waits; this script asks them for
batches of resets in turn, flipping the order every round, so that the
noise of a shared machine hits both alike. Prints median/min wall and CPU
time per reset and the after/before ratios. A tree is typically made with
``git worktree add`` or ``git archive <commit> | tar -x -C DIR`` (copy
this tools/ directory into it if the commit predates --ab-worker).
"""

import argparse
import os
import statistics
import subprocess
import sys


def start(tree, db, tmpdir):
    cmd = [sys.executable, os.path.join(tree, 'tools', 'bench_reset.py'),
           '--ab-worker', '--db', db]
    if tmpdir:
        cmd += ['--tmpdir', tmpdir]
    env = dict(os.environ, PYTHONPATH=tree)
    proc = subprocess.Popen(cmd, cwd=tree, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    line = proc.stdout.readline()
    if line.strip() != 'ready':
        raise RuntimeError('%s did not start: %r' % (tree, line))
    return proc


def batch(proc, n):
    proc.stdin.write('%d\n' % n)
    proc.stdin.flush()
    wall, cpu = proc.stdout.readline().split()
    return float(wall), float(cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('before')
    parser.add_argument('after')
    parser.add_argument('--db', default='sqlite',
                        choices=('sqlite', 'mysql', 'postgresql'))
    parser.add_argument('--rounds', type=int, default=40)
    parser.add_argument('--batch', type=int, default=10)
    parser.add_argument('--tmpdir')
    args = parser.parse_args(argv)
    procs = {'before': start(args.before, args.db, args.tmpdir),
             'after': start(args.after, args.db, args.tmpdir)}
    samples = {name: [] for name in procs}
    try:
        for r in range(args.rounds):
            for name in (('before', 'after') if r % 2 == 0
                         else ('after', 'before')):
                samples[name].append(batch(procs[name], args.batch))
    finally:
        for proc in procs.values():
            proc.stdin.write('\n')
            proc.stdin.close()
            proc.wait()
    result = {}
    print('in-process reset, %s, %d rounds of %d resets' % (
        args.db, args.rounds, args.batch))
    for name in ('before', 'after'):
        wall = [w * 1000 for w, _c in samples[name]]
        cpu = [c * 1000 for _w, c in samples[name]]
        result[name] = statistics.median(wall), statistics.median(cpu)
        print('  %-6s wall median %7.3f ms (min %7.3f)   cpu median %7.3f '
              'ms (min %7.3f)' % (name, result[name][0], min(wall),
                                  result[name][1], min(cpu)))
    print('  after/before: wall %.2f, cpu %.2f' % (
        result['after'][0] / result['before'][0],
        result['after'][1] / result['before'][1]))
    return 0


if __name__ == '__main__':
    sys.exit(main())
