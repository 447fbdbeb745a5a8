"""Run the authorization matrix of backups.yaml through the real pipeline.

One test per route and pipeline (noauth, and keystone with
keystonemiddleware's AuthTokenFixture standing in for keystone); each
runs every persona x scope cell of its route and reports every cell that
differs at once. A refused cell (not 2xx) must change nothing in the
database and send no notification.
"""

import json
import os

from keystonemiddleware import fixture as ksm_fixture
from oslotest import base
import yaml

from cinder_backup_reset.tests import fixtures
from cinder_backup_reset.tests.functional.reliability import inprocess

MATRIX_FILE = os.path.join(os.path.dirname(__file__), 'backups.yaml')
with open(MATRIX_FILE) as _f:
    MATRIX = yaml.safe_load(_f)

OWN, OTHER = 'p1', 'p2'


class _Matrix(base.BaseTestCase):
    """Per-pipeline set-up; the test methods are generated below."""

    auth_strategy = None

    def setUp(self):
        super().setUp()
        self.api = self.useFixture(inprocess.InProcessAPI(
            auth_strategy=self.auth_strategy,
            config=self.pipeline_config()))
        self.backups = {
            'own': self.api.create_backup('creating', OWN),
            'other_backup': self.api.create_backup('creating', OTHER)}
        self.tokens = self.make_tokens()

    def pipeline_config(self):
        return {}

    def headers(self, persona):
        headers = {'Accept': 'application/json',
                   'Content-Type': 'application/json'}
        token = self.tokens[persona]
        if token is not None:
            headers['X-Auth-Token'] = token
        return headers

    def _url(self, route, scope):
        if 'absolute_path' in route:
            return route['absolute_path']
        backup = self.backups.get(scope, self.backups['own'])
        path = route['path'].format(backup_id=backup)
        if scope == 'projectless':
            return '/v3/' + path
        return '/v3/%s/%s' % (OTHER if scope == 'other_url' else OWN, path)

    def _run_route(self, name):
        route = MATRIX['routes'][name]
        body = route.get('body')
        body = json.dumps(body).encode() if body is not None else None
        wrong = []
        for persona, expected in sorted(route['expect'].items()):
            if not isinstance(expected, list):
                expected = [expected] * len(MATRIX['scopes'])
            for scope, status in zip(MATRIX['scopes'], expected):
                if status is None:
                    continue
                wrong.extend(self._cell(route, persona, scope, status, body))
        self.assertEqual([], wrong)

    def _cell(self, route, persona, scope, status, body):
        before = self.api.snapshot()
        notified = len(self.api.notifications())
        resp = self.api.request(self._url(route, scope), route['method'],
                                self.headers(persona), body)
        cell = '%s/%s' % (persona, scope)
        if resp.status_int != status:
            return ['%s: expected %s, got %s %s' % (
                cell, status, resp.status_int, resp.body[:200])]
        if status >= 300 and status != 300:
            if self.api.snapshot() != before:
                return ['%s: refused but changed the database' % cell]
            if len(self.api.notifications()) != notified:
                return ['%s: refused but notified' % cell]
        return []


class NoAuthMatrix(_Matrix):
    """The matrix under auth_strategy = noauth (``user:project`` tokens)."""

    auth_strategy = 'noauth'

    def make_tokens(self):
        tokens = {'no_token': None, 'bad_token': ':'}
        for name, persona in MATRIX['personas'].items():
            if 'user' in persona:
                tokens[name] = '%s:%s' % (persona['user'], OWN)
        return tokens


class KeystoneMatrix(_Matrix):
    """The matrix under auth_strategy = keystone (keystonemiddleware)."""

    auth_strategy = 'keystone'

    def pipeline_config(self):
        # NOTE: a service user, or the pipeline refuses to load; and
        # www_authenticate_uri, or keystonemiddleware must discover
        # keystone to fill WWW-Authenticate on a 401.
        return {'keystone_authtoken': fixtures.KEYSTONE_SERVICE_USER}

    def make_tokens(self):
        auth = self.useFixture(ksm_fixture.AuthTokenFixture())
        tokens = {'no_token': None, 'bad_token': 'not-a-keystone-token'}
        for name, persona in MATRIX['personas'].items():
            if 'user' in persona:
                tokens[name] = '%s-token' % name
                auth.add_token_data(
                    token_id=tokens[name], user_id=persona['user'],
                    user_name=persona['user'], project_id=OWN,
                    project_name=OWN, role_list=persona['roles'])
        return tokens


def _add_tests(cls):
    for name in MATRIX['routes']:
        def test(self, name=name):
            self._run_route(name)
        test.__name__ = 'test_%s' % name
        test.__doc__ = 'The %s row of backups.yaml.' % name
        setattr(cls, test.__name__, test)


_add_tests(NoAuthMatrix)
_add_tests(KeystoneMatrix)
