"""Verification jobs of backups (admin)."""

from oslo_policy import policy

from cinder_backup_reset.policies import base

VERIFY = 'backup:verify'
GET = 'backup:verifications:get'

rules = [
    policy.DocumentedRuleDefault(
        name=VERIFY,
        check_str=base.RULE_ADMIN_API,
        description='Start a verification job of a backup (shallow or '
                    'deep); it never changes the backup\'s status.',
        operations=[{'method': 'POST',
                     'path': '/backups/{backup_id}/action (backup-verify)'}]),
    policy.DocumentedRuleDefault(
        name=GET,
        check_str=base.RULE_ADMIN_API,
        description='List the verification jobs of a backup, or show one.',
        operations=[
            {'method': 'GET', 'path': '/backups/{backup_id}/verifications'},
            {'method': 'GET',
             'path': '/backups/{backup_id}/verifications/{verification_id}'},
        ]),
]


def list_rules():
    return rules
