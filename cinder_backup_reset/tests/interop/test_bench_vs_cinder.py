"""tools/bench_reset.py --vs-cinder, at a tiny size, so that it cannot rot.

The benchmark starts real Cinder (its API and backup manager in one
process) with this interpreter, which must have the ``cinder`` package:
the test runs in ``tox -e interop`` and skips elsewhere.
"""

import os
import re
import sys

from cinder_backup_reset.tests.interop import base

TOOL = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))), 'tools', 'bench_reset.py')
ROUNDS, BATCH = 2, 2


class TestBenchVsCinder(base.InteropTestCase):

    def test_both_resets_apply_and_are_compared(self):
        result = self.run_command(
            [sys.executable, TOOL, '--vs-cinder', '--rounds', str(ROUNDS),
             '--batch', str(BATCH), '--cinder-python', sys.executable],
            timeout=120)
        out = result.stdout
        # NOTE: the tool itself fails when a reset is not answered 202 or
        # the row does not show the new status within 30 s.
        for target, source in (('error', 'creating'),
                               ('available', 'restoring')):
            self.assertIn('target %s (from %s): %d batches of %d' % (
                target, source, ROUNDS, BATCH), out)
        for label in ('ours, to the 202', 'ours, applied in the database',
                      'Cinder, to the 202',
                      'Cinder, applied in the database'):
            lines = re.findall(r'%s +median +([\d.]+) ms .*\(n=(\d+)\)'
                               % re.escape(label), out)
            self.assertEqual(2, len(lines), out)
            for median, count in lines:
                self.assertGreater(float(median), 0.0)
                self.assertEqual(ROUNDS * BATCH, int(count))
        ratios = re.findall(r'ours / Cinder, applied \(the goal\) +([\d.]+)',
                            out)
        self.assertEqual(2, len(ratios), out)
