#!/usr/bin/env python3
"""What one more round trip to the database costs a transaction.

    python tools/bench_roundtrip.py [--db mysql|postgresql|sqlite]

Times, in interleaved batches on a throwaway database, the SQL
alternative's transaction (one ``UPDATE backups SET status``) with and
without a ``SELECT 1`` before the UPDATE, and the same with the backup's
whole row read instead (what a reset reads). The differences are what a
statement the reset could avoid would cost it; docs/performance.rst uses
them to rank what to remove.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_reset  # noqa: E402
from cinder_backup_reset.db import models  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--db', choices=('sqlite', 'mysql', 'postgresql'),
                        default='mysql')
    parser.add_argument('--rounds', type=int, default=40)
    parser.add_argument('--batch', type=int, default=20)
    args = parser.parse_args(argv)

    state_path = tempfile.mkdtemp(prefix='cbr-roundtrip-')
    db = bench_reset.Database(args.db, state_path, 'roundtrip')
    engine = None
    try:
        db.create()
        backup_id, = bench_reset.create_fake_backups(db, 1)
        engine = sa.create_engine(db.url)
        table = models.Backup.__table__
        toggle = bench_reset.Toggle()
        update = table.update().where(table.c.id == backup_id)
        row = sa.select(table).where(table.c.id == backup_id)

        def transaction(before=None):
            def run(n):
                for _ in range(n):
                    with engine.begin() as conn:
                        if before is not None:
                            conn.execute(before).first()
                        conn.execute(update.values(status=toggle.next()))
            return run

        samples = bench_reset.interleave({
            'UPDATE': transaction(),
            'SELECT 1, UPDATE': transaction(sa.select(sa.literal(1))),
            'SELECT row, UPDATE': transaction(row),
        }, args.rounds, args.batch)
        base = statistics.median(samples['UPDATE'])
        print('%d rounds of %d transactions, %s' % (args.rounds, args.batch,
                                                    args.db))
        for name, values in samples.items():
            median = statistics.median(values)
            extra = '' if name == 'UPDATE' else (
                '   +%4.0f us' % ((median - base) * 1e6))
            print('  %-22s median %6.0f us%s' % (name, median * 1e6, extra))
        return 0
    finally:
        if engine is not None:
            engine.dispose()
        try:
            db.drop()
        except Exception as exc:
            print('could not drop %s: %s' % (db.name, exc), file=sys.stderr)
        shutil.rmtree(state_path, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(main())
