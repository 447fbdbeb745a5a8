"""The reset manager's state rules, cell by cell.

(source status x target x verification passes / fails / unsupported x
race lost), with the fake driver and a real SQLite database: no mocks of
our own code.
"""

import itertools

import fixtures
import testscenarios

from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import manager
from cinder_backup_reset.tests import base
from cinder_backup_reset.verification import jobs

SOURCES = ('creating', 'restoring', 'available', 'error', 'error_deleting',
           'deleting')
TARGETS = ('available', 'error')
VERIFY = ('passes', 'fails', 'no_service', 'other_driver')
RACE = ('no_race', 'race_lost')

load_tests = testscenarios.load_tests_apply_scenarios


def _expected(source, target, verify):
    """The spec's rules: (outcome, final status, verified)."""
    if target == 'error':
        return 'applied', 'error', 'skipped'
    if source == 'restoring':
        return 'applied', 'available', 'skipped'
    if verify == 'passes':
        return 'applied', 'available', 'passed'
    if verify == 'fails':
        return 'verify_failed', 'error', 'failed'
    return 'refused', source, None


class TestResetRules(base.TestCase):

    scenarios = [
        ('%s-to-%s-verify-%s-%s' % cell,
         dict(source=cell[0], target=cell[1], verify=cell[2], race=cell[3]))
        for cell in itertools.product(SOURCES, TARGETS, VERIFY, RACE)]

    def _backup(self):
        service = {'no_service': None,
                   'other_driver': 'cinder.backup.drivers.swift'}.get(
            self.verify, base.FAKE_SERVICE)
        backup = self.create_backup(status=self.source, service=service,
                                    fail_reason='old failure')
        if self.verify == 'passes':
            fake.FakeBackupDriver.outcomes[backup.id] = True
        elif self.verify == 'fails':
            fake.FakeBackupDriver.outcomes[backup.id] = 'chunk 3 is missing'
        return backup

    def test_cell(self):
        backup = self._backup()
        mgr = manager.BackupResetManager(self.conf)
        outcome, final, verified = _expected(self.source, self.target,
                                             self.verify)
        if self.race == 'race_lost' and outcome != 'refused':
            # Another writer changes the row after we read it.
            other = 'deleting' if self.source != 'deleting' else 'creating'
            db_api.backup_conditional_update(
                self.admin, backup.id, self.source, {'status': other})
            exc = self.assertRaises(exception.BackupStatusConflict,
                                    mgr.reset_backup, self.admin, backup,
                                    self.target)
            self.assertNotIsInstance(exc, exception.BackupStatusNotExpected)
            self.assertIn('its status was %s when read, but another '
                          'operation changed it to %s first (a lost race)'
                          % (self.source, other), str(exc))
            self.assertEqual(other, self.get_backup(backup.id).status)
            self.assertEqual([], db_api.status_history_get(self.admin,
                                                           backup.id))
            return

        if outcome == 'applied':
            result = mgr.reset_backup(self.admin, backup, self.target,
                                      reason='operator says so')
            self.assertTrue(result.applied)
            self.assertEqual((self.source, final, verified),
                             (result.from_status, result.to_status,
                              result.verified))
            self.assertEqual(final, result.history['to_status'])
        elif outcome == 'verify_failed':
            exc = self.assertRaises(exception.BackupVerifyFailed,
                                    mgr.reset_backup, self.admin, backup,
                                    self.target)
            self.assertEqual(400, exc.code)
            self.assertIn('chunk 3 is missing', str(exc))
        else:
            expected_exc = (exception.BackupNothingToVerify
                            if self.verify == 'no_service'
                            else exception.BackupDriverMismatch)
            exc = self.assertRaises(expected_exc, mgr.reset_backup,
                                    self.admin, backup, self.target)
            self.assertEqual(400, exc.code)

        row = self.get_backup(backup.id)
        self.assertEqual(final, row.status)
        history = db_api.status_history_get(self.admin, backup.id)
        if outcome == 'refused':
            self.assertEqual([], history)
            self.assertEqual('old failure', row.fail_reason)
            return
        self.assertEqual(1, len(history))
        self.assertEqual((self.source, final, verified),
                         (history[0].from_status, history[0].to_status,
                          history[0].verified))
        self.assertEqual('admin-user', history[0].user_id)
        self.assertEqual('p1', history[0].project_id)
        self.assertEqual(self.admin.request_id, history[0].request_id)
        if final == 'available':
            self.assertIsNone(row.fail_reason)
        elif outcome == 'verify_failed':
            self.assertEqual('chunk 3 is missing', row.fail_reason)
        else:
            self.assertEqual('operator says so', row.fail_reason)
        uses_driver = (self.target == 'available' and
                       self.source != 'restoring')
        self.assertEqual(uses_driver, bool(fake.FakeBackupDriver.calls))


