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


def select(context, conf, match):
    """The backups ``match`` selects, oldest first.

    :param match: dict with any of ``stuck`` (bool), ``status``, ``host``,
        ``older_than`` (seconds without progress), ``all_tenants`` (bool;
        admin contexts only, as for the list calls).
    :returns: list of backups (ORM rows).
    """
    rule = db_stuck.Stuck(conf) if match.get('stuck') else None
    filters = {key: match[key] for key in ('status', 'host') if key in match}

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
            context.can(policies.RESET_STATUS,
                        target={'project_id': backup.project_id,
                                'user_id': backup.user_id})
            outcome = reset_manager.reset_status(
                context, backup, status, reason=reason,
                expected_status=backup.status, dry_run=dry_run,
                reconcile=reconcile)
        except exception.CinderBackupResetException as exc:
            return _error(backup.id, exc.code,
                          exc.msg if exc.safe else 'internal error')
        except db_exc.DBConnectionError:
            return _error(backup.id, 503, 'The database is unreachable; '
                                          'this backup was not changed.')
        except Exception:
            LOG.exception('Bulk reset of backup %s failed.', backup.id)
            return _error(backup.id, 500, 'internal error; see the '
                                          'service log')
        return {'backup_id': backup.id, 'outcome': outcome.to_dict()}

    results = []
    total = len(backups)
    needs_verify = status.lower() == 'available' and any(
        backup.status != 'restoring' for backup in backups)
    if needs_verify and total > 1:
        # NOTE: a verification waits on the backend; a few in flight
        # hide that wait, and manager.verify bounds each one. The
        # pool is as small as the manager's own.
        workers = min(reset_manager.conf.verify_workers, total)
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=workers,
                thread_name_prefix='bulk-reset') as pool:
            for result in pool.map(one, backups):
                results.append(result)
                _tick(progress, len(results), total)
    else:
        for backup in backups:
            results.append(one(backup))
            _tick(progress, len(results), total)
    return {'matched': total, 'backup_resets': results}


def _tick(progress, done, total):
    if progress is not None:
        progress(done, total)


def _error(backup_id, code, message):
    return {'backup_id': backup_id,
            'error': {'code': code, 'message': message}}
