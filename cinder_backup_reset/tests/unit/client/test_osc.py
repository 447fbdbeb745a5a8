#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""The openstackclient plugin: module contract, entry points, real CLI."""

import argparse
from importlib import metadata
import os
import subprocess
import sys

import fixtures
from keystoneauth1 import session

from cinder_backup_reset.client import commands
from cinder_backup_reset.client import noauth
from cinder_backup_reset.client import osc
from cinder_backup_reset.tests.unit.client import base

OSC_COMMANDS = {
    'volume_backup_reset-state': commands.ResetState,
    'volume_backup_status_history': commands.StatusHistory,
    'volume_backup_verify': commands.Verify,
    'volume_backup_verification_list': commands.ListVerifications,
}


def _entry_points(group):
    return {ep.name: ep for ep in metadata.entry_points(group=group)}


class FakeClientManager(object):
    """What openstackclient hands make_client (public attributes)."""

    def __init__(self, auth, interface='public', region_name=None,
                 config=None):
        self.session = session.Session(auth=auth)
        self.interface = interface
        self.region_name = region_name
        self.config = config or {}

    def get_configuration(self):
        return dict(self.config)


class TestPluginModule(base.TestCase):

    def test_contract(self):
        self.assertEqual('backup_reset', osc.API_NAME)
        self.assertEqual('os_backup_reset_api_version',
                         osc.API_VERSION_OPTION)
        self.assertIn(osc.DEFAULT_API_VERSION, osc.API_VERSIONS)

    def test_make_client_uses_the_session(self):
        auth = noauth.NoAuthPlugin('admin', 'p1', endpoint=base.ENDPOINT)
        c = osc.make_client(FakeClientManager(auth, interface='internal',
                                              region_name='R1'))
        self.assertEqual(('internal', 'R1'),
                         (c.adapter.interface, c.adapter.region_name))
        self.mock('GET', 'backups/%s/status-history' % base.BACKUP_ID,
                  json={'status_history': []})
        self.assertEqual([], c.status_history(base.BACKUP_ID))
        self.assertEqual('admin:p1',
                         self.requests.last_request.headers['X-Auth-Token'])

    def test_endpoint_override_from_the_cloud_config(self):
        auth = noauth.NoAuthPlugin('admin', 'p1', endpoint=base.ENDPOINT)
        c = osc.make_client(FakeClientManager(auth, config={
            'block_storage_endpoint_override': 'http://other:8776/v3'}))
        self.requests.get('http://other:8776/v3/backups/%s/status-history'
                          % base.BACKUP_ID, json={'status_history': [1]})
        self.assertEqual([1], c.status_history(base.BACKUP_ID))

    def test_option(self):
        parser = osc.build_option_parser(argparse.ArgumentParser())
        args = parser.parse_args(['--os-backup-reset-api-version', '1'])
        self.assertEqual('1', args.os_backup_reset_api_version)
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_BACKUP_RESET_API_VERSION', '1'))
        parser = osc.build_option_parser(argparse.ArgumentParser())
        args = parser.parse_args([])
        self.assertEqual('1', args.os_backup_reset_api_version)


class TestEntryPoints(base.TestCase):

    def test_extension(self):
        ep = _entry_points('openstack.cli.extension')['backup_reset']
        self.assertIs(osc, ep.load())

    def test_command_group(self):
        eps = _entry_points('openstack.backup_reset.v1')
        self.assertEqual(OSC_COMMANDS,
                         {name: ep.load() for name, ep in eps.items()})

    def test_reset_state_formatters(self):
        eps = _entry_points(commands.RESET_FORMATTERS)
        self.assertEqual(['csv', 'json', 'table', 'text', 'value', 'yaml'],
                         sorted(eps))
        self.assertIs(commands.ResultTextFormatter, eps['text'].load())


class TestRealOpenStackCommand(base.TestCase):
    """``openstack`` of this environment loads the plugin."""

    def openstack(self, *args):
        exe = os.path.join(os.path.dirname(sys.executable), 'openstack')
        self.assertTrue(os.path.exists(exe),
                        'python-openstackclient (test-requirements.txt) '
                        'is not installed next to %s' % sys.executable)
        home = self.useFixture(fixtures.TempDir()).path
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('OS_', 'CINDER_'))}
        env['HOME'] = home
        proc = subprocess.run([exe] + list(args), env=env, timeout=120,
                              capture_output=True, text=True,
                              stdin=subprocess.DEVNULL)
        return proc

    def test_help_lists_the_commands(self):
        proc = self.openstack('--help')
        self.assertEqual(0, proc.returncode, proc.stderr)
        for name in ('volume backup reset-state',
                     'volume backup status history',
                     'volume backup verify'):
            self.assertRegex(proc.stdout, r'\n  %s +\S' % name)
        self.assertNotIn('Failed to import plugin', proc.stderr)

    def test_command_help(self):
        proc = self.openstack('volume', 'backup', 'reset-state', '--help')
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertIn('usage: openstack volume backup reset-state',
                      proc.stdout)
        self.assertIn('--state {available,error}', proc.stdout)
        self.assertIn('-f {csv,json,table,text,value,yaml}', proc.stdout)
        self.assertIn('available from restoring: direct', proc.stdout)
        proc = self.openstack('volume', 'backup', 'verify', '--help')
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertIn('[--deep] [--wait]', proc.stdout)
