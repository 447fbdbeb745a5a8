"""cinder-backup-reset-api: the listen address is checked before start."""

import socket

from cinder_backup_reset.cmd import api
from cinder_backup_reset.tests import base


class TestCheckListen(base.TestCase):

    def test_free_address_is_fine(self):
        with socket.socket() as probe:
            probe.bind(('127.0.0.1', 0))
            port = probe.getsockname()[1]
        self.conf_fixture.config(osapi_volume_listen='127.0.0.1',
                                 osapi_volume_listen_port=port)
        self.assertIsNone(api.check_listen(self.conf))

    def test_busy_port_names_the_address(self):
        with socket.socket() as busy:
            busy.bind(('127.0.0.1', 0))
            busy.listen()
            port = busy.getsockname()[1]
            self.conf_fixture.config(osapi_volume_listen='127.0.0.1',
                                     osapi_volume_listen_port=port)
            problem = api.check_listen(self.conf)
        self.assertEqual('127.0.0.1:%d is already in use (another process '
                         'listens there); stop it or set [DEFAULT] '
                         'osapi_volume_listen_port.' % port, problem)

    def test_address_not_of_this_host(self):
        # TEST-NET-1 (RFC 5737) is never a local address.
        self.conf_fixture.config(osapi_volume_listen='192.0.2.1',
                                 osapi_volume_listen_port=8776)
        problem = api.check_listen(self.conf)
        self.assertIn('cannot listen on 192.0.2.1:8776: ', problem)
