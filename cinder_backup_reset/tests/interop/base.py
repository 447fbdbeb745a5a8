"""What the real-Cinder tests share: the skip rule and Cinder's commands.

These tests prove the service against the ``cinder`` package from PyPI
(``tox -e interop`` pins the current release). Cinder runs in its own
processes (``cinder-manage``, and tools/interop helper scripts run with this
interpreter), never imported into the test process: Cinder imports
eventlet and owns a global CONF, and the service must never depend on
either.
"""

import importlib.util
import os
import shutil
import subprocess
import sys

import testtools

#: why the tests skip outside the interop environment
NO_CINDER = ('cinder is not importable in this environment; run the real-'
             'Cinder tests with "tox -e interop", which installs it from '
             'PyPI')


def cinder_available():
    """Whether the ``cinder`` package can be imported (without importing)."""
    return importlib.util.find_spec('cinder') is not None


def bin_path(name):
    """Path of a console script installed beside this interpreter."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    return path if os.path.exists(path) else shutil.which(name)


class InteropTestCase(testtools.TestCase):
    """Skips, with the reason, where Cinder is not installed."""

    def setUp(self):
        super().setUp()
        if not cinder_available():
            self.skipTest(NO_CINDER)

    def cinder_database(self, backend):
        """A CinderDatabase fixture on ``backend``, or skip with why not."""
        from cinder_backup_reset.tests.functional.reliability import (
            databases)
        from cinder_backup_reset.tests.interop import fixtures
        why = databases.unreachable(backend)
        if why:
            self.skipTest(why)
        return self.useFixture(fixtures.CinderDatabase(backend))

    def run_command(self, argv, env=None, check=True, timeout=300):
        """Run ``argv``; return the CompletedProcess (text output)."""
        result = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout,
            env=dict(os.environ, **(env or {})), stdin=subprocess.DEVNULL)
        if check and result.returncode != 0:
            self.fail('%s exited %d\nstdout:\n%s\nstderr:\n%s' % (
                ' '.join(argv), result.returncode, result.stdout,
                result.stderr))
        return result
