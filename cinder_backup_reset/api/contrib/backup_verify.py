"""Verification jobs: the ``backup-verify`` action and
``backups/{id}/verifications[/{vid}]``.

A job never changes the backup's status. Under ``[DEFAULT] verify_via =
local`` the jobs run on a bounded pool of this API process; under ``rpc``
the agent of the backup's host takes and runs them (no agent answering:
503, no job recorded).
"""

from oslo_config import cfg

from cinder_backup_reset.api import extensions
from cinder_backup_reset.api.schemas import backup_actions as schemas
from cinder_backup_reset.api.v3 import backups
from cinder_backup_reset.api import validation
from cinder_backup_reset.api import wsgi
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import manager
from cinder_backup_reset.policies import verifications as policies
from cinder_backup_reset.verification import jobs

#: one runner per process: its pool bounds the jobs this process runs
_RUNNERS = {}


def get_runner(conf=cfg.CONF):
    """The JobRunner of this process for ``conf`` (verify_via=local)."""
    runner = _RUNNERS.get(id(conf))
    if runner is None:
        runner = _RUNNERS[id(conf)] = jobs.JobRunner(conf)
    return runner


def stop_runners(timeout=None):
    """Interrupt this process's jobs (they end ``unavailable``); wait.

    For a worker that exits: its jobs could never end otherwise.
    """
    for runner in list(_RUNNERS.values()):
        runner.stop(timeout=timeout)


def _target(backup):
    return {'project_id': backup.project_id, 'user_id': backup.user_id}


class BackupVerifyController(wsgi.Controller):
    """``POST backups/{id}/action {"backup-verify": {"level": ...}}``."""

    def __init__(self, conf=cfg.CONF, reset_manager=None):
        self.conf = conf
        self.manager = reset_manager or manager.BackupResetManager(conf)

    @wsgi.response(202)
    @wsgi.action('backup-verify')
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
            job = get_runner(self.conf).start(context, backup, level)
        return {'verification': job}


class VerificationsController(wsgi.Controller):
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
        return {'verifications': [db_api.verification_to_dict(r)
                                  for r in rows]}

    def show(self, req, parent_id, id):
        """One job of a backup."""
        backup = self._backup(req, parent_id)
        return {'verification': db_api.verification_to_dict(
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
