"""Start-up helpers: finding the paste config, the WSGI module."""

import os

import fixtures

from cinder_backup_reset import exception
from cinder_backup_reset import service
from cinder_backup_reset.tests import base


class TestFindPasteConfig(base.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def _touch(self, *parts):
        path = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        open(path, 'w').close()
        return path

    def test_next_to_the_config_file_first(self):
        conf_file = self._touch('conf', 'api.conf')
        paste = self._touch('conf', 'api-paste.ini')
        self.conf.clear()
        self.conf(['--config-file', conf_file], default_config_files=[])
        self.assertEqual(paste, service.find_paste_config(self.conf))

    def test_installed_data_files(self):
        # NOTE: after "pip install ." the file is under
        # <prefix>/etc/cinder-backup-reset; nothing next to the config.
        installed = self._touch('prefix', 'api-paste.ini')
        self.useFixture(fixtures.MonkeyPatch(
            'cinder_backup_reset.service._PASTE_DIRS',
            (os.path.join(self.tmp, 'nowhere'), os.path.dirname(installed))))
        self.assertEqual(installed, service.find_paste_config(self.conf))

    def test_absolute_path(self):
        paste = self._touch('x.ini')
        self.conf_fixture.config(api_paste_config=paste)
        self.assertEqual(paste, service.find_paste_config(self.conf))

    def test_missing_names_every_place_looked(self):
        self.conf_fixture.config(api_paste_config='nope.ini')
        exc = self.assertRaises(exception.PasteConfigNotFound,
                                service.find_paste_config, self.conf)
        self.assertIn('/etc/cinder-backup-reset/nope.ini', str(exc))

    def test_shipped_file_is_in_setup_cfg_data_files(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))))
        with open(os.path.join(root, 'setup.cfg')) as f:
            setup_cfg = f.read()
        self.assertIn('etc/cinder-backup-reset/api-paste.ini', setup_cfg)
        self.assertIn('etc/cinder-backup-reset/quickstart.conf', setup_cfg)


class TestEmbeddedDefault(base.TestCase):

    def test_sqlite_schema_created_under_state_path(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        state = os.path.join(tmp, 'state')
        self.conf_fixture.config(state_path=state)
        self.conf_fixture.config(
            connection='sqlite:///%s/db/cbr.sqlite' % state,
            group='database')
        service.ensure_state_path(self.conf)
        self.assertTrue(os.path.isdir(os.path.join(state, 'db')))
