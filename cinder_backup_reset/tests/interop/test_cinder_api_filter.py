"""The backup_reset filter inside a real cinder-api (deployment shape 3).

Cinder's own api-paste.ini with ``backup_reset`` inserted before ``apiv3``,
served by Cinder (the real ``cinder-api`` on the noauth pipeline; Cinder's
paste app under keystonemiddleware's AuthTokenFixture on the keystone
pipeline), driven over HTTP by the real cinderclient and openstackclient,
and compared side by side with the same Cinder without the filter.
"""

import os
import re
import shutil
import subprocess
import tempfile

import requests
import testtools

from cinder_backup_reset.tests.interop import base
from cinder_backup_reset.tests.interop import filter_deploy

PROJECT = 'a1b2c3d4e5f6'
OTHER_PROJECT = 'f6e5d4c3b2a1'
# NOTE: cinderclient's noauth plugin sends X-Auth-Token "<user>:<project>";
# on the keystone pipeline that is a token like any other, and the
# AuthTokenFixture knows these two.
ADMIN_TOKEN = 'cloud-admin:%s' % PROJECT
MEMBER_TOKEN = 'a-member:%s' % PROJECT

_REQUEST_ID = re.compile(r'req-[0-9a-f-]{36}')
_TIME = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?')
_HOST = re.compile(r'127\.0\.0\.1:\d+')
#: headers that differ between any two responses
_VOLATILE_HEADERS = ('date', 'content-length', 'x-openstack-request-id',
                     'x-compute-request-id', 'connection', 'server')


def masked(resp):
    """(status, headers, body) with request ids, times and ports masked."""
    headers = {k.lower(): _HOST.sub('HOST', v)
               for k, v in resp.headers.items()
               if k.lower() not in _VOLATILE_HEADERS}
    # NOTE: present on both or neither, whatever their value.
    ids = tuple(sorted(k.lower() for k in resp.headers
                       if k.lower().endswith('request-id')))
    body = _REQUEST_ID.sub('REQ', resp.text)
    body = _TIME.sub('TIME', body)
    body = _HOST.sub('HOST', body)
    return resp.status_code, headers, ids, body


def assert_osc_only_missed_discovery(test, proc):
    """openstackclient did its work; at most version discovery failed.

    NOTE: after the reset, ``backup set`` asks whether the server supports
    microversion 3.43 (to send metadata), and openstacksdk discovers that
    with an unauthenticated GET of the endpoint: Cinder's noauth answers
    its 204, keystonemiddleware a 401, so the command exits 1 against
    Cinder with or without the filter. Any other complaint is a failure.
    """
    if proc.returncode == 0:
        return
    test.assertNotIn('Failed to set backup state', proc.stderr)
    test.assertIn('Unable to find a version discovery document',
                  proc.stderr)


