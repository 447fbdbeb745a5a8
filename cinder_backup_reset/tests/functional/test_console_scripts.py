"""The installed console scripts, run as an operator runs them."""

from importlib import metadata
import os
import subprocess
import sys

import testtools

SCRIPTS = ('cinder-backup-reset-api', 'cinder-backup-reset-manage',
           'cinder-backup-reset')


class TestVersion(testtools.TestCase):

    def test_every_command_prints_the_installed_version(self):
        installed = metadata.version('cinder-backup-reset')
        bindir = os.path.dirname(sys.executable)
        for script in SCRIPTS:
            proc = subprocess.run([os.path.join(bindir, script), '--version'],
                                  capture_output=True, text=True, timeout=60)
            self.assertEqual(0, proc.returncode, proc.stderr)
            # NOTE: argparse prints the version alone, cliff after the
            # program's name.
            self.assertEqual(installed, proc.stdout.split()[-1], script)
