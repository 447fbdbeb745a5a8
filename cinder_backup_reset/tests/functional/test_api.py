"""Gabbi tests over the real paste pipeline (wsgi-intercept)."""

import os

from gabbi import driver

from cinder_backup_reset.tests.functional.fixtures import gabbits as fx

TESTS_DIR = 'gabbits'


def load_tests(loader, tests, pattern):
    """Build one test per YAML entry; each file runs in one worker."""
    test_dir = os.path.join(os.path.dirname(__file__), TESTS_DIR)
    return driver.build_tests(test_dir, loader, host=None,
                              intercept=fx.setup_app,
                              fixture_module=fx,
                              test_loader_name=__name__)
