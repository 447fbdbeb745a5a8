"""Verification jobs: the ``backup-verify`` action and
``backups/{id}/verifications[/{vid}]``.

A job never changes the backup's status. Under ``[DEFAULT] verify_via =
local`` the jobs run on a bounded pool of this API process; under ``rpc``
the agent of the backup's host takes and runs them (no agent answering:
503, no job recorded).
"""

from oslo_config import cfg

from cinder_backup_reset.api import extensions
from cinder_backup_reset.api import resource
from cinder_backup_reset.api.schemas import backup_actions as schemas
from cinder_backup_reset.api.v3 import backups
from cinder_backup_reset.api import validation
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import manager
from cinder_backup_reset.policies import verifications as policies
from cinder_backup_reset.verification import jobs


def _target(backup):
    return {'project_id': backup.project_id, 'user_id': backup.user_id}


class BackupVerifyController(resource.Controller):
    """``POST backups/{id}/action {"backup-verify": {"level": ...}}``."""

    def __init__(self, conf=cfg.CONF, reset_manager=None):
        self.conf = conf
        self.manager = reset_manager or manager.BackupResetManager(conf)

    @resource.response(202)
    @resource.action('backup-verify')
    @validation.schema(schemas.backup_verify)
    def verify(self, req, id, body):
        """Start a job; 202 with ``{"verification": {...}}``."""
        context = req.context
        backup = backups.load_backup(context, id, with_metadata=False)
        context.can(policies.VERIFY, target=_target(backup))
        level = body['backup-verify'].get('level') or 'shallow'
        if self.manager.via_rpc:
            job = self.manager.agent.start_verification(context, backup,
                                                        level)
        else:
            job = jobs.get_runner(self.conf).start(context, backup, level)
        return {'verification': job}


class VerificationsController(resource.Controller):
    """``GET backups/{id}/verifications[/{vid}]``, newest first."""

    def _backup(self, req, parent_id):
        context = req.context
        backup = backups.load_backup(context, parent_id, with_metadata=False)
        context.can(policies.GET, target=_target(backup))
        return backup

    def index(self, req, parent_id):
        """The jobs of a backup, newest first."""
        backup = self._backup(req, parent_id)
        rows = db_api.verification_get_all(req.context, backup.id)
        return {'verifications': [jobs.as_dict(r) for r in rows]}

    def show(self, req, parent_id, id):
        """One job of a backup."""
        backup = self._backup(req, parent_id)
        return {'verification': jobs.as_dict(
            db_api.verification_get(req.context, backup.id, id))}


class BackupVerify(extensions.ExtensionDescriptor):
    """Verification jobs of backups (shallow or deep), with progress."""

    name = 'BackupVerify'
    alias = 'os-backup-verify'
    updated = '2026-11-30T00:00:00+00:00'

    def get_controller_extensions(self):
        return [extensions.ControllerExtension(
            self, 'backups', BackupVerifyController())]

    def get_resources(self):
        return [extensions.ResourceExtension(
            'verifications', VerificationsController(), parent='backups')]
