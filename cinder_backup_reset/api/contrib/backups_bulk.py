"""``POST backups/action``: the bulk reset (PRODUCT.md "Bulk reset")."""

from cinder_backup_reset.api import resource
from cinder_backup_reset.api.schemas import backup_actions as schemas
from cinder_backup_reset.api import validation
from cinder_backup_reset import exception


class BulkResetController(resource.Controller):
    """Reset every backup a filter selects, each on its own.

    Order: schema (400) and the filter's sense (400) here; then, in the
    manager, the bulk policy (403) before any read, the selection and its
    ``max`` (400, nothing changed), then each backup's own reset (its
    policy, state rules, compare-and-swap, history row and
    reconciliation), whose failure is that backup's result.
    """

    def __init__(self, reset_manager):
        self.manager = reset_manager

    @resource.action('backup-reset_status')
    @validation.schema(schemas.bulk_reset_status)
    def bulk_reset_status(self, req, body):
        """200 with ``{"matched": N, "backup_resets": [...]}``."""
        args = body['backup-reset_status']
        match = args['filter']
        if not (match.get('stuck') or 'status' in match):
            # NOTE: a filter on host or age alone would select available
            # backups too; a bulk reset is for backups in trouble.
            raise exception.InvalidParameterValue(
                err='The filter of a bulk reset needs "stuck": true or a '
                    '"status".')
        return self.manager.bulk_reset(
            req.context, args['status'], match,
            args.get('max', self.manager.conf.backup_bulk_reset_max),
            reason=args.get('reason'), dry_run=args.get('dry_run', False),
            reconcile=args.get('reconcile', True))
