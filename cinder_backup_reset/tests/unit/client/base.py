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

"""Fake transport and data shared by the client and shell tests."""

import os

import fixtures
from keystoneauth1 import session
from requests_mock.contrib import fixture as rm_fixture
import testtools

from cinder_backup_reset import client
from cinder_backup_reset.client import noauth

ENDPOINT = 'http://fake.example.com:8776/v3'
BACKUP_ID = '2f0c8a8e-3a9b-4c6e-9b1e-4b5c1d1e0001'
BACKUP_ID2 = '2f0c8a8e-3a9b-4c6e-9b1e-4b5c1d1e0002'
REQ_ID = 'req-7b6f0f2a-5d7c-4d55-9a43-0f8a4b1f7a10'


def fake_backup(backup_id=BACKUP_ID, name='nightly', status='creating',
                **extra):
    """Return a backup in the server's detailed view."""
    backup = {
        'id': backup_id, 'name': name, 'description': None,
        'status': status, 'fail_reason': None, 'availability_zone': 'nova',
        'volume_id': 'c5a6a6f4-0000-4000-8000-000000000001',
        'snapshot_id': None, 'size': 1, 'object_count': 2,
        'container': 'backups', 'created_at': '2026-09-01T10:00:00',
        'updated_at': '2026-09-01T10:05:00', 'data_timestamp': None,
        'is_incremental': False, 'has_dependent_backups': False,
        'links': [{'rel': 'self',
                   'href': '%s/backups/%s' % (ENDPOINT, backup_id)}],
        'metadata': {},
    }
    backup.update(extra)
    return backup


def fake_reset(backup_id=BACKUP_ID, from_status='creating',
               to_status='available', **extra):
    """Return the server's ``backup_reset`` outcome."""
    result = {
        'backup_id': backup_id, 'from_status': from_status,
        'to_status': to_status, 'status': to_status, 'applied': True,
        'dry_run': False, 'verified': 'passed',
        'verification': {'level': 'shallow', 'evidence': {'objects': 2}},
        'reason': None, 'history': None,
    }
    result.update(extra)
    return result


def fault(name, code, message):
    """Return a Cinder fault body."""
    return {name: {'code': code, 'message': message}}


class TestCase(testtools.TestCase):
    """Unit test base: requests are answered by requests-mock."""

    def setUp(self):
        super().setUp()
        # NOTE: the shell reads OS_* variables; the developer's own cloud
        # credentials must not leak into the tests.
        for key in list(os.environ):
            if key.startswith(('OS_', 'CINDER_')):
                self.useFixture(fixtures.EnvironmentVariable(key))
        self.requests = self.useFixture(rm_fixture.Fixture())

    def make_client(self, user_id='admin', project_id='admin'):
        """Return a Client using the noauth plugin on ENDPOINT."""
        auth = noauth.NoAuthPlugin(user_id, project_id, endpoint=ENDPOINT)
        return client.Client(session.Session(auth=auth))

    def mock(self, method, path, status=200, json=None, headers=None,
             **kwargs):
        """Answer ``method ENDPOINT/path`` (query string is not matched)."""
        hdrs = {'x-openstack-request-id': REQ_ID}
        hdrs.update(headers or {})
        url = '%s/%s' % (ENDPOINT, path)
        if 'response_list' in kwargs:
            for response in kwargs['response_list']:
                response.setdefault('headers', hdrs)
            return self.requests.register_uri(method, url, **kwargs)
        if json is not None:
            kwargs['json'] = json
        return self.requests.register_uri(
            method, url, status_code=status, headers=hdrs, **kwargs)
