"""Policy rules in code; ``list_rules`` feeds the enforcer and generators."""

import itertools

from cinder_backup_reset.policies import backup_actions
from cinder_backup_reset.policies import backups
from cinder_backup_reset.policies import base
from cinder_backup_reset.policies import verifications


def list_rules():
    return itertools.chain(
        base.list_rules(),
        backups.list_rules(),
        backup_actions.list_rules(),
        verifications.list_rules(),
    )
