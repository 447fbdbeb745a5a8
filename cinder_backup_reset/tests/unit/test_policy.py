"""Policy rules in code: registered, documented, Cinder's names, enforced."""

import os
import time

import fixtures as fx
from oslo_policy import policy as oslo_policy

from cinder_backup_reset import context
from cinder_backup_reset import exception
from cinder_backup_reset import policies
from cinder_backup_reset import policy
from cinder_backup_reset.tests import base
from cinder_backup_reset.tests import fixtures


def _ctx(roles, project='p1'):
    return context.RequestContext(user_id='u', project_id=project,
                                  roles=roles, overwrite=False)


class TestRules(base.TestCase):

    def test_names_are_unique_and_cinders(self):
        names = [rule.name for rule in policies.list_rules()]
        self.assertEqual(len(names), len(set(names)))
        for name in ('context_is_admin', 'admin_api', 'backup:get',
                     'backup:get_all',
                     'volume_extension:backup_admin_actions:reset_status',
                     'volume_extension:backup_admin_actions:status_history'):
            self.assertIn(name, names)

    def test_api_rules_are_documented(self):
        for rule in policies.list_rules():
            if ':' in rule.name:
                self.assertIsInstance(rule, oslo_policy.DocumentedRuleDefault)
                self.assertTrue(rule.description)
                self.assertTrue(rule.operations)

    def test_reset_defaults_to_admin_api(self):
        rules = {r.name: r for r in policies.list_rules()}
        self.assertEqual(
            'rule:admin_api',
            rules['volume_extension:backup_admin_actions:reset_status']
            .check_str)

    def test_get_enforcer_for_generators(self):
        # NOTE: the oslopolicy tools' own arguments must be skipped.
        self.useFixture(fx.MonkeyPatch(
            'sys.argv', ['oslopolicy-policy-generator', '--namespace',
                         'cinder_backup_reset', '--output-file=x']))
        enforcer = policy.get_enforcer()
        self.assertIn('backup:get', enforcer.registered_rules)


class TestEnforcement(base.TestCase):

    RESET = 'volume_extension:backup_admin_actions:reset_status'

    def test_admin_may_reset(self):
        self.assertTrue(_ctx(['admin']).can(self.RESET, {'project_id': 'p'}))

    def test_member_and_reader_may_not_reset(self):
        for roles in (['member', 'reader'], ['reader'], []):
            self.assertRaises(exception.PolicyNotAuthorized,
                              _ctx(roles).can, self.RESET,
                              {'project_id': 'p1'})

    def test_reader_reads_only_own_project(self):
        reader = _ctx(['reader'])
        self.assertTrue(reader.can('backup:get', {'project_id': 'p1'}))
        self.assertRaises(exception.PolicyNotAuthorized, reader.can,
                          'backup:get', {'project_id': 'p2'})

    def test_is_admin_from_context_is_admin_rule(self):
        self.assertTrue(_ctx(['admin']).is_admin)
        self.assertFalse(_ctx(['member']).is_admin)

    def test_operator_policy_file_overrides(self):
        path = os.path.join(self.useFixture(
            fx.TempDir()).path, 'policy.yaml')
        with open(path, 'w') as f:
            f.write('"%s": "role:member"\n' % self.RESET)
        self.conf_fixture.config(policy_file=path, group='oslo_policy')
        self.useFixture(fixtures.PolicyFixture())
        self.assertTrue(_ctx(['member']).can(self.RESET,
                                             {'project_id': 'p1'}))
        self.assertRaises(exception.PolicyNotAuthorized,
                          _ctx(['reader']).can, self.RESET,
                          {'project_id': 'p1'})

    def test_policy_file_edits_are_picked_up_without_restart(self):
        path = os.path.join(self.useFixture(fx.TempDir()).path,
                            'policy.yaml')
        with open(path, 'w') as f:
            f.write('"%s": "role:member"\n' % self.RESET)
        self.conf_fixture.config(policy_file=path, group='oslo_policy')
        self.useFixture(fixtures.PolicyFixture())
        member = _ctx(['member'])
        self.assertTrue(member.can(self.RESET, {'project_id': 'p1'}))
        with open(path, 'w') as f:
            f.write('"%s": "role:admin"\n' % self.RESET)
        later = time.time() + 10
        os.utime(path, (later, later))
        # NOTE: oslo.policy looks at the file on every check.
        self.assertRaises(exception.PolicyNotAuthorized, member.can,
                          self.RESET, {'project_id': 'p1'})