class TestResetOptions(base.TestCase):

    def setUp(self):
        super().setUp()
        self.mgr = manager.BackupResetManager(self.conf)

    def test_expected_status_mismatch_is_conflict_without_write(self):
        backup = self.create_backup(status='creating')
        exc = self.assertRaises(exception.BackupStatusNotExpected,
                                self.mgr.reset_backup, self.admin, backup,
                                'error', expected_status='restoring')
        self.assertEqual(409, exc.code)
        self.assertIn('its status is creating, not restoring as the request '
                      'expected', str(exc))
        self.assertNotIn('another operation', str(exc))
        self.assertEqual('creating', self.get_backup(backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       backup.id))

    def test_expected_status_match_applies(self):
        backup = self.create_backup(status='restoring')
        result = self.mgr.reset_backup(self.admin, backup, 'available',
                                       expected_status='restoring')
        self.assertEqual('available', result.status)

    def test_dry_run_writes_nothing_and_reports_verification(self):
        backup = self.create_backup(status='creating')
        fake.FakeBackupDriver.outcomes[backup.id] = 'sha256file missing'
        result = self.mgr.reset_backup(self.admin, backup, 'available',
                                       dry_run=True)
        self.assertFalse(result.applied)
        self.assertTrue(result.dry_run)
        self.assertEqual(('creating', 'error', 'failed', 'creating'),
                         (result.from_status, result.to_status,
                          result.verified, result.status))
        self.assertEqual('sha256file missing',
                         result.verification['reason'])
        self.assertEqual('creating', self.get_backup(backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       backup.id))

    def test_dry_run_passing_verification(self):
        backup = self.create_backup(status='error')
        fake.FakeBackupDriver.outcomes[backup.id] = True
        result = self.mgr.reset_backup(self.admin, backup, 'available',
                                       dry_run=True)
        self.assertEqual(('available', 'passed', False),
                         (result.to_status, result.verified, result.applied))
        self.assertEqual('error', self.get_backup(backup.id).status)

    def test_status_is_case_insensitive(self):
        backup = self.create_backup(status='creating')
        result = self.mgr.reset_backup(self.admin, backup, 'ERROR')
        self.assertEqual('error', result.status)

    def test_invalid_target_refused(self):
        backup = self.create_backup(status='creating')
        self.assertRaises(exception.InvalidParameterValue,
                          self.mgr.reset_backup, self.admin, backup,
                          'restoring')

    def test_driver_crash_is_a_failed_verification(self):
        backup = self.create_backup(status='creating')

        class Broken(fake.FakeBackupDriver):
            def verify(self, context, backup, deep=False, progress=None):
                raise OSError('share not mounted')

        mgr = manager.BackupResetManager(self.conf, driver=Broken(self.conf))
        exc = self.assertRaises(exception.BackupVerifyFailed,
                                mgr.reset_backup, self.admin, backup,
                                'available')
        self.assertIn('share not mounted', str(exc))
        row = self.get_backup(backup.id)
        self.assertEqual('error', row.status)
        self.assertIn('could not complete', row.fail_reason)

    def test_long_failure_reason_truncated_to_column(self):
        backup = self.create_backup(status='creating')
        fake.FakeBackupDriver.outcomes[backup.id] = 'x' * 1000
        self.assertRaises(exception.BackupVerifyFailed,
                          self.mgr.reset_backup, self.admin, backup,
                          'available')
        self.assertEqual(255, len(self.get_backup(backup.id).fail_reason))

    def test_cinder_service_prefix_is_ours(self):
        # NOTE: Cinder matches a stored service name as a prefix of the
        # driver's (old rows store the module path only).
        backup = self.create_backup(
            status='creating',
            service='cinder_backup_reset.backup.drivers.fake')
        fake.FakeBackupDriver.outcomes[backup.id] = True
        result = self.mgr.reset_backup(self.admin, backup, 'available')
        self.assertEqual('passed', result.verified)

    def test_mismatch_message_names_both_drivers(self):
        backup = self.create_backup(status='creating',
                                    service='cinder.backup.drivers.swift')
        exc = self.assertRaises(exception.BackupDriverMismatch,
                                self.mgr.reset_backup, self.admin, backup,
                                'available')
        self.assertIn('cinder.backup.drivers.swift', str(exc))
        self.assertIn(base.FAKE_SERVICE, str(exc))