def clean_env(home):
    """The environment for client commands: nothing of this machine's."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('OS_', 'CINDER_'))}
    env['HOME'] = home
    return env


class _DeploymentTestCase(base.InteropTestCase):
    """One deployment per class and worker; cinder-api starts take time."""

    auth_strategy = 'noauth'
    deployment = None
    _ready = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = None
        if base.cinder_available():
            cls.root = tempfile.mkdtemp(prefix='cbr-filter-')
            cls.deployment = filter_deploy.Deployment(
                cls.root, auth_strategy=cls.auth_strategy)

    @classmethod
    def tearDownClass(cls):
        if cls.deployment is not None:
            cls.deployment.stop()
        if cls.root:
            shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.d = self.deployment
        cls = type(self)
        if cls._ready is None:
            # NOTE: once per class and worker; a failed start fails every
            # test of the class without starting again.
            cls._ready = 'starting failed'
            self.d.sync_schemas(self)
            self.start_servers()
            cls._ready = True
        if cls._ready is not True:
            self.fail(cls._ready)
        self.env = clean_env(self.root)

    def client(self, argv):
        exe = base.bin_path(argv[0])
        if exe is None:
            self.skipTest('%s is not installed' % argv[0])
        proc = subprocess.run([exe] + argv[1:], env=self.env,
                              capture_output=True, text=True, timeout=180,
                              stdin=subprocess.DEVNULL)
        self.addDetail('%s-output' % argv[0], testtools.content.text_content(
            'rc=%s\nstdout:\n%s\nstderr:\n%s' % (proc.returncode,
                                                 proc.stdout, proc.stderr)))
        return proc


class TestNoauthPipeline(_DeploymentTestCase):
    """Cinder's noauth pipeline, served by the real cinder-api."""

    def start_servers(self):
        cls = type(self)
        cls.url = self.d.start_api('filtered')
        cls.plain_url = self.d.start_api('plain', with_filter=False)
        off = os.path.join(self.root, 'filter-off.conf')
        with open(self.d.filter_conf) as handle:
            text = handle.read()
        with open(off, 'w') as handle:
            handle.write(text + '[cinder_filter]\n'
                                'handle_os_reset_status = false\n')
        cls.off_url = self.d.start_api('off', paste=self.d.write_paste(
            'api-paste-off.ini', config_file=off))

    def headers(self, project=PROJECT, user='admin'):
        return {'X-Auth-Token': '%s:%s' % (user, project),
                'Accept': 'application/json'}

    def post_action(self, url, backup_id, body, project=PROJECT):
        return requests.post(
            '%s/v3/%s/backups/%s/action' % (url, project, backup_id),
            json=body, headers=self.headers(project), timeout=60)

    def cinder(self, *args):
        return self.client([
            'cinder', '--os-auth-type', 'noauth', '--os-user-id', 'admin',
            '--os-project-id', PROJECT, '--os-endpoint', self.url + '/v3'] +
            list(args))

    # -- the reset itself --------------------------------------------------

    def test_cinderclient_reset_is_synchronous_verified_and_audited(self):
        backup = self.d.create_backup(PROJECT, name='nightly')
        proc = self.cinder('backup-reset-state', '--state', 'available',
                           backup)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertIn('has been accepted', proc.stdout)
        # NOTE: no cinder-backup service runs: Cinder alone would have
        # answered 404 "Service cinder-backup could not be found".
        self.assertEqual('available', self.d.status(backup))
        (row,) = self.d.history(backup)
        self.assertEqual(('creating', 'available', 'passed', 'admin'),
                         row[:3] + row[4:])
        self.assertRegex(row[3], _REQUEST_ID)
        self.assertIn(row[3], self.d.api_log('filtered'))

    def test_cinderclient_reset_of_a_damaged_backup_fails(self):
        backup = self.d.create_backup(PROJECT)
        container = os.path.join(self.d.backup_path, backup[0:2],
                                 backup[2:4], backup)
        for name in os.listdir(container):
            if name.endswith('-00001'):
                os.unlink(os.path.join(container, name))
        proc = self.cinder('backup-reset-state', '--state', 'available',
                           backup)
        self.assertEqual(1, proc.returncode)
        self.assertIn('(HTTP 400)', proc.stderr)
        self.assertEqual('error', self.d.status(backup))
        self.assertEqual('failed', self.d.history(backup)[0][2])

    def test_openstack_backup_set_state(self):
        backup = self.d.create_backup(PROJECT, name='weekly',
                                      status='restoring')
        proc = self.client([
            'openstack', '--os-auth-type', 'admin_token', '--os-token',
            'admin:%s' % PROJECT, '--os-endpoint',
            '%s/v3/%s' % (self.url, PROJECT),
            'volume', 'backup', 'set', '--state', 'error', 'weekly'])
        self.assertEqual('error', self.d.status(backup))
        self.assertEqual([('restoring', 'error', 'skipped')],
                         [row[:3] for row in self.d.history(backup)])
        assert_osc_only_missed_discovery(self, proc)

    def test_backup_reset_status_with_reason_and_dry_run(self):
        backup = self.d.create_backup(PROJECT)
        resp = self.post_action(self.url, backup, {'backup-reset_status': {
            'status': 'error', 'reason': 'host died', 'dry_run': True}})
        self.assertEqual(202, resp.status_code, resp.text)
        outcome = resp.json()['backup_reset']
        self.assertEqual((True, False), (outcome['dry_run'],
                                         outcome['applied']))
        self.assertEqual('creating', self.d.status(backup))
        self.assertEqual([], self.d.history(backup))
        resp = self.post_action(self.url, backup, {'backup-reset_status': {
            'status': 'error', 'reason': 'host died'}})
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual('error', self.d.status(backup))
        self.assertEqual(resp.headers['x-openstack-request-id'],
                         self.d.history(backup)[0][3])
        history = requests.get('%s/v3/%s/backups/%s/status-history' % (
            self.url, PROJECT, backup), headers=self.headers(), timeout=60)
        self.assertEqual(200, history.status_code)
        self.assertEqual('host died',
                         history.json()['status_history'][0]['reason'])

    def test_unreadable_backend_is_503_and_changes_nothing(self):
        # NOTE: an NFS backup, and the filter's configuration names no
        # backup_share: the backend cannot be located, which says nothing
        # about the data.
        backup = self.d.create_backup(PROJECT,
                                      service=filter_deploy.CINDER_NFS)
        resp = self.post_action(self.url, backup, {
            'os-reset_status': {'status': 'available'}})
        self.assertEqual(503, resp.status_code, resp.text)
        fault = resp.json()['serviceUnavailable']
        self.assertEqual(503, fault['code'])
        self.assertTrue(fault['message'].startswith(
            'Cannot verify backup %s: its backend cannot be read here'
            % backup), fault['message'])
        self.assertTrue(resp.headers['Retry-After'])
        self.assertEqual('creating', self.d.status(backup))
        self.assertEqual([], self.d.history(backup))

    def test_os_reset_status_reaches_cinder_when_switched_off(self):
        backup = self.d.create_backup(PROJECT)
        body = {'os-reset_status': {'status': 'error'}}
        off = self.post_action(self.off_url, backup, body)
        plain = self.post_action(self.plain_url, backup, body)
        self.assertEqual(masked(plain), masked(off))
        # NOTE: Cinder's answer without a cinder-backup service.
        self.assertEqual(404, off.status_code)
        self.assertIn('cinder-backup', off.text)
        self.assertEqual('creating', self.d.status(backup))
        self.assertEqual([], self.d.history(backup))
        # NOTE: the spec's action is still the filter's.
        resp = self.post_action(self.off_url, backup, {
            'backup-reset_status': {'status': 'error'}})
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual('error', self.d.status(backup))

    # -- everything else is Cinder's ------------------------------------------

    def compare(self, method, path, **kwargs):
        kwargs.setdefault('headers', self.headers())
        kwargs.setdefault('timeout', 60)
        with_filter = requests.request(method, self.url + path, **kwargs)
        without = requests.request(method, self.plain_url + path, **kwargs)
        self.assertEqual(masked(without), masked(with_filter),
                         '%s %s differs' % (method, path))
        return with_filter

    def test_other_calls_answer_as_cinder_does(self):
        available = self.d.create_backup(PROJECT, status='available',
                                         name='kept')
        missing = '00000000-0000-0000-0000-000000000000'
        micro = dict(self.headers(), **{
            'OpenStack-API-Version': 'volume 3.64'})
        for method, path, kwargs in (
                ('GET', '/', {}),
                ('GET', '/v3/', {}),
                ('GET', '/v3/%s/backups' % PROJECT, {}),
                ('GET', '/v3/%s/backups/detail' % PROJECT, {}),
                ('GET', '/v3/backups/detail?all_tenants=1', {}),
                ('GET', '/v3/%s/backups/detail' % PROJECT,
                 {'headers': micro}),
                ('GET', '/v3/%s/backups/%s' % (PROJECT, available), {}),
                ('GET', '/v3/%s/backups/%s' % (PROJECT, missing), {}),
                ('GET', '/v3/%s/volumes' % PROJECT, {}),
                ('GET', '/v3/%s/volumes/detail' % PROJECT, {}),
                ('GET', '/v3/%s/extensions' % PROJECT, {}),
                ('POST', '/v3/%s/backups' % PROJECT,
                 {'json': {'backup': {'volume_id': missing}}}),
                ('POST', '/v3/%s/backups/%s/restore' % (PROJECT, available),
                 {'json': {'restore': {'volume_id': missing}}}),
                ('POST', '/v3/%s/backups/%s/action' % (PROJECT, available),
                 {'json': {'os-unknown': {}}}),
                ('POST', '/v3/%s/backups/%s/action' % (PROJECT, available),
                 {'data': b'{"os-reset_status": ', 'headers': dict(
                     self.headers(), **{'Content-Type':
                                        'application/json'})}),
                ('GET', '/v3/%s/backups' % PROJECT, {'headers': {}})):
            self.compare(method, path, **kwargs)
        self.assertEqual('available', self.d.status(available))

    def test_cinderclient_listing_is_cinders(self):
        self.d.create_backup(PROJECT, status='available', name='listed')
        outputs = []
        for url in (self.url, self.plain_url):
            proc = self.client([
                'cinder', '--os-auth-type', 'noauth', '--os-user-id',
                'admin', '--os-project-id', PROJECT, '--os-endpoint',
                url + '/v3', 'backup-list'])
            self.assertEqual(0, proc.returncode, proc.stderr)
            outputs.append(proc.stdout)
        self.assertEqual(outputs[1], outputs[0])
        self.assertIn('listed', outputs[0])


