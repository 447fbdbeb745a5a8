#!/usr/bin/env python3
"""What one more round trip to the database costs a transaction.

    python tools/bench_roundtrip.py [--db mysql|postgresql|sqlite]

Times, in interleaved batches on a throwaway database, the SQL
alternative's transaction (one ``UPDATE backups SET status``) with and
without a ``SELECT 1`` before the UPDATE, and the same with the backup's
whole row read instead (what a reset reads). The differences are what a
statement the reset could avoid would cost it;
doc/source/admin/performance.rst uses them to rank what to remove.
"""

import os
import sys

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_reset  # noqa: E402
from cinder_backup_reset.db import models  # noqa: E402


def main(argv=None):
    args = bench_reset.small_bench_args(__doc__.split('\n')[0], 'mysql',
                                        argv)
    with bench_reset.throwaway_database(args.db, 'roundtrip') as (db, _):
        backup_id, = bench_reset.create_fake_backups(db, 1)
        engine = sa.create_engine(db.url)
        try:
            samples = measure(engine, backup_id, args)
        finally:
            engine.dispose()
    print('%d rounds of %d transactions, %s' % (args.rounds, args.batch,
                                                args.db))
    bench_reset.print_against(samples, 'UPDATE', 22, 'costs')
    return 0


def measure(engine, backup_id, args):
    """Interleaved batches of the three transactions."""
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

    return bench_reset.interleave({
        'UPDATE': transaction(),
        'SELECT 1, UPDATE': transaction(sa.select(sa.literal(1))),
        'SELECT row, UPDATE': transaction(row),
    }, args.rounds, args.batch)


if __name__ == '__main__':
    sys.exit(main())
