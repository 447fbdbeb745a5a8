"""Cinder's base rules, so an existing Cinder policy file keeps working.

Personas: a project admin and a system admin may reset; project members and
readers may only read their own project's backups.
"""

from oslo_policy import policy

RULE_CONTEXT_IS_ADMIN = 'rule:context_is_admin'
RULE_ADMIN_API = 'rule:admin_api'
RULE_ADMIN_OR_OWNER = 'rule:admin_or_owner'
SYSTEM_ADMIN_OR_PROJECT_READER = 'rule:xena_system_admin_or_project_reader'
SYSTEM_ADMIN_OR_PROJECT_MEMBER = 'rule:xena_system_admin_or_project_member'

rules = [
    policy.RuleDefault(
        'context_is_admin', 'role:admin',
        description='Decides whether the API considers the caller an '
                    'administrator (RequestContext.is_admin).'),
    policy.RuleDefault(
        'admin_api',
        'is_admin:True or (role:admin and is_admin_project:True)',
        description='Default rule for administrative APIs.'),
    policy.RuleDefault(
        'admin_or_owner',
        'is_admin:True or (role:admin and is_admin_project:True) or '
        'project_id:%(project_id)s',
        description='Legacy rule: an administrator or the owning project.'),
    policy.RuleDefault(
        'xena_system_admin_or_project_reader',
        '(role:admin) or (role:reader and project_id:%(project_id)s)',
        description='An administrator, or a reader of the owning project.'),
    policy.RuleDefault(
        'xena_system_admin_or_project_member',
        '(role:admin) or (role:member and project_id:%(project_id)s)',
        description='An administrator, or a member of the owning project.'),
]


def list_rules():
    return rules