class TestFilterStartAndFaults(_DeploymentTestCase):
    """A bad config_file stops cinder-api; a filter without its DB is 503."""

    def start_servers(self):
        cls = type(self)
        down = os.path.join(self.root, 'filter-db-down.conf')
        with open(down, 'w') as handle:
            handle.write(
                '[DEFAULT]\nbackup_driver = posix\nbackup_posix_path = %s\n'
                '[database]\nconnection = mysql+pymysql://nobody@127.0.0.1:'
                '%d/nodb\n' % (self.d.backup_path,
                               filter_deploy.free_port()))
        cls.url = self.d.start_api('db-down', paste=self.d.write_paste(
            'api-paste-db-down.ini', config_file=down))

    def headers(self):
        return {'X-Auth-Token': 'admin:%s' % PROJECT,
                'Accept': 'application/json'}

    def test_missing_config_file_stops_cinder_api(self):
        missing = os.path.join(self.root, 'no-such.conf')
        code, output = self.d.run_api_to_exit(
            self.d.write_paste('api-paste-missing.ini', config_file=missing))
        self.assertNotEqual(0, code)
        lines = [line for line in output.splitlines() if missing in line]
        self.assertEqual(1, len(lines), output)
        self.assertIn('no such file', lines[0])

    def test_invalid_config_file_stops_cinder_api(self):
        bad = os.path.join(self.root, 'bad.conf')
        with open(bad, 'w') as handle:
            handle.write('[DEFAULT]\nosapi_max_limit = lots\n')
        code, output = self.d.run_api_to_exit(
            self.d.write_paste('api-paste-bad.ini', config_file=bad))
        self.assertNotEqual(0, code)
        lines = [line for line in output.splitlines() if bad in line]
        self.assertEqual(1, len(lines), output)
        self.assertIn('osapi_max_limit', lines[0])

    def test_owned_request_without_its_database_is_503(self):
        backup = self.d.create_backup(PROJECT)
        resp = requests.post('%s/v3/%s/backups/%s/action' % (
            self.url, PROJECT, backup), headers=self.headers(),
            json={'os-reset_status': {'status': 'error'}}, timeout=60)
        self.assertEqual(503, resp.status_code, resp.text)
        # NOTE: the standalone service's words (api/fault.py).
        expected = {'serviceUnavailable': {
            'code': 503, 'message': 'The database is unreachable; no '
                                    'change was made. Retry later.'}}
        self.assertEqual(expected, resp.json())
        self.assertEqual('creating', self.d.status(backup))

    def test_requests_it_does_not_own_still_work(self):
        backup = self.d.create_backup(PROJECT, status='available')
        resp = requests.get(
            '%s/v3/%s/backups/%s' % (self.url, PROJECT, backup),
            headers=self.headers(), timeout=60)
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual('available', resp.json()['backup']['status'])


