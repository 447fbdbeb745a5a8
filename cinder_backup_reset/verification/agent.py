"""The agent's RPC endpoint: verification where the backup data lives.

Answers are plain dicts, so that nothing depends on how oslo.messaging
carries exceptions:

- ``verify`` → ``{"result": "passed", "level", "evidence"}`` or
  ``{"result": "failed", "reason", "evidence"}``;
- ``start_verification`` → ``{"verification": {...}}``;
- either → ``{"error": {"code", "message", "reason"}}`` when the agent
  refuses (404, 400) or cannot read the backend (503).
"""

from oslo_log import log as logging

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import manager as manager_lib
from cinder_backup_reset import rpc

LOG = logging.getLogger(__name__)


def _error(exc):
    reason = exc.kwargs.get('reason', exc.msg) if isinstance(
        exc, exception.BackupBackendUnavailable) else exc.msg
    return {'error': {'code': exc.code, 'message': exc.msg,
                      'reason': reason}}


class AgentEndpoint:
    """``verify`` and ``start_verification`` for the API (rpc.AgentAPI)."""

    target = rpc.messaging.Target(version=rpc.RPC_API_VERSION)

    def __init__(self, conf, reset_manager=None, runner=None):
        from cinder_backup_reset.verification import jobs
        self.conf = conf
        self.manager = reset_manager or manager_lib.BackupResetManager(
            conf, local=True)
        self.runner = runner or jobs.JobRunner(conf,
                                               driver=self.manager.driver)

    def verify(self, context, backup_id, deep=False):
        """Verify the backup here, bounded by ``verify_timeout``."""
        try:
            backup = db_api.backup_get(context, backup_id,
                                       with_metadata=False)
            result = self.manager.verify(context, backup, deep=deep)
        except exception.BackupVerifyFailed as exc:
            return {'result': 'failed', 'reason': exc.reason,
                    'evidence': exc.evidence}
        except exception.CinderBackupResetException as exc:
            return _error(exc)
        return {'result': 'passed', 'level': result.level,
                'evidence': result.evidence}

    def start_verification(self, context, backup_id, level):
        """Accept a verification job and run it here."""
        try:
            backup = db_api.backup_get(context, backup_id,
                                       with_metadata=False)
            job = self.runner.start(context, backup, level)
        except exception.CinderBackupResetException as exc:
            return _error(exc)
        return {'verification': job}
