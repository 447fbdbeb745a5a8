"""Configuration options of cinder-backup-reset, one module per group.

Importing this package registers nothing: the standalone service registers
the options on the global CONF (service.py), while the paste filter inside
cinder-api registers them on a private ConfigOpts, because Cinder's global
CONF already owns names such as ``auth_strategy`` and
``osapi_volume_extension`` with other definitions.
"""

from oslo_config import cfg

from cinder_backup_reset.conf import api
from cinder_backup_reset.conf import backup
from cinder_backup_reset.conf import cinder_filter
from cinder_backup_reset.conf import database
from cinder_backup_reset.conf import paths
from cinder_backup_reset.conf import service
from cinder_backup_reset.conf import stuck
from cinder_backup_reset.conf import verification

CONF = cfg.CONF


def register_opts(conf):
    """Register every option of the service on ``conf``."""
    paths.register_opts(conf)
    service.register_opts(conf)
    api.register_opts(conf)
    backup.register_opts(conf)
    cinder_filter.register_opts(conf)
    database.register_opts(conf)
    verification.register_opts(conf)
    stuck.register_opts(conf)