class TestKeystonePipeline(_DeploymentTestCase):
    """Cinder's keystone pipeline, keystonemiddleware's AuthTokenFixture."""

    auth_strategy = 'keystone'
    tokens = [
        {'token_id': ADMIN_TOKEN, 'user_id': 'cloud-admin',
         'project_id': PROJECT, 'role_list': ['admin', 'member', 'reader']},
        {'token_id': MEMBER_TOKEN, 'user_id': 'a-member',
         'project_id': PROJECT, 'role_list': ['member', 'reader']},
    ]

    def start_servers(self):
        cls = type(self)
        cls.url = self.d.start_paste_server('ks-filtered', self.tokens)
        cls.plain_url = self.d.start_paste_server('ks-plain', self.tokens,
                                                  with_filter=False)

    def cinder(self, token, *args):
        user, _sep, project = token.partition(':')
        return self.client([
            'cinder', '--os-auth-type', 'noauth', '--os-user-id', user,
            '--os-project-id', project, '--os-endpoint',
            self.url + '/v3'] + list(args))

    def test_admin_resets_synchronously_with_history(self):
        backup = self.d.create_backup(PROJECT)
        proc = self.cinder(ADMIN_TOKEN, 'backup-reset-state', '--state',
                           'available', backup)
        self.assertEqual(0, proc.returncode, proc.stderr)
        self.assertEqual('available', self.d.status(backup))
        (row,) = self.d.history(backup)
        self.assertEqual(('creating', 'available', 'passed', 'cloud-admin'),
                         row[:3] + row[4:])

    def test_openstack_backup_set_state(self):
        backup = self.d.create_backup(PROJECT, name='ks-weekly')
        proc = self.client([
            'openstack', '--os-auth-type', 'admin_token', '--os-token',
            ADMIN_TOKEN, '--os-endpoint', '%s/v3/%s' % (self.url, PROJECT),
            'volume', 'backup', 'set', '--state', 'error', 'ks-weekly'])
        self.assertEqual('error', self.d.status(backup))
        self.assertEqual([('creating', 'error', 'skipped', 'cloud-admin')],
                         [row[:3] + row[4:]
                          for row in self.d.history(backup)])
        assert_osc_only_missed_discovery(self, proc)

    def test_member_gets_403_and_nothing_changes(self):
        backup = self.d.create_backup(PROJECT)
        proc = self.cinder(MEMBER_TOKEN, 'backup-reset-state', '--state',
                           'error', backup)
        self.assertEqual(1, proc.returncode)
        self.assertIn('(HTTP 403)', proc.stderr)
        self.assertIn('volume_extension:backup_admin_actions:reset_status',
                      proc.stderr)
        resp = requests.post('%s/v3/%s/backups/%s/action' % (
            self.url, PROJECT, backup),
            headers={'X-Auth-Token': MEMBER_TOKEN},
            json={'backup-reset_status': {'status': 'error'}}, timeout=60)
        self.assertEqual(403, resp.status_code)
        self.assertEqual('creating', self.d.status(backup))
        self.assertEqual([], self.d.history(backup))

    def test_bad_token_is_keystonemiddlewares_401(self):
        backup = self.d.create_backup(PROJECT)
        answers = []
        for url in (self.url, self.plain_url):
            answers.append(masked(requests.post(
                '%s/v3/%s/backups/%s/action' % (url, PROJECT, backup),
                headers={'X-Auth-Token': 'forged'},
                json={'os-reset_status': {'status': 'error'}}, timeout=60)))
        self.assertEqual(answers[1], answers[0])
        self.assertEqual(401, answers[0][0])
        self.assertEqual('creating', self.d.status(backup))

    def test_other_calls_answer_as_cinder_does(self):
        backup = self.d.create_backup(PROJECT, status='available')
        for token in (ADMIN_TOKEN, MEMBER_TOKEN):
            headers = {'X-Auth-Token': token, 'Accept': 'application/json'}
            for method, path, kwargs in (
                    ('GET', '/v3/%s/backups/detail' % PROJECT, {}),
                    ('GET', '/v3/%s/backups/%s' % (PROJECT, backup), {}),
                    ('GET', '/v3/%s/volumes/detail' % PROJECT, {}),
                    ('POST', '/v3/%s/backups/%s/restore' % (PROJECT, backup),
                     {'json': {'restore': {'volume_id': backup}}})):
                answers = [masked(requests.request(
                    method, url + path, headers=headers, timeout=60,
                    **kwargs)) for url in (self.url, self.plain_url)]
                self.assertEqual(answers[1], answers[0], path)
