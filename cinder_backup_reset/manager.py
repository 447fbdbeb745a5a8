"""The reset manager: the spec's state rules, applied synchronously.

- ``* -> error``: direct.
- ``restoring -> available``: direct (the data already exists).
- any other source ``-> available``: only after the backup driver verifies
  the backup on its backend. A failed verification sets ``error`` with the
  driver's reason in ``fail_reason``, records it, and raises.

Every write is a compare-and-swap on the status that was read (or the
caller's ``expected_status``); losing a race changes nothing and raises
BackupStatusConflict. The status change and its history row commit
together.

``fail_reason`` is evidence: a reset to ``error`` without a reason keeps
the one the backup has (Cinder's own, for instance), and whenever a reset
changes or clears it the history row keeps the previous value
(``evidence.previous_fail_reason``).

On Cinder's database a reset also reconciles the backup's source volume,
snapshot and restore target as Cinder's restart cleanup would
(db/cinder_tables.py reconcile()), in the same transaction, unless the
caller opts out.
"""

import concurrent.futures
import dataclasses
import threading

from oslo_config import cfg
from oslo_log import log as logging

from cinder_backup_reset.backup import driver as backup_driver
from cinder_backup_reset import bulk
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import cinder_tables
from cinder_backup_reset.db import models
from cinder_backup_reset.db import stuck as db_stuck
from cinder_backup_reset import exception
from cinder_backup_reset import force_delete as force_delete_mod
from cinder_backup_reset import notifier
from cinder_backup_reset.objects import fields
from cinder_backup_reset.policies import backup_actions as action_policies
from cinder_backup_reset.policies import backups as backup_policies
from cinder_backup_reset.policies import verifications as verify_policies
from cinder_backup_reset.verification import jobs

LOG = logging.getLogger(__name__)
CONF = cfg.CONF

#: values of ``verified`` in outcomes and history rows
PASSED, FAILED, SKIPPED = 'passed', 'failed', 'skipped'


@dataclasses.dataclass
class ResetOutcome:
    """What a reset did (or, for a dry run, would do)."""

    backup_id: str
    from_status: str
    to_status: str
    status: str
    applied: bool
    dry_run: bool
    verified: str
    verification: dict = None
    reason: str = None
    history: dict = None
    volumes: list = dataclasses.field(default_factory=list)

    def to_dict(self):
        # NOTE: shallow on purpose: asdict() deep-copies the evidence,
        # which showed in the reset path's profile for nothing.
        return {field.name: getattr(self, field.name)
                for field in dataclasses.fields(self)}


