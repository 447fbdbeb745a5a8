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
        # NOTE: within the interval the enforcer does not look again...
        self.assertTrue(member.can(self.RESET, {'project_id': 'p1'}))
        # ...after it, the edit applies.
        self.useFixture(fx.MonkeyPatch(
            'cinder_backup_reset.policy.RELOAD_INTERVAL', 0.0))
        policy.init()._next_look = 0.0
        self.assertRaises(exception.PolicyNotAuthorized, member.can,
                          self.RESET, {'project_id': 'p1'})


class _LegacyCheck:
    """A third-party check written before ``current_rule`` existed."""

    def __init__(self):
        self.calls = []

    def __call__(self, target, creds, enforcer):
        self.calls.append((target, creds))
        return target.get('ok', False)


class _ModernCheck(_LegacyCheck):

    def __call__(self, target, creds, enforcer, current_rule=None):
        self.calls.append(current_rule)
        return True


class TestCheckDispatch(base.TestCase):
    """The remembered-arity replacement of oslo.policy's _check."""

    def test_installed(self):
        from oslo_policy import _checks
        self.assertIs(policy._check, _checks._check)

    def test_legacy_checks_get_three_arguments(self):
        check = _LegacyCheck()
        self.assertTrue(policy._check(check, {'ok': True}, {}, None, 'r'))
        self.assertFalse(policy._check(check, {}, {}, None, 'r'))
        self.assertEqual(2, len(check.calls))

    def test_modern_checks_get_the_current_rule(self):
        check = _ModernCheck()
        self.assertTrue(policy._check(check, {}, {}, None, 'the:rule'))
        self.assertEqual(['the:rule'], check.calls)

    def test_arity_is_inspected_once_per_class(self):
        self.useFixture(fx.MockPatchObject(
            policy, '_TAKES_CURRENT_RULE', {}))
        spy = self.useFixture(fx.MockPatchObject(
            policy.inspect, 'getfullargspec',
            side_effect=policy.inspect.getfullargspec)).mock
        for _ in range(5):
            policy._check(_ModernCheck(), {}, {}, None, 'r')
            policy._check(_LegacyCheck(), {}, {}, None, 'r')
        self.assertEqual(2, spy.call_count)

    def test_same_verdicts_as_oslo_policy(self):
        # NOTE: every default rule, for each persona, through the real
        # enforcer: the replacement must never change a decision.
        targets = [{'project_id': 'p1', 'user_id': 'u'},
                   {'project_id': 'p2', 'user_id': 'v'}]
        personas = [['admin'], ['member'], ['reader'], []]
        from oslo_policy import _checks
        enforcer = policy.init()
        ours = []
        theirs = []
        for results, impl in ((ours, policy._check),
                              (theirs, policy._ORIGINAL_CHECK)):
            self.useFixture(fx.MockPatchObject(_checks, '_check', impl))
            for rule in policies.list_rules():
                for roles in personas:
                    for target in targets:
                        results.append(enforcer.authorize(
                            rule.name, target,
                            _ctx(roles).to_policy_values()))
        self.assertEqual(theirs, ours)
        self.assertIn(True, ours)
        self.assertIn(False, ours)


class TestGenericCheck(base.TestCase):
    """GenericCheck with its kind parsed once: oslo.policy's verdicts."""

    RULES = ('is_admin:True', 'is_admin:False', 'True:%(enabled)s',
             "'member':%(role)s", '1:%(count)s', 'None:%(missing)s',
             'project_id:%(project_id)s', 'user_id:%(user_id)s',
             'roles:admin', 'roles:reader', 'nested.key:%(project_id)s',
             'nested.list.name:%(user_id)s', 'absent:%(project_id)s',
             'project_id:p1', 'project_id:%(absent)s')
    TARGETS = ({'project_id': 'p1', 'user_id': 'u', 'enabled': True,
                'role': 'member', 'count': 1, 'missing': None},
               {'project_id': 'p2', 'user_id': 'v', 'enabled': 'False',
                'role': 'reader', 'count': '2', 'missing': 'None'},
               {})
    CREDS = ({'is_admin': True, 'project_id': 'p1', 'user_id': 'u',
              'roles': ['admin', 'member'],
              'nested': {'key': 'p1', 'list': [{'name': 'x'},
                                               {'name': 'u'}]}},
             {'is_admin': False, 'project_id': 'p2', 'user_id': 'v',
              'roles': ['reader'], 'nested': {'key': 'p2', 'list': []}},
             {})

    def test_same_verdicts_as_oslo_policy(self):
        from oslo_policy import _checks
        from oslo_policy import _parser
        seen = set()
        for text in self.RULES:
            check = _parser._parse_check(text)
            self.assertIs(_checks.GenericCheck, type(check), text)
            for target in self.TARGETS:
                for creds in self.CREDS:
                    theirs = _checks.GenericCheck.__call__(
                        check, target, creds, None)
                    ours = policy._check(check, target, creds, None, 'r')
                    self.assertEqual(theirs, ours, (text, target, creds))
                    seen.add(ours)
        self.assertEqual({True, False}, seen)

    def test_unparsable_kind_raises_as_oslo_policy(self):
        from oslo_policy import _checks
        check = _checks.GenericCheck('1 +', 'x')
        self.assertRaises(SyntaxError, _checks.GenericCheck.__call__,
                          check, {}, {}, None)
        self.assertRaises(SyntaxError, policy._check,
                          check, {}, {}, None, 'r')

    def test_kind_is_parsed_once(self):
        from oslo_policy import _parser
        self.useFixture(fx.MockPatchObject(policy, '_LITERAL_KINDS', {}))
        spy = self.useFixture(fx.MockPatchObject(
            policy.ast, 'literal_eval',
            side_effect=policy.ast.literal_eval)).mock
        checks = [_parser._parse_check('is_admin:True'),
                  _parser._parse_check('True:%(enabled)s')]
        for _ in range(5):
            for check in checks:
                policy._check(check, {'enabled': True}, {'is_admin': True},
                              None, 'r')
        self.assertEqual(2, spy.call_count)

    def test_subclasses_keep_their_own_call(self):
        from oslo_policy import _checks

        class Always(_checks.GenericCheck):
            def __call__(self, target, creds, enforcer):
                return True

        self.assertTrue(policy._check(Always('is_admin', 'True'), {},
                                      {'is_admin': False}, None, 'r'))
