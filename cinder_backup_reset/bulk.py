"""Bulk reset: every backup matching a filter, one by one, in one call.

Each backup gets exactly what a single reset gives it (the manager's state
rules, its own compare-and-swap, its own history row, its own
reconciliation of volumes and snapshots); a backup whose reset fails is
reported and never stops the others. Verifications (``-> available``) run
in parallel, at most ``[DEFAULT] verify_workers`` at once.
"""

import concurrent.futures

from oslo_db import exception as db_exc
from oslo_log import log as logging

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import stuck as db_stuck
from cinder_backup_reset import exception
from cinder_backup_reset.policies import backup_actions as policies

LOG = logging.getLogger(__name__)
#: resets written per transaction (each still its own compare-and-swap
#: and history row)
BATCH = 500


def select(context, conf, match):
    """The backups ``match`` selects, oldest first.

    :param match: dict with any of ``stuck`` (bool), ``status``, ``host``,
        ``older_than`` (seconds without progress), ``all_tenants`` (bool;
        admin contexts only, as for the list calls).
    :returns: list of backups (ORM rows).
    """
    rule = db_stuck.Stuck(conf) if match.get('stuck') else None
    filters = {key: match[key] for key in ('status', 'host') if key in match}
    if rule:
        filters = rule.filters(filters)

    def criteria(conn):
        conditions = rule.criteria(conn) if rule else []
        if match.get('older_than') is not None:
            conditions.append(db_stuck.older_than(match['older_than']))
        return conditions

    return db_api.backup_get_all(
        context, filters=filters, sort_keys=['created_at', 'id'],
        sort_dirs=['asc', 'asc'],
        all_projects=bool(match.get('all_tenants')) and context.is_admin,
        criteria=criteria)


def bulk_reset(reset_manager, context, status, match, maximum,
               reason=None, dry_run=False, reconcile=True, progress=None):
    """Reset every backup ``match`` selects to ``status``.

    Resets that need no verification are written BATCH to a transaction
    (manager.reset_many); verifications run on a pool of
    ``verify_workers`` threads, each then its own transaction.

    :param maximum: refuse (nothing changed) when more backups match.
    :param progress: optional callable(done, total) after each backup.
    :returns: ``{"matched": N, "backup_resets": [{"backup_id",
        "outcome": {...}} or {"backup_id", "error": {"code",
        "message"}}]}`` in the order of selection.
    :raises InvalidParameterValue: more than ``maximum`` backups match.
    """
    backups = select(context, reset_manager.conf, match)
    if len(backups) > maximum:
        raise exception.InvalidParameterValue(
            err='%d backups match the filter, more than max (%d); nothing '
                'was changed. Narrow the filter (host, status, '
                'older_than) or raise max.' % (len(backups), maximum))

    def one(backup):
        try:
            outcome = reset_manager.reset_backup(
                context, backup, status, reason=reason,
                expected_status=backup.status, dry_run=dry_run,
                reconcile=reconcile)
        except Exception as exc:
            return _failure(backup.id, exc)
        return {'backup_id': backup.id, 'outcome': outcome.to_dict()}

    total = len(backups)
    results = {}
    allowed = []
    # NOTE: the rule's answer depends only on the caller and the target,
    # and a bulk reset meets the same few owners many times; one
    # enforcement per owner (it costs about a millisecond each).
    decisions = {}
    for backup in backups:
        owner = (backup.project_id, backup.user_id)
        if owner not in decisions:
            try:
                context.can(policies.RESET_STATUS,
                            target={'project_id': backup.project_id,
                                    'user_id': backup.user_id})
            except Exception as exc:
                decisions[owner] = exc
            else:
                decisions[owner] = None
        if decisions[owner] is not None:
            results[backup.id] = _failure(backup.id, decisions[owner])
        else:
            allowed.append(backup)
    verified, direct = [], []
    for backup in allowed:
        if dry_run or reset_manager.needs_verification(backup, status):
            verified.append(backup)
        else:
            direct.append(backup)

    def done(result):
        results[result['backup_id']] = result
        _tick(progress, len(results), total)

    for start in range(0, len(direct), BATCH):
        chunk = direct[start:start + BATCH]
        try:
            outcomes = reset_manager.reset_many(
                context, chunk, status, reason=reason, reconcile=reconcile)
        except Exception:
            # NOTE: nothing of the batch was committed; one by one, so
            # that whatever failed fails alone.
            LOG.warning('A batch of %d resets failed; retrying them one '
                        'by one.', len(chunk), exc_info=True)
            for backup in chunk:
                done(one(backup))
            continue
        for backup, outcome in zip(chunk, outcomes):
            if isinstance(outcome, Exception):
                done(_failure(backup.id, outcome))
            else:
                done({'backup_id': backup.id,
                      'outcome': outcome.to_dict()})

    if len(verified) > 1:
        # NOTE: a verification waits on the backend; a few in flight hide
        # that wait, and manager.verify bounds each one. The pool is as
        # small as the manager's own.
        workers = min(reset_manager.conf.verify_workers, len(verified))
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=workers,
                thread_name_prefix='bulk-reset') as pool:
            for result in pool.map(one, verified):
                done(result)
    else:
        for backup in verified:
            done(one(backup))
    return {'matched': total,
            'backup_resets': [results[b.id] for b in backups]}


def _failure(backup_id, exc):
    if isinstance(exc, exception.CinderBackupResetException):
        return _error(backup_id, exc.code,
                      exc.msg if exc.safe else 'internal error')
    if isinstance(exc, db_exc.DBConnectionError):
        return _error(backup_id, 503, 'The database is unreachable; this '
                                      'backup was not changed.')
    LOG.error('Bulk reset of backup %s failed: %s', backup_id, exc,
              exc_info=exc)
    return _error(backup_id, 500, 'internal error; see the service log')


def _tick(progress, done, total):
    if progress is not None:
        progress(done, total)


def _error(backup_id, code, message):
    return {'backup_id': backup_id,
            'error': {'code': code, 'message': message}}
