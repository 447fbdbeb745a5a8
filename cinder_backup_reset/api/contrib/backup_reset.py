"""The backup reset extension: the spec's ``backup-reset_status`` action,
Cinder's ``os-reset_status`` on backups, and the status history."""

from oslo_config import cfg

from cinder_backup_reset.api.contrib import backups_bulk
from cinder_backup_reset.api import extensions
from cinder_backup_reset.api import resource
from cinder_backup_reset.api.schemas import backup_actions as schemas
from cinder_backup_reset.api.v3 import backups
from cinder_backup_reset.api import validation
from cinder_backup_reset.api.views import history as history_view
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import force_delete
from cinder_backup_reset import manager
from cinder_backup_reset.policies import backup_actions as policies


class BackupResetController(resource.Controller):
    """The reset actions on ``backups/{id}/action``.

    Order, as the spec and Cinder require: schema (400) before any lookup,
    then the backup (404), then policy (403), and only then the manager,
    which writes and notifies.
    """

    def __init__(self, reset_manager=None, conf=cfg.CONF):
        self.manager = reset_manager or manager.BackupResetManager(conf)
        # NOTE: load the driver now: a misconfigured backup_driver stops
        # the service at start-up, not at the first reset an operator needs.
        self.manager.driver

    def _reset(self, req, id, status, **kwargs):
        context = req.context
        backup = backups.load_backup(context, id, with_metadata=False)
        context.can(policies.RESET_STATUS,
                    target={'project_id': backup.project_id,
                            'user_id': backup.user_id})
        return self.manager.reset_status(context, backup, status, **kwargs)

    @resource.response(202)
    @resource.action('backup-reset_status')
    @validation.schema(schemas.backup_reset_status)
    def reset_status(self, req, id, body):
        """Reset synchronously; the body says what happened."""
        args = body['backup-reset_status']
        outcome = self._reset(req, id, args['status'],
                              reason=args.get('reason'),
                              expected_status=args.get('expected_status'),
                              dry_run=args.get('dry_run', False),
                              reconcile=args.get('reconcile', True))
        return {'backup_reset': outcome.to_dict()}

    @resource.response(202)
    @resource.action('os-force_delete')
    @validation.schema(schemas.os_force_delete)
    def os_force_delete(self, req, id, body):
        """Cinder's force-delete: the data, then the row (202, no body)."""
        context = req.context
        backup = backups.load_backup(context, id, with_metadata=False)
        context.can(policies.FORCE_DELETE,
                    target={'project_id': backup.project_id,
                            'user_id': backup.user_id})
        force_delete.force_delete(self.manager, context, backup)

    @resource.response(202)
    @resource.action('os-reset_status')
    @validation.schema(schemas.os_reset_status)
    def os_reset_status(self, req, id, body):
        """Cinder's action: same rules, Cinder's empty 202 body."""
        self._reset(req, id, body['os-reset_status']['status'])


class StatusHistoryController(resource.Controller):
    """``GET backups/{id}/status-history``: the audit entries."""

    def index(self, req, parent_id):
        context = req.context
        backup = backups.load_backup(context, parent_id, with_metadata=False)
        context.can(policies.STATUS_HISTORY,
                    target={'project_id': backup.project_id,
                            'user_id': backup.user_id})
        entries = db_api.status_history_get(context, backup.id)
        return history_view.index(entries)


class BackupReset(extensions.ExtensionDescriptor):
    """Verified, compare-and-swap, audited status reset of backups."""

    name = 'BackupReset'
    alias = 'os-backup-reset'
    updated = '2026-11-25T00:00:00+00:00'

    def get_controller_extensions(self):
        self.reset_controller = BackupResetController(
            conf=self.ext_mgr.conf)
        return [extensions.ControllerExtension(
            self, 'backups', self.reset_controller)]

    def get_collection_actions(self):
        reset_controller = getattr(self, 'reset_controller', None)
        return [extensions.CollectionAction(
            'backups', backups_bulk.BulkResetController(
                reset_controller.manager if reset_controller else
                manager.BackupResetManager(self.ext_mgr.conf)))]

    def get_resources(self):
        return [extensions.ResourceExtension(
            'status-history', StatusHistoryController(), parent='backups')]
