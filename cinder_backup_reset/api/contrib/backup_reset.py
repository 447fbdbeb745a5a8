"""The backup reset extension: the spec's ``backup-reset_status`` action,
Cinder's ``os-reset_status`` on backups, and the status history."""

from cinder_backup_reset.api.contrib import backups_bulk
from cinder_backup_reset.api import extensions
from cinder_backup_reset.api import resource
from cinder_backup_reset.api.schemas import backup_actions as schemas
from cinder_backup_reset.api import validation
from cinder_backup_reset.api.views import history as history_view


class BackupResetController(resource.Controller):
    """The reset actions on ``backups/{id}/action``.

    Each method parses (the schema: 400 before any lookup), asks the
    manager, which reads the backup (404), authorizes (403), then
    writes and notifies, and renders what the manager returns.
    """

    def __init__(self, reset_manager):
        self.manager = reset_manager
        # NOTE: load the driver now: a misconfigured backup_driver stops
        # the service at start-up, not at the first reset an operator needs.
        self.manager.driver
        # NOTE: load the driver now: a misconfigured backup_driver stops
        # the service at start-up, not at the first reset an operator needs.
        self.manager.driver

    @resource.response(202)
    @resource.action('backup-reset_status')
    @validation.schema(schemas.backup_reset_status)
    def reset_status(self, req, id, body):
        """Reset synchronously; the body says what happened."""
        args = body['backup-reset_status']
        outcome = self.manager.reset_status(
            req.context, id, args['status'], reason=args.get('reason'),
            expected_status=args.get('expected_status'),
            dry_run=args.get('dry_run', False),
            reconcile=args.get('reconcile', True))
        return {'backup_reset': outcome.to_dict()}

    @resource.response(202)
    @resource.action('os-force_delete')
    @validation.schema(schemas.os_force_delete)
    def os_force_delete(self, req, id, body):
        """Cinder's force-delete: the data, then the row (202, no body)."""
        self.manager.force_delete(req.context, id)

    @resource.response(202)
    @resource.action('os-reset_status')
    @validation.schema(schemas.os_reset_status)
    def os_reset_status(self, req, id, body):
        """Cinder's action: same rules, Cinder's empty 202 body."""
        self.manager.reset_status(req.context, id,
                                  body['os-reset_status']['status'])


class StatusHistoryController(resource.Controller):
    """``GET backups/{id}/status-history``: the audit entries."""

    def __init__(self, reset_manager):
        self.manager = reset_manager

    def index(self, req, parent_id):
        return history_view.index(
            self.manager.status_history(req.context, parent_id))


class BackupReset(extensions.ExtensionDescriptor):
    """Verified, compare-and-swap, audited status reset of backups."""

    name = 'BackupReset'
    alias = 'os-backup-reset'
    updated = '2026-11-25T00:00:00+00:00'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension(
            self, 'backups', BackupResetController(self.ext_mgr.manager))]

    def get_collection_actions(self):
        return [extensions.CollectionAction(
            'backups',
            backups_bulk.BulkResetController(self.ext_mgr.manager))]

    def get_resources(self):
        return [extensions.ResourceExtension(
            'status-history', StatusHistoryController(self.ext_mgr.manager),
            parent='backups')]
