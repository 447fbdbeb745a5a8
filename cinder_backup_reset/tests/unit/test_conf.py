"""Every option we register is listed for oslo-config-generator."""

import urllib.parse

from oslo_config import cfg

from cinder_backup_reset import conf
from cinder_backup_reset.conf import database
from cinder_backup_reset.conf import keystone
from cinder_backup_reset.conf import opts
from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset.tests import base


class TestListOpts(base.TestCase):

    def test_every_registered_option_is_listed(self):
        fresh = cfg.ConfigOpts()
        conf.register_opts(fresh)
        listed = {(group, opt.name)
                  for group, group_opts in opts.list_opts()
                  for opt in group_opts}
        # NOTE: oslo.config's own options are not ours to list.
        builtin = {'config_source', 'shell_completion'}
        registered = {('DEFAULT', name) for name in fresh._opts
                      if name not in builtin}
        self.assertTrue(registered)
        self.assertEqual(set(), registered - listed)

    def test_every_option_has_help(self):
        for _group, group_opts in opts.list_opts():
            for opt in group_opts:
                self.assertTrue(opt.help, opt.name)

    def test_cinder_option_names_and_defaults(self):
        fresh = cfg.ConfigOpts()
        conf.register_opts(fresh)
        fresh([], default_config_files=[])
        self.assertEqual('keystone', fresh.auth_strategy)
        self.assertEqual('127.0.0.1', fresh.osapi_volume_listen)
        self.assertEqual(8776, fresh.osapi_volume_listen_port)
        self.assertEqual('posix', fresh.backup_driver)
        self.assertEqual(32768, fresh.backup_sha_block_size_bytes)
        self.assertEqual(1999994880, fresh.backup_file_size)
        self.assertEqual('zlib', fresh.backup_compression_algorithm)
        self.assertEqual('/var/lib/cinder/backup', fresh.backup_posix_path)

    def test_sqlite_under_state_path_by_default(self):
        fresh = cfg.ConfigOpts()
        conf.register_opts(fresh)
        fresh([], default_config_files=[])
        fresh.set_override('state_path', '/srv/cbr')
        self.assertEqual('sqlite:////srv/cbr/cinder_backup_reset.sqlite',
                         fresh.database.connection)


class TestKeystoneDefaults(base.TestCase):

    def test_calls_to_keystone_are_bounded_by_default(self):
        keystone.set_defaults(self.conf)
        group = self.conf.keystone_authtoken
        self.assertEqual(keystone.HTTP_CONNECT_TIMEOUT,
                         group.http_connect_timeout)
        self.assertEqual(keystone.HTTP_REQUEST_MAX_RETRIES,
                         group.http_request_max_retries)

    def test_the_operator_value_wins(self):
        keystone.set_defaults(self.conf)
        self.conf_fixture.config(http_connect_timeout=30,
                                 group='keystone_authtoken')
        self.assertEqual(30, self.conf.keystone_authtoken.http_connect_timeout)

    def test_lib_defaults_include_keystone(self):
        self.conf.clear_default('http_connect_timeout',
                                group='keystone_authtoken')
        opts.set_lib_defaults()
        self.assertEqual(keystone.HTTP_CONNECT_TIMEOUT,
                         self.conf.keystone_authtoken.http_connect_timeout)

    def test_sample_shows_our_defaults(self):
        [(group, listed)] = keystone.list_opts()
        self.assertEqual('keystone_authtoken', group)
        defaults = {opt.name: opt.default for opt in listed}
        self.assertEqual(keystone.HTTP_CONNECT_TIMEOUT,
                         defaults['http_connect_timeout'])
        self.assertEqual(keystone.HTTP_REQUEST_MAX_RETRIES,
                         defaults['http_request_max_retries'])

    def test_identity_bound(self):
        # NOTE: 2 attempts of 3 s with a 0.5 s pause; 4 attempts of 2 s
        # with 0.5 + 1 + 2 s; one attempt: discovery and authentication.
        self.assertEqual(6.5, keystone.identity_bound(3, 1))
        self.assertEqual(11.5, keystone.identity_bound(2, 3))
        self.assertEqual(6, keystone.identity_bound(3, 0))


class TestDatabaseDriverTimeouts(base.TestCase):

    def _params(self, url, given=None):
        return dict(urllib.parse.parse_qsl(
            database.connection_parameters(url, given) or ''))

    def test_pymysql_gets_connect_read_and_write_timeouts(self):
        self.assertEqual(
            {'connect_timeout': '5', 'read_timeout': '10',
             'write_timeout': '10'},
            self._params('mysql+pymysql://u:p@db.example/cinder'))

    def test_psycopg2_gets_a_connect_timeout(self):
        self.assertEqual(
            {'connect_timeout': '5'},
            self._params('postgresql+psycopg2://u:p@db.example/cinder'))

    def test_the_operator_value_wins(self):
        # NOTE: connect_timeout is in the URL already.
        self.assertEqual(
            {'charset': 'utf8', 'read_timeout': '60',
             'write_timeout': '10'},
            self._params('mysql+pymysql://u:p@h/c?connect_timeout=1',
                         'charset=utf8&read_timeout=60'))

    def test_sqlite_and_unknown_urls_unchanged(self):
        self.assertIsNone(database.connection_parameters('sqlite://'))
        self.assertEqual('a=1', database.connection_parameters(
            'not a url', 'a=1'))

    def test_the_engine_facade_gets_them(self):
        self.conf_fixture.config(
            connection='mysql+pymysql://u:p@db.example/cinder',
            group='database')
        params = db_engine._db_conf(self.conf)['connection_parameters']
        self.assertIn('read_timeout=10', params)