class TestManagerReadsAndAuthorizes(base.TestCase):
    """The API's operations take an id: the manager reads, then authorizes.

    A controller only parses and renders, so these are the checks every
    action relies on: another project's backup is 404 (never revealed),
    a caller without the rule is 403, and nothing is written either way.
    """

    FILE_DATABASE = True

    def setUp(self):
        super().setUp()
        self.mgr = manager.BackupResetManager(self.conf)
        self.backup = self.create_backup(status='creating')
        self.member = context.RequestContext(
            user_id='owner', project_id='p1', roles=['member', 'reader'],
            overwrite=False)
        self.stranger = context.RequestContext(
            user_id='x', project_id='p2', roles=['member', 'reader'],
            overwrite=False)
        self.addCleanup(lambda: jobs.get_runner(self.conf).wait(30))

    def operations(self):
        bid = self.backup.id
        return {
            'reset_status': lambda ctx: self.mgr.reset_status(
                ctx, bid, 'error'),
            'force_delete': lambda ctx: self.mgr.force_delete(ctx, bid),
            'status_history': lambda ctx: self.mgr.status_history(ctx, bid),
            'start_verification': lambda ctx: self.mgr.start_verification(
                ctx, bid, 'shallow'),
            'get_verifications': lambda ctx: self.mgr.get_verifications(
                ctx, bid),
            'get_verification': lambda ctx: self.mgr.get_verification(
                ctx, bid, 'no-such-job'),
        }

    def assertUnchanged(self):
        self.assertEqual('creating', self.get_backup(self.backup.id).status)
        self.assertEqual([], db_api.status_history_get(self.admin,
                                                       self.backup.id))
        self.assertEqual([], db_api.verification_get_all(self.admin,
                                                         self.backup.id))

    def test_member_of_the_project_is_refused(self):
        for call in self.operations().values():
            self.assertRaises(exception.PolicyNotAuthorized, call,
                              self.member)
        self.assertUnchanged()

    def test_another_projects_backup_is_not_found(self):
        for call in self.operations().values():
            self.assertRaises(exception.BackupNotFound, call, self.stranger)
        self.assertUnchanged()

    def test_update_and_show_are_the_owners(self):
        self.assertRaises(exception.BackupNotFound, self.mgr.update_backup,
                          self.stranger, self.backup.id,
                          {'display_name': 'x'})
        self.assertRaises(exception.BackupNotFound, self.mgr.get_backup,
                          self.stranger, self.backup.id)
        updated = self.mgr.update_backup(self.member, self.backup.id,
                                         {'display_name': 'x'})
        self.assertEqual('x', updated.display_name)

    def test_stuck_report_policy_before_any_read(self):
        reads = self.useFixture(fixtures.MockPatchObject(
            db_api, 'backup_get_all')).mock
        self.assertRaises(exception.PolicyNotAuthorized,
                          self.mgr.get_backups, self.member, stuck=True)
        reads.assert_not_called()

    def test_bulk_policy_before_any_read(self):
        reads = self.useFixture(fixtures.MockPatchObject(
            db_api, 'backup_get_all')).mock
        self.assertRaises(exception.PolicyNotAuthorized, self.mgr.bulk_reset,
                          self.member, 'error', {'stuck': True}, 10)
        reads.assert_not_called()

    def test_admin_is_served(self):
        outcome = self.mgr.reset_status(self.admin, self.backup.id, 'error')
        self.assertEqual('error', outcome.status)
        self.assertEqual(1, len(self.mgr.status_history(self.admin,
                                                        self.backup.id)))
        self.assertRaises(exception.VerificationNotFound,
                          self.mgr.get_verification, self.admin,
                          self.backup.id, 'no-such-job')
