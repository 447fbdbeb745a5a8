"""The admin actions on backups (Cinder's rule name for reset status)."""

from oslo_policy import policy

from cinder_backup_reset.policies import base

BASE_POLICY_NAME = 'volume_extension:backup_admin_actions:%s'
RESET_STATUS = BASE_POLICY_NAME % 'reset_status'
STATUS_HISTORY = BASE_POLICY_NAME % 'status_history'

rules = [
    policy.DocumentedRuleDefault(
        name=RESET_STATUS,
        check_str=base.RULE_ADMIN_API,
        description='Reset the status of a backup (available after '
                    'verification, or error).',
        operations=[
            {'method': 'POST',
             'path': '/backups/{backup_id}/action (backup-reset_status)'},
            {'method': 'POST',
             'path': '/backups/{backup_id}/action (os-reset_status)'},
        ]),
    policy.DocumentedRuleDefault(
        name=STATUS_HISTORY,
        check_str=base.RULE_ADMIN_API,
        description='Show the audit history of status resets of a backup: '
                    'who reset it, when, from and to what, and why.',
        operations=[{'method': 'GET',
                     'path': '/backups/{backup_id}/status-history'}]),
]


def list_rules():
    return rules
