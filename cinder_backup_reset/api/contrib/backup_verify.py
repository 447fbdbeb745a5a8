"""Verification jobs: the ``backup-verify`` action and
``backups/{id}/verifications[/{vid}]``.

A job never changes the backup's status. Under ``[DEFAULT] verify_via =
local`` the jobs run on a bounded pool of this API process; under ``rpc``
the agent of the backup's host takes and runs them (no agent answering:
503, no job recorded).
"""

from cinder_backup_reset.api import extensions
from cinder_backup_reset.api import resource
from cinder_backup_reset.api.schemas import backup_actions as schemas
from cinder_backup_reset.api import validation
from cinder_backup_reset.verification import jobs


class BackupVerifyController(resource.Controller):
    """``POST backups/{id}/action {"backup-verify": {"level": ...}}``."""

    def __init__(self, reset_manager):
        self.manager = reset_manager

    @resource.response(202)
    @resource.action('backup-verify')
    @validation.schema(schemas.backup_verify)
    def verify(self, req, id, body):
        """Start a job; 202 with ``{"verification": {...}}``."""
        level = body['backup-verify'].get('level') or 'shallow'
        return {'verification': self.manager.start_verification(
            req.context, id, level)}


class VerificationsController(resource.Controller):
    """``GET backups/{id}/verifications[/{vid}]``, newest first."""

    def __init__(self, reset_manager):
        self.manager = reset_manager

    def index(self, req, parent_id):
        """The jobs of a backup, newest first."""
        rows = self.manager.get_verifications(req.context, parent_id)
        return {'verifications': [jobs.as_dict(r) for r in rows]}

    def show(self, req, parent_id, id):
        """One job of a backup."""
        return {'verification': jobs.as_dict(
            self.manager.get_verification(req.context, parent_id, id))}


class BackupVerify(extensions.ExtensionDescriptor):
    """Verification jobs of backups (shallow or deep), with progress."""

    name = 'BackupVerify'
    alias = 'os-backup-verify'
    updated = '2026-11-30T00:00:00+00:00'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension(
            self, 'backups', BackupVerifyController(self.ext_mgr.manager))]

    def get_resources(self):
        return [extensions.ResourceExtension(
            'verifications', VerificationsController(self.ext_mgr.manager),
            parent='backups')]
