"""Every option we register is listed for oslo-config-generator."""

from oslo_config import cfg

from cinder_backup_reset import conf
from cinder_backup_reset.conf import opts
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