class BackupResetManager:
    """Applies status resets to backups."""

    def __init__(self, conf=CONF, driver=None, local=False, agent=None):
        """Make a manager.

        ``local=True`` verifies in this process whatever verify_via says
        (the agent's own manager); ``agent`` is an rpc.AgentAPI.
        """
        self.conf = conf
        self._driver = driver
        self._executor = None
        self._pool_lock = threading.Lock()
        self.local = local
        self._agent = agent

    @property
    def via_rpc(self):
        """Whether verification runs on the backup's host's agent."""
        return not self.local and self.conf.verify_via == 'rpc'

    @property
    def agent(self):
        """The rpc.AgentAPI, made on first use."""
        if self._agent is None:
            from cinder_backup_reset import rpc
            self._agent = rpc.AgentAPI(self.conf)
        return self._agent

    def _verify_pool(self):
        # NOTE: made on first use, in the process that serves (never before
        # a fork), and bounded: threads stuck on a hung backend cannot pile
        # up.
        with self._pool_lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self.conf.verify_workers,
                    thread_name_prefix='verify')
            return self._executor

    def run_bounded(self, fn, *args, **kwargs):
        """Run ``fn`` on the bounded pool of backend calls; a Future."""
        return self._verify_pool().submit(fn, *args, **kwargs)

    def verify(self, context, backup, deep=False):
        """The driver's verification, bounded by ``verify_timeout``.

        :returns: driver.VerifyResult
        :raises BackupVerifyFailed: the backup is not whole.
        :raises BackupBackendUnavailable: the backend could not be read, or
            did not answer within ``[DEFAULT] verify_timeout`` seconds;
            under ``verify_via = rpc`` also: no agent answered within
            ``rpc_response_timeout``.
        """
        if self.via_rpc:
            return self._verify_remote(context, backup, deep)
        return self.call_backend(backup, 'the verification',
                                 self.driver.verify, context, backup,
                                 deep=deep)

    def call_backend(self, backup, what, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` on the bounded pool, for ``backup``.

        :returns: what ``fn`` returns.
        :raises BackupBackendUnavailable: it did not finish within
            ``[DEFAULT] verify_timeout`` seconds (``what`` names it in the
            reason); whatever ``fn`` raises otherwise.
        """
        future = self.run_bounded(fn, *args, **kwargs)
        try:
            return future.result(timeout=self.conf.verify_timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise exception.BackupBackendUnavailable(
                backup_id=backup.id, reason=(
                    '%s did not finish within %d seconds ([DEFAULT] '
                    'verify_timeout); the backend may be hung'
                    % (what, self.conf.verify_timeout)))

    def _verify_remote(self, context, backup, deep):
        answer = self.agent.verify(context, backup, deep=deep)
        if answer.get('result') == PASSED:
            return backup_driver.VerifyResult(level=answer['level'],
                                              evidence=answer['evidence'])
        raise exception.BackupVerifyFailed(
            backup_id=backup.id, reason=answer.get('reason'),
            evidence=answer.get('evidence'))

    @property
    def driver(self):
        """The configured backup driver, loaded on first use."""
        if self._driver is None:
            self._driver = backup_driver.load_driver(self.conf)
        return self._driver

    # NOTE: the operations the API calls take a backup's id: each reads
    # the backup and authorizes the caller here (get_backup), then works
    # on the row, so a controller only parses, calls one method and
    # renders.

    @staticmethod
    def get_backup(context, backup_id, policy_name=backup_policies.GET_POLICY,
                   with_metadata=False, read_deleted=False):
        """Read one backup and authorize ``policy_name`` on it.

        The caller must first be allowed to see the backup (backup:get):
        a non-admin only ever reads their own project's rows, so another
        project's backup is 404, never 403, and its existence is not
        revealed.

        :param with_metadata: also load the backup's metadata (for views
            that show it).
        :param read_deleted: also find a soft-deleted backup.
        :returns: the backup row.
        :raises BackupNotFound: (404) no such backup for this caller.
        :raises PolicyNotAuthorized: (403) ``policy_name`` refuses.
        """
        backup = db_api.backup_get(context, backup_id,
                                   with_metadata=with_metadata,
                                   read_deleted=read_deleted)
        target = {'project_id': backup.project_id,
                  'user_id': backup.user_id}
        context.can(backup_policies.GET_POLICY, target=target)
        if policy_name != backup_policies.GET_POLICY:
            context.can(policy_name, target=target)
        return backup

    def get_backups(self, context, filters=None, marker=None, limit=None,
                    sort_key='created_at', sort_dir='desc',
                    all_tenants=False, stuck=False):
        """Authorize, then one page of backups.

        ``backup:get_all`` first; the stuck report (``stuck``, PRODUCT.md
        "Stuck backups") is an operator's tool that names hosts and
        services, so its admin rule is checked too, before any read. As
        in Cinder, ``all_tenants`` from a non-admin is ignored.

        :param filters: column -> value (or list of values).
        :returns: ``(rows, stuck)``: ``stuck`` is None, or for the stuck
            report ``{backup id: why it is stuck}`` (db/stuck.py).
        """
        context.can(backup_policies.GET_ALL_POLICY)
        report = None
        if stuck:
            context.can(action_policies.STUCK_REPORT)
            report = db_stuck.Stuck(self.conf)
            filters = report.filters(filters or {})
        backups = db_api.backup_get_all(
            context, filters=filters, marker=marker, limit=limit,
            sort_keys=[sort_key], sort_dirs=[sort_dir],
            all_projects=all_tenants and context.is_admin,
            criteria=report.criteria if report else None)
        return backups, (report.describe(context, backups) if report
                         else None)

    def update_backup(self, context, backup_id, values, metadata=None):
        """Read, authorize (``backup:update``), then change the backup.

        :param values: ``display_name`` and/or ``display_description``.
        :param metadata: the new metadata (replaces it), or None.
        :returns: the updated row, with its metadata.
        """
        backup = self.get_backup(context, backup_id,
                                 backup_policies.UPDATE_POLICY)
        return db_api.backup_update(context, backup.id, values,
                                    metadata=metadata)

    def reset_status(self, context, backup_id, status, reason=None,
                     expected_status=None, dry_run=False, reconcile=True):
        """Read, authorize (``RESET_STATUS``), then reset_backup().

        :returns: ResetOutcome
        :raises: what get_backup() and reset_backup() raise.
        """
        backup = self.get_backup(context, backup_id,
                                 action_policies.RESET_STATUS)
        return self.reset_backup(
            context, backup, status, reason=reason,
            expected_status=expected_status, dry_run=dry_run,
            reconcile=reconcile)

    def force_delete(self, context, backup_id):
        """Read, authorize (``FORCE_DELETE``), then force-delete.

        :returns: the history entry (dict) of the deletion.
        :raises: what get_backup() and force_delete.force_delete() raise.
        """
        backup = self.get_backup(context, backup_id,
                                 action_policies.FORCE_DELETE)
        return force_delete_mod.force_delete(self, context, backup)

    def status_history(self, context, backup_id):
        """Read, authorize (``STATUS_HISTORY``); the history, newest first.

        :returns: list of history rows (api/views/history.py renders them).
        """
        # NOTE: the audit trail outlives the backup: a force-deleted
        # backup's history (its deletion included) stays readable.
        backup = self.get_backup(context, backup_id,
                                 action_policies.STATUS_HISTORY,
                                 read_deleted=True)
        return db_api.status_history_get(context, backup.id)

    def start_verification(self, context, backup_id, level):
        """Read, authorize (``VERIFY``), then start a verification job.

        On the backup's host's agent under ``verify_via = rpc``, else on
        this process's bounded runner.

        :param level: ``shallow`` or ``deep``.
        :returns: the job as a dict (verification.jobs.as_dict()).
        :raises AgentUnavailable: (503) no agent took the job.
        """
        backup = self.get_backup(context, backup_id, verify_policies.VERIFY)
        if self.via_rpc:
            return self.agent.start_verification(context, backup, level)
        return jobs.get_runner(self.conf).start(context, backup, level)

    def get_verifications(self, context, backup_id):
        """Read, authorize (``GET``); the backup's jobs, newest first."""
        backup = self.get_backup(context, backup_id, verify_policies.GET)
        return db_api.verification_get_all(context, backup.id)

    def get_verification(self, context, backup_id, verification_id):
        """Read, authorize (``GET``); one job of the backup.

        :raises VerificationNotFound: (404) no such job of this backup.
        """
        backup = self.get_backup(context, backup_id, verify_policies.GET)
        return db_api.verification_get(context, backup.id, verification_id)

    def bulk_reset(self, context, status, match, maximum, reason=None,
                   dry_run=False, reconcile=True):
        """Reset every backup ``match`` selects (bulk.bulk_reset()).

        ``BULK_RESET_STATUS`` is authorized before any read; each backup
        is then authorized on its own (``RESET_STATUS``).

        :returns: what bulk.bulk_reset() returns.
        :raises PolicyNotAuthorized: (403) nothing was read or changed.
        :raises InvalidParameterValue: (400) more than ``maximum`` match.
        """
        context.can(action_policies.BULK_RESET_STATUS)
        return bulk.bulk_reset(self, context, status, match, maximum,
                               reason=reason, dry_run=dry_run,
                               reconcile=reconcile)

    def reset_backup(self, context, backup, status, reason=None,
                     expected_status=None, dry_run=False, reconcile=True):
        """Reset ``backup`` (a row the caller read and authorized).

        ``reconcile`` (on Cinder's database) also returns the backup's
        volume, snapshot and restore target from their in-progress
        statuses (ResetOutcome.volumes lists each change, or for a dry
        run each planned one).

        :returns: ResetOutcome
        :raises BackupStatusNotExpected: the status is not the caller's
            ``expected_status`` (nothing was written).
        :raises BackupStatusConflict: the status changed while we worked
            (a lost race; nothing was written).
        :raises BackupVerifyFailed: verification failed; unless dry_run,
            the backup is now ``error`` and the history records why.
        :raises InvalidBackup: ``-> available`` cannot be verified here
            (no backup service recorded, or another driver's backup).
        """
        status = status.lower()
        targets = fields.BackupStatus.RESET_TARGETS
        if status not in targets:
            raise exception.InvalidParameterValue(
                err='Backup status: %s is invalid, valid statuses are: %s.'
                    % (status, ', '.join(targets)))
        seen = backup.status
        if expected_status is not None and expected_status != seen:
            raise exception.BackupStatusNotExpected(
                backup_id=backup.id, actual=seen, expected=expected_status)

        if self.needs_verification(backup, status):
            return self._reset_verified(context, backup, seen, reason,
                                        dry_run, reconcile)
        return self._apply(context, backup, seen,
                           _direct_values(context, backup, status, reason),
                           reason, SKIPPED, None, dry_run, reconcile)

    @staticmethod
    def needs_verification(backup, status):
        """Whether a reset of ``backup`` to ``status`` verifies first."""
        return (status.lower() == fields.BackupStatus.AVAILABLE and
                backup.status != fields.BackupStatus.RESTORING)

    def reset_many(self, context, backups, status, reason=None,
                   reconcile=True):
        """Reset backups that need no verification, many per commit.

        Exactly what reset_status() does for each (its rules, its own
        compare-and-swap, history row, reconciliation and
        notifications), written in one transaction for all of them.

        :param backups: rows the caller read and authorized, none of
            which needs_verification().
        :returns: list, per backup, of a ResetOutcome or the exception
            (BackupStatusConflict, BackupNotFound) that refused it.
        """
        status = status.lower()
        items, prepared = [], []
        for backup in backups:
            values = _direct_values(context, backup, status, reason)
            evidence = _fail_reason_evidence(backup, values, {})
            changes = []
            items.append({
                'backup_id': backup.id, 'expected_status': backup.status,
                'values': values,
                'history': {'from_status': backup.status,
                            'to_status': status, 'reason': reason,
                            'verified': SKIPPED, 'evidence': evidence},
                'reconcile': (_reconciler(backup, changes)
                              if reconcile else None)})
            prepared.append((backup, values, changes))
        results = db_api.backup_conditional_update_many(context, items)
        outcomes = []
        for (backup, values, changes), result in zip(prepared, results):
            if isinstance(result, Exception):
                outcomes.append(result)
                continue
            outcome = ResetOutcome(
                backup_id=backup.id, from_status=backup.status,
                to_status=status, status=status, applied=True,
                dry_run=False, verified=SKIPPED, reason=reason,
                history=result, volumes=changes)
            self._applied(context, backup, backup.status, values, SKIPPED)
            outcomes.append(outcome)
        return outcomes

    def _reset_verified(self, context, backup, seen, reason, dry_run,
                        reconcile=True):
        self.driver.check_verifiable(backup)
        try:
            result = self.verify(context, backup)
        except exception.BackupVerifyFailed as exc:
            failure, evidence = exc.reason, exc.evidence
        except exception.BackupBackendUnavailable:
            # NOTE: nothing is known about the data: no verdict, no write.
            raise
        except Exception as exc:
            # NOTE: a driver that crashes on what it read (an unexpected
            # layout) has not shown the data is there; error is the safe
            # state, and the operator sees why. A backend it could not read
            # at all is BackupBackendUnavailable above: no verdict.
            LOG.exception('Verification of backup %s could not complete.',
                          backup.id)
            failure = 'verification could not complete: %s: %s' % (
                type(exc).__name__, exc)
            evidence = {}
        else:
            verification = {'level': result.level,
                            'evidence': result.evidence}
            return self._apply(context, backup, seen,
                               {'status': fields.BackupStatus.AVAILABLE,
                                'fail_reason': None},
                               reason, PASSED, verification, dry_run,
                               reconcile)

        verification = {'level': 'shallow', 'evidence': evidence,
                        'reason': failure}
        outcome = self._apply(
            context, backup, seen,
            {'status': fields.BackupStatus.ERROR, 'fail_reason': failure},
            _failed_reason(failure, reason), FAILED, verification, dry_run,
            reconcile)
        if dry_run:
            return outcome
        raise exception.BackupVerifyFailed(
            backup_id=backup.id, reason=failure, evidence=evidence)

    def _apply(self, context, backup, seen, values, reason, verified,
               verification, dry_run, reconcile=True):
        outcome = ResetOutcome(
            backup_id=backup.id, from_status=seen, to_status=values['status'],
            status=seen, applied=False, dry_run=dry_run, verified=verified,
            verification=verification, reason=reason)
        if dry_run:
            if reconcile:
                outcome.volumes = db_api.backup_reconcile_plan(context,
                                                               backup)
            return outcome
        evidence = _fail_reason_evidence(
            backup, values, _history_evidence(verification))
        changes = []
        history = db_api.backup_conditional_update(
            context, backup.id, seen, values,
            history={'from_status': seen, 'to_status': values['status'],
                     'reason': reason, 'verified': verified,
                     'evidence': evidence},
            reconcile=_reconciler(backup, changes) if reconcile else None)
        outcome.applied = True
        outcome.status = values['status']
        outcome.history = history
        outcome.volumes = changes
        self._applied(context, backup, seen, values, verified)
        return outcome

    def _applied(self, context, backup, seen, values, verified):
        LOG.info('Backup %(id)s reset from %(from)s to %(to)s by user '
                 '%(user)s (verification %(verified)s).',
                 {'id': backup.id, 'from': seen, 'to': values['status'],
                  'user': context.user_id, 'verified': verified})
        # NOTE: both notifications go out once the change has committed, so
        # a reset that changes nothing (refused, lost race, dry run) never
        # leaves a .start without its .end for metering to puzzle over.
        notifier.notify_backup_usage(context, backup, 'reset_status.start',
                                     conf=self.conf)
        notifier.notify_backup_usage(context, backup, 'reset_status.end',
                                     conf=self.conf, **_new_fields(values))


def _direct_values(context, backup, status, reason):
    """The row's new values for a reset that needs no verification."""
    values = {'status': status}
    if status == fields.BackupStatus.AVAILABLE:
        values['fail_reason'] = None
    elif reason:
        values['fail_reason'] = reason
    elif not backup.fail_reason:
        values['fail_reason'] = (
            'Status reset to error by user %s.' % context.user_id)
    # NOTE: else the reason the backup has stays: it is the evidence of
    # what went wrong (Cinder's, or a failed verification's), and
    # "cinder backup-reset-state --state error" sends no reason.
    return values


def _fail_reason_evidence(backup, values, evidence):
    """``evidence`` plus the previous fail_reason if the reset changes it."""
    previous = getattr(backup, 'fail_reason', None)
    if ('fail_reason' in values and
            db_api.truncate_fail_reason(values['fail_reason']) != previous):
        evidence['previous_fail_reason'] = previous
    return evidence


def _reconciler(backup, changes):
    """reconcile() for backup_conditional_update, collecting ``changes``."""
    def reconcile(conn):
        changes.extend(cinder_tables.reconcile(
            conn, models.Backup.__table__, backup))
        return changes
    return reconcile


def _failed_reason(failure, requested):
    text = 'Verification failed: %s' % failure
    if requested:
        text += ' (requested: %s)' % requested
    return text


def _history_evidence(verification):
    """What the history row keeps of a verification.

    The driver's facts, the level, and the failure reason if any.
    """
    if not verification:
        return {}
    evidence = dict(verification.get('evidence') or {})
    evidence['level'] = verification['level']
    if verification.get('reason'):
        evidence['failure'] = verification['reason']
    return evidence


def _new_fields(values):
    return {key: values[key] for key in ('status', 'fail_reason')
            if key in values}
