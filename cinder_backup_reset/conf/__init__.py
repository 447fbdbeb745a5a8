"""Configuration options of cinder-backup-reset, one module per group."""

from oslo_config import cfg

from cinder_backup_reset.conf import api
from cinder_backup_reset.conf import backup
from cinder_backup_reset.conf import database
from cinder_backup_reset.conf import paths
from cinder_backup_reset.conf import service
from cinder_backup_reset.conf import stuck

CONF = cfg.CONF


def register_opts(conf):
    """Register every option of the service on ``conf``."""
    paths.register_opts(conf)
    service.register_opts(conf)
    api.register_opts(conf)
    backup.register_opts(conf)
    database.register_opts(conf)
    stuck.register_opts(conf)


register_opts(CONF)
