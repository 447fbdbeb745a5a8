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

"""Tests of the noauth keystoneauth1 plugin and loader."""

from keystoneauth1 import exceptions as ks_exc

from cinder_backup_reset.client import noauth
from cinder_backup_reset.tests.unit.client import base


class TestNoAuth(base.TestCase):

    def test_headers(self):
        plugin = noauth.NoAuthPlugin('u1', 'p1', endpoint='http://h/v3/')
        self.assertEqual({'X-Auth-Token': 'u1:p1', 'x-user-id': 'u1',
                          'x-project-id': 'p1'}, plugin.get_headers(None))
        self.assertEqual('http://h/v3', plugin.get_endpoint(
            None, service_type='block-storage'))
        self.assertEqual('u1', plugin.get_user_id(None))
        self.assertEqual('p1', plugin.get_project_id(None))

    def test_project_defaults_to_user(self):
        plugin = noauth.NoAuthPlugin('admin', endpoint='http://h/v3')
        self.assertEqual('admin:admin', plugin.get_token(None))

    def test_loader_options(self):
        opts = {o.name: o for o in noauth.NoAuthLoader().get_options()}
        self.assertEqual({'user-id', 'project-id', 'endpoint'}, set(opts))
        self.assertTrue(opts['user-id'].required)
        self.assertTrue(opts['endpoint'].required)
        self.assertFalse(opts['project-id'].required)

    def test_loader_requires_user(self):
        self.assertRaises(ks_exc.MissingRequiredOptions,
                          noauth.NoAuthLoader().load_from_options,
                          endpoint='http://h/v3')

    def test_loader_builds_plugin(self):
        plugin = noauth.NoAuthLoader().load_from_options(
            user_id='u', endpoint='http://h/v3')
        self.assertIsInstance(plugin, noauth.NoAuthPlugin)
        self.assertEqual('u', plugin.project_id)
