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


class TestAnchorPaths(base.TestCase):
    """A relative directory in a config file is relative to that file."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.conf_file = os.path.join(self.tmp, 'etc', 'cbr.conf')
        os.makedirs(os.path.dirname(self.conf_file))
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_DEFAULT__STATE_PATH'))

    def _parse(self, text, *argv):
        with open(self.conf_file, 'w') as f:
            f.write(text)
        self.conf.clear()
        self.conf(['--config-file', self.conf_file] + list(argv),
                  default_config_files=[])
        service.anchor_paths(self.conf)

    def test_relative_state_path_is_next_to_the_file(self):
        elsewhere = self.useFixture(fixtures.TempDir()).path
        self.useFixture(fixtures.MonkeyPatch('os.getcwd',
                                             lambda: elsewhere))
        self._parse('[DEFAULT]\nstate_path = quickstart-state\n')
        state = os.path.join(self.tmp, 'etc', 'quickstart-state')
        self.assertEqual(state, self.conf.state_path)
        # Paths built on it follow: the database and the backups.
        self.assertEqual(os.path.join(state, 'backup'),
                         self.conf.backup_posix_path)

    def test_relative_backup_posix_path_too(self):
        self._parse('[DEFAULT]\nstate_path = /srv/cbr\n'
                    'backup_posix_path = ../backups\n')
        self.assertEqual('/srv/cbr', self.conf.state_path)
        self.assertEqual(os.path.join(self.tmp, 'backups'),
                         self.conf.backup_posix_path)

    def test_relative_to_the_file_that_sets_it_not_the_last_one(self):
        # NOTE: oslo.config's get_location() names the last file parsed.
        other = os.path.join(self.useFixture(fixtures.TempDir()).path,
                             'port.conf')
        with open(other, 'w') as f:
            f.write('[DEFAULT]\nosapi_volume_listen_port = 18776\n')
        self._parse('[DEFAULT]\nstate_path = quickstart-state\n',
                    '--config-file', other)
        self.assertEqual(os.path.join(self.tmp, 'etc', 'quickstart-state'),
                         self.conf.state_path)

    def test_a_later_file_that_sets_it_wins(self):
        other_dir = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(other_dir, 'z.conf'), 'w') as f:
            f.write('[DEFAULT]\nstate_path = later-state\n')
        self._parse('[DEFAULT]\nstate_path = quickstart-state\n',
                    '--config-dir', other_dir)
        self.assertEqual(os.path.join(other_dir, 'later-state'),
                         self.conf.state_path)

    def test_absolute_and_default_values_are_kept(self):
        self._parse('[DEFAULT]\nstate_path = /srv/cbr\n')
        self.assertEqual('/srv/cbr', self.conf.state_path)
        self.assertEqual('/srv/cbr/backup', self.conf.backup_posix_path)

    def test_environment_value_stays_relative_to_the_cwd(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_DEFAULT__STATE_PATH', 'here'))
        self._parse('[DEFAULT]\nstate_path = quickstart-state\n')
        self.assertEqual('here', self.conf.state_path)

    def test_shipped_quickstart_state_is_relative(self):
        root = os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.dirname(os.path.abspath(__file__)))))
        quickstart = os.path.join(root, 'etc', 'cinder-backup-reset',
                                  'quickstart.conf')
        self.conf.clear()
        self.conf(['--config-file', quickstart], default_config_files=[])
        service.anchor_paths(self.conf)
        self.assertEqual(os.path.join(os.path.dirname(quickstart),
                                      'quickstart-state'),
                         self.conf.state_path)
