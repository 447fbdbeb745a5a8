"""Read access to backups (Cinder's ``backup:*`` rule names)."""

from oslo_policy import policy

from cinder_backup_reset.policies import base

GET_POLICY = 'backup:get'
GET_ALL_POLICY = 'backup:get_all'
UPDATE_POLICY = 'backup:update'

_DEPRECATED_OWNER = policy.DeprecatedRule(
    name='backup:get', check_str=base.RULE_ADMIN_OR_OWNER,
    deprecated_reason='The persona-based rules replace admin_or_owner, as '
                      'in Cinder.',
    deprecated_since='Xena')

rules = [
    policy.DocumentedRuleDefault(
        name=GET_POLICY,
        check_str=base.SYSTEM_ADMIN_OR_PROJECT_READER,
        description='Show a backup.',
        operations=[{'method': 'GET', 'path': '/backups/{backup_id}'}]),
    policy.DocumentedRuleDefault(
        name=GET_ALL_POLICY,
        check_str=base.SYSTEM_ADMIN_OR_PROJECT_READER,
        description='List backups, with or without details. all_tenants '
                    'is honoured only for administrators.',
        operations=[{'method': 'GET', 'path': '/backups'},
                    {'method': 'GET', 'path': '/backups/detail'}]),
    policy.DocumentedRuleDefault(
        name=UPDATE_POLICY,
        check_str=base.SYSTEM_ADMIN_OR_PROJECT_MEMBER,
        description="Update a backup's name, description or metadata (never "
                    "its status). openstackclient's backup set sends this "
                    "with the metadata it read.",
        operations=[{'method': 'PUT', 'path': '/backups/{backup_id}'}]),
]


def list_rules():
    return rules
