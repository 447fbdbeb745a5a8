"""Build the API application from configuration (paste.deploy)."""

from oslo_config import cfg
from oslo_log import log as logging
from paste import deploy

from cinder_backup_reset import policy
from cinder_backup_reset import service

LOG = logging.getLogger(__name__)
APP_NAME = 'osapi_volume'


def load_app(conf=cfg.CONF):
    """Configure the DB and policy, then load the paste pipeline.

    Expects ``conf`` to be parsed already.
    """
    service.init_database(conf)
    policy.init(conf)
    paste_file = service.find_paste_config(conf)
    LOG.info('Loading the API from %s (auth_strategy %s)', paste_file,
             conf.auth_strategy)
    return deploy.loadapp('config:%s' % paste_file, name=APP_NAME)


def init_application(argv=None, default_config_files=None):
    """Parse the configuration and return the WSGI application."""
    service.parse_args(argv if argv is not None else [],
                       default_config_files=default_config_files)
    return load_app(cfg.CONF)
