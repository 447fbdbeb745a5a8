"""Cinder's ``os-force_delete`` on a backup, whatever its status.

As Cinder's backup manager deletes: the driver removes the backup's data,
then the row is soft-deleted (``deleted``, ``status = deleted``) and the
parent of an incremental backup counts one dependent less. Refused (400)
while other backups depend on it. On top of Cinder's: the row goes to
``deleting`` first by compare-and-swap (a job that moved it meanwhile wins,
409), a backend that cannot be reached puts it back and answers 503, the
final write is a compare-and-swap with a history row, and the backup's
volume and snapshot are reconciled as for a reset.
"""

from oslo_log import log as logging
from oslo_utils import timeutils

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import cinder_tables
from cinder_backup_reset.db import models
from cinder_backup_reset import exception
from cinder_backup_reset import notifier
from cinder_backup_reset.objects import fields

LOG = logging.getLogger(__name__)
DELETING = fields.BackupStatus.DELETING
DELETED = fields.BackupStatus.DELETED
_BACKUPS = models.Backup.__table__


def force_delete(reset_manager, context, backup, reason=None):
    """Force-delete ``backup`` (a row the caller read and authorized).

    :returns: the history entry (dict) of the deletion.
    :raises BackupHasDependents: incremental backups depend on it.
    :raises BackupDriverMismatch: another driver's backup.
    :raises BackupStatusConflict: its status changed meanwhile.
    :raises BackupBackendUnavailable: the backend cannot be reached; the
        backup is as it was.
    """
    dependents = db_api.backup_get_all(
        context, filters={'parent_id': backup.id}, all_projects=True)
    if dependents:
        raise exception.BackupHasDependents(
            backup_id=backup.id,
            dependents=', '.join(sorted(d.id for d in dependents)))
    drv = reset_manager.driver
    if backup.service and not drv.owns(backup.service):
        raise exception.BackupDriverMismatch(
            backup_id=backup.id, service=backup.service,
            configured=drv.name)
    seen = backup.status
    if seen != DELETING:
        db_api.backup_conditional_update(context, backup.id, seen,
                                         {'status': DELETING})
    try:
        evidence = _delete_data(reset_manager, context, backup)
    except exception.BackupBackendUnavailable:
        if seen != DELETING:
            # NOTE: nothing was removed; the backup is as it was.
            db_api.backup_conditional_update(context, backup.id, DELETING,
                                             {'status': seen})
        raise
    now = timeutils.utcnow()
    changes = []

    def _after(conn):
        changes.extend(cinder_tables.reconcile(conn, _BACKUPS, backup))
        if backup.parent_id:
            conn.execute(_BACKUPS.update().where(
                _BACKUPS.c.id == backup.parent_id,
                _BACKUPS.c.num_dependent_backups > 0).values(
                num_dependent_backups=(
                    _BACKUPS.c.num_dependent_backups - 1)))
        return changes

    evidence = dict(evidence, previous_fail_reason=backup.fail_reason)
    history = db_api.backup_conditional_update(
        context, backup.id, DELETING,
        {'status': DELETED, 'deleted': True, 'deleted_at': now},
        history={'from_status': seen, 'to_status': DELETED,
                 'reason': reason or 'force-deleted',
                 'verified': 'skipped', 'evidence': evidence},
        reconcile=_after)
    LOG.info('Backup %(id)s force-deleted from %(from)s by user %(user)s.',
             {'id': backup.id, 'from': seen, 'user': context.user_id})
    notifier.notify_backup_usage(context, backup, 'delete.end',
                                 conf=reset_manager.conf, status=DELETED)
    return history


def _delete_data(reset_manager, context, backup):
    if not backup.service:
        # NOTE: no driver ever wrote it: there is no data to remove.
        return {'removed': []}
    return reset_manager.call_backend(
        backup, "removing the backup's files", reset_manager.driver.delete,
        context, backup)
