"""Every routed action is policy-checked: a new route cannot ship open.

The router's own route list is walked; each route must be in POLICIES
with the rule that guards it, and a caller without the needed role is
refused on every one of them (403), with nothing written.
"""

import webob

from cinder_backup_reset.api import resource
from cinder_backup_reset.api import router
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.tests import base
from cinder_backup_reset.verification import jobs

ADMIN_ONLY = 'admin'
READER = 'reader'
MEMBER = 'member'
OPEN = 'any authenticated user'

#: (method, path template, body) -> who may call it
POLICIES = {
    ('GET', '/backups', None): READER,
    ('GET', '/backups/detail', None): READER,
    ('GET', '/backups/{id}', None): READER,
    ('PUT', '/backups/{id}', 'backup'): MEMBER,
    ('POST', '/backups/{id}/action', 'backup-reset_status'): ADMIN_ONLY,
    ('POST', '/backups/{id}/action', 'os-reset_status'): ADMIN_ONLY,
    ('GET', '/backups/{parent_id}/status-history', None): ADMIN_ONLY,
    ('POST', '/backups/{id}/action', 'backup-verify'): ADMIN_ONLY,
    ('GET', '/backups/{parent_id}/verifications', None): ADMIN_ONLY,
    ('GET', '/backups/{parent_id}/verifications/{id}', None): ADMIN_ONLY,
    ('GET', '/extensions', None): OPEN,
    ('GET', '/extensions/{id}', None): OPEN,
    ('POST', '/backups/action', 'backup-reset_status'): ADMIN_ONLY,
    # NOTE: last: allowed, it deletes the test's backup.
    ('POST', '/backups/{id}/action', 'os-force_delete'): ADMIN_ONLY,
}

#: bodies other than ``{action: {"status": "error"}}``
BODIES = {
    ('/backups/action', 'backup-reset_status'): {
        'backup-reset_status': {'status': 'error',
                                'filter': {'stuck': True}}},
    ('/backups/{id}/action', 'os-force_delete'): {'os-force_delete': {}},
}


def _routes(api_router):
    """(method, path) of every route, project-less form."""
    found = set()
    for route in api_router.mapper.matchlist:
        if route.routepath.startswith('/{project_id}'):
            continue
        found.add((route.conditions['method'][0], route.routepath))
    return found


class TestEveryRouteIsProtected(base.TestCase):

    # NOTE: backup-verify's job runs in a thread while the next route is
    # called.
    FILE_DATABASE = True

    def setUp(self):
        super().setUp()
        self.router = router.APIRouter(self.conf)
        self.backup = self.create_backup(status='creating')
        self.verification = db_api.verification_create(self.admin, {
            'backup_id': self.backup.id, 'level': 'deep',
            'status': 'passed', 'runner': 'elsewhere'})
        self.addCleanup(jobs._RUNNERS.clear)
        self.addCleanup(lambda: jobs.get_runner(self.conf).wait(30))

    def _call(self, method, path, action, roles):
        if path.endswith('verifications/{id}'):
            path = path.replace('{id}', self.verification.id)
        body = BODIES.get((path, action))
        path = path.replace('{id}', self.backup.id).replace(
            '{parent_id}', self.backup.id)
        if path.startswith('/extensions/'):
            path = '/extensions/os-backup-reset'
        req = webob.Request.blank(path, method=method)
        req.headers['OpenStack-API-Version'] = 'volume 3.64'
        if action == 'backup':
            req.content_type = 'application/json'
            req.json_body = {'backup': {'metadata': {'k': 'v'}}}
        elif action == 'backup-verify':
            req.content_type = 'application/json'
            req.json_body = {action: {'level': 'shallow'}}
        elif action:
            req.content_type = 'application/json'
            req.json_body = body or {action: {'status': 'error'}}
        req.environ[resource.CONTEXT_KEY] = context.RequestContext(
            user_id='u', project_id='p1', roles=roles, overwrite=False)
        return req.get_response(self.router)

    def test_every_route_has_a_policy_entry(self):
        routed = _routes(self.router)
        listed = {(method, path) for method, path, _a in POLICIES}
        self.assertEqual(set(), routed - listed,
                         'routes without an entry in POLICIES')
        actions = set(self.router.resources['backups'].actions)
        listed_actions = {a for _m, p, a in POLICIES if p.endswith('action')}
        self.assertEqual(actions, listed_actions)

    def test_refused_without_the_role(self):
        for (method, path, action), who in POLICIES.items():
            if who == OPEN:
                continue
            refused_roles = {READER: [[]], MEMBER: [[], ['reader']]}.get(
                who, [[], ['reader'], ['member', 'reader']])
            for roles in refused_roles:
                resp = self._call(method, path, action, roles)
                self.assertEqual(403, resp.status_int,
                                 '%s %s %s as %s' % (method, path, action,
                                                     roles))
                self.assertIn('forbidden', resp.json)
        self.assertEqual('creating', self.get_backup(self.backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       self.backup.id))
        self.assertEqual([self.verification.id],
                         [v.id for v in db_api.verification_get_all(
                             self.admin, self.backup.id)])

    def test_allowed_with_the_role(self):
        for (method, path, action), who in POLICIES.items():
            roles = {ADMIN_ONLY: ['admin'], MEMBER: ['member', 'reader']}.get(
                who, ['reader'])
            resp = self._call(method, path, action, roles)
            self.assertLess(resp.status_int, 300,
                            '%s %s %s: %s' % (method, path, action,
                                              resp.body))
