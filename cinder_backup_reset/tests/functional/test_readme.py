"""The README's walk-through, run as written (see readme.py)."""

import os
import shutil

import fixtures
import testtools

from cinder_backup_reset.tests.functional import readme

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


class TestReadme(testtools.TestCase):

    def setUp(self):
        super().setUp()
        with open(os.path.join(ROOT, 'README.rst')) as f:
            self.text = f.read()

    def test_walkthrough_runs_as_written(self):
        # NOTE: a copy of what the walk-through reads and writes, so the
        # checkout's quick-start state is left alone.
        work = self.useFixture(fixtures.TempDir()).path
        shutil.copy(os.path.join(ROOT, 'README.rst'), work)
        shutil.copytree(os.path.join(ROOT, 'etc'), os.path.join(work, 'etc'),
                        ignore=shutil.ignore_patterns('quickstart-state'))
        problems, output = readme.run(work, timeout=300)
        self.addDetail('walkthrough-output',
                       testtools.content.text_content(output))
        self.assertEqual([], problems)

    def test_walkthrough_is_found(self):
        script = readme.walkthrough(self.text)
        self.assertIn('cinder-backup-reset-api --config-file $CONF', script)
        self.assertIn('backup verify --deep', script)
        self.assertIn('kill $API_PID', script)

    def test_check_reports_a_missing_step(self):
        self.assertNotEqual([], readme.check('Traceback (most recent'))

    def test_test_command_and_its_prerequisites_are_named(self):
        for needed in ('python3 -m pip install tox',
                       'tox -e py3,functional,interop',
                       'sudo bash .ci/setup-databases.sh',
                       'openstack_citest',
                       "pip install '.[clients]'"):
            self.assertIn(needed, self.text)
