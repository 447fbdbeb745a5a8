"""Concurrent resets against a real multi-worker server and a real DB.

Attacks the compare-and-swap and the status/history atomicity: hundreds
of resets with random targets and ``expected_status`` race on a handful
of backups from many keep-alive clients, across worker processes.

Invariants checked afterwards:

- no 5xx at all (deadlocks, "database is locked" must not leak);
- a 202 has exactly one history row (found by its request id, and by the
  history id of the ``backup-reset_status`` answer); a 409 has none; a
  400 is a failed verification, which sets ``error`` and records exactly
  one row (the fake driver cannot verify in the server process);
- each backup's history is one unbroken chain (each row's from_status is
  the previous row's to_status) and its final status is the to_status of
  its newest row.
"""

import collections
import os

import fixtures
import testtools
from testtools import content

from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional.reliability import databases
from cinder_backup_reset.tests.functional.reliability import load

REQUESTS = int(os.environ.get('CBR_CONCURRENCY_REQUESTS', 500))
INITIAL = ('creating', 'restoring', 'error', 'restoring')


class _ConcurrentResets:
    """The test body, run once per database backend."""

    backend = None
    workers = 2

    def test_concurrent_resets(self):
        reason = databases.unreachable(self.backend)
        if reason:
            self.skipTest(reason)
        tmp = self.useFixture(fixtures.TempDir()).path
        db = self.useFixture(databases.ThrowawayDatabase(self.backend, tmp))
        if self.backend != 'sqlite':
            db.db_sync(tmp)
        api = self.useFixture(server.APIServer(
            config={'DEFAULT': {'backup_driver': 'fake'},
                    'database': {'connection': db.url}},
            workers=self.workers))
        initial = {databases.create_backup(db.engine, s): s for s in INITIAL}
        seed, rng = load.new_rng(os.environ.get('CBR_SEED') and
                                 int(os.environ['CBR_SEED']))
        shots = load.fire(api, load.plan(rng, sorted(initial), REQUESTS))

        summary = dict(sorted(load.counts(shots).items()))
        load.report(self, 'summary', '%s, %d workers, seed %s: %s' % (
            self.backend, self.workers, seed, summary))
        self.addCleanup(lambda: self.addDetail(
            'server-log', content.text_content(api.log()[-8000:])))
        self._check_answers(shots, databases.history(db.engine))
        self._check_chains(initial, databases.history(db.engine),
                           databases.statuses(db.engine))
        codes = collections.Counter(s.code for s in shots)
        # NOTE: a run with no successes or no conflicts proves nothing.
        self.assertGreater(codes[202], 0)
        self.assertGreater(codes[409], 0)

    def _check_answers(self, shots, rows):
        by_request = collections.defaultdict(list)
        for row in rows:
            by_request[row['request_id']].append(row)
        bad = [s for s in shots if s.code not in (202, 400, 409)]
        self.assertEqual([], [(s.code, s.answer) for s in bad])
        for shot in shots:
            self.assertTrue(shot.request_id)
            mine = by_request.get(shot.request_id, [])
            if shot.code == 409:
                self.assertEqual([], mine, shot)
                continue
            self.assertEqual(1, len(mine), shot)
            self.assertEqual(shot.backup_id, mine[0]['backup_id'])
            if shot.code == 400:
                self.assertIn('failed verification',
                              shot.answer['badRequest']['message'])
                self.assertEqual(('error', 'failed'),
                                 (mine[0]['to_status'], mine[0]['verified']))
            elif shot.action == 'backup-reset_status':
                history = shot.answer['backup_reset']['history']
                self.assertEqual(history['id'], mine[0]['id'])
        answered = sum(1 for s in shots if s.code in (202, 400))
        self.assertEqual(answered, len(rows))

    def _check_chains(self, initial, rows, final):
        per_backup = collections.defaultdict(list)
        for row in rows:
            per_backup[row['backup_id']].append(row)
        for backup_id, status in initial.items():
            chain = per_backup.get(backup_id, [])
            for row in chain:
                self.assertEqual(status, row['from_status'], row)
                status = row['to_status']
            self.assertEqual(status, final[backup_id], backup_id)


class TestConcurrencySQLite(_ConcurrentResets, testtools.TestCase):
    """SQLite: two worker processes taking turns to write (db/sqlite.py)."""

    backend = 'sqlite'


class TestConcurrencyMySQL(_ConcurrentResets, testtools.TestCase):
    """MariaDB/MySQL: two worker processes."""

    backend = 'mysql'


class TestConcurrencyPostgreSQL(_ConcurrentResets, testtools.TestCase):
    """PostgreSQL: two worker processes."""

    backend = 'postgresql'
