"""The admin actions on backups (Cinder's rule name for reset status)."""

from oslo_policy import policy

from cinder_backup_reset.policies import base

BASE_POLICY_NAME = 'volume_extension:backup_admin_actions:%s'
RESET_STATUS = BASE_POLICY_NAME % 'reset_status'
STATUS_HISTORY = BASE_POLICY_NAME % 'status_history'
STUCK_REPORT = BASE_POLICY_NAME % 'stuck_report'
BULK_RESET_STATUS = BASE_POLICY_NAME % 'bulk_reset_status'
#: Cinder's rule for os-force_delete on backups
FORCE_DELETE = BASE_POLICY_NAME % 'force_delete'

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
    policy.DocumentedRuleDefault(
        name=STUCK_REPORT,
        check_str=base.RULE_ADMIN_API,
        description='List the stuck backups (creating, restoring or '
                    'deleting on a down service, or without progress), '
                    'with why, since when, their host and whether its '
                    'service is up.',
        operations=[{'method': 'GET', 'path': '/backups?stuck=true'},
                    {'method': 'GET', 'path': '/backups/detail?stuck=true'}]),
    policy.DocumentedRuleDefault(
        name=BULK_RESET_STATUS,
        check_str=base.RULE_ADMIN_API,
        description='Reset the status of every backup matching a filter '
                    '(for example all stuck backups of a host) in one '
                    'request; each backup is also checked against the '
                    'reset_status rule.',
        operations=[{'method': 'POST',
                     'path': '/backups/action (backup-reset_status)'}]),
    policy.DocumentedRuleDefault(
        name=FORCE_DELETE,
        check_str=base.RULE_ADMIN_API,
        description='Force-delete a backup whatever its status: the '
                    "driver removes the backup's files, then the row is "
                    'deleted. Cinder\'s rule.',
        operations=[{'method': 'POST',
                     'path': '/backups/{backup_id}/action (os-force_delete)'}
                    ]),
]


def list_rules():
    return rules
