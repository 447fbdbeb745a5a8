"""Build the API application from configuration (paste.deploy)."""

import configparser

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
from oslo_log import log as logging
from paste import deploy
from sqlalchemy import exc as sa_exc

from cinder_backup_reset.backup import driver as backup_driver
from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset import exception
from cinder_backup_reset import policy
from cinder_backup_reset import service

LOG = logging.getLogger(__name__)
APP_NAME = 'osapi_volume'


def load_app(conf=cfg.CONF):
    """Check the configuration, load the paste pipeline, then the DB.

    Expects ``conf`` to be parsed already.

    NOTE: everything that can refuse a start (the database URL, the
    policy, the paste file, the backup driver, keystonemiddleware's
    credentials) is checked before the embedded SQLite database is created
    or migrated, so a refused start leaves nothing behind.
    """
    db_engine.configure(conf)
    policy.init(conf)
    paste_file = service.find_paste_config(conf)
    LOG.info('Loading the API from %s (auth_strategy %s)', paste_file,
             conf.auth_strategy)
    if conf.auth_strategy == 'keystone':
        _check_keystone(conf, paste_file)
    app = deploy.loadapp('config:%s' % paste_file, name=APP_NAME)
    if conf.verify_via == 'local':
        warn_about_backend(conf)
    service.init_database(conf)
    if conf.verify_via == 'local':
        recover_verifications(conf)
    return app


def recover_verifications(conf=cfg.CONF):
    """Mark the jobs a previous run of this host's API left unfinished.

    NOTE: under verify_via=local the API's own processes run the jobs,
    so jobs of this host still queued or running when the API starts can
    never end. Called once, where the application is loaded (before
    gunicorn forks its workers), through an engine of its own: the API
    starts even when the database is down (it answers 503 until it is
    back), and then the jobs stay as they are.
    """
    from cinder_backup_reset.verification import jobs
    try:
        jobs.get_runner(conf).recover(
            connection=conf.database.connection,
            parameters=conf.database.connection_parameters)
    except sa_exc.SQLAlchemyError as exc:
        LOG.warning('Could not mark the verification jobs a previous run '
                    'of host %s left unfinished: %s', conf.host, exc)


def warn_about_backend(conf=cfg.CONF):
    """Log a warning for each reason the backups cannot be read here.

    NOTE: not a refusal: resets to error, the history and the lists work
    without the backup storage, and verifications answer 503 until it is
    back (or run on the backup hosts).
    """
    for problem in backup_driver.load_driver(conf).backend_problems():
        LOG.warning('Backups cannot be verified from this host: %s. '
                    'Resets that need verification will answer 503 until '
                    'it is fixed.', problem)


#: the paste filter section of keystonemiddleware in our api-paste.ini
AUTHTOKEN_FILTER = 'filter:authtoken'
AUTHTOKEN_GROUP = 'keystone_authtoken'


def _check_keystone(conf, paste_file):
    """Refuse a keystonemiddleware that could not validate any token.

    NOTE: without an auth plugin (``auth_type``) keystonemiddleware
    cannot ask keystone about a token, and every request, with a token or
    without, ended in a 500. keystonemiddleware reads ``auth_section`` and
    ``auth_type`` from its paste filter's options first, then from
    ``[keystone_authtoken]`` (or the section auth_section names); this
    looks in the same places, through the paste file (an INI file) and
    keystoneauth1's public option loading, before the pipeline is built.
    A pipeline without an ``authtoken`` filter is not judged.

    :raises KeystoneNotConfigured: no auth_type anywhere.
    """
    parser = configparser.RawConfigParser()
    parser.read(paste_file)
    if not parser.has_section(AUTHTOKEN_FILTER):
        return
    local = dict(parser.items(AUTHTOKEN_FILTER))
    ks_loading.register_auth_conf_options(conf, AUTHTOKEN_GROUP)
    group = local.get('auth_section') or conf[AUTHTOKEN_GROUP].auth_section
    group = group or AUTHTOKEN_GROUP
    auth_type = local.get('auth_type')
    if not auth_type:
        ks_loading.register_auth_conf_options(conf, group)
        auth_type = conf[group].auth_type
    if not auth_type:
        raise exception.KeystoneNotConfigured()


def init_application(argv=None, default_config_files=None):
    """Parse the configuration and return the WSGI application."""
    service.parse_args(argv if argv is not None else [],
                       default_config_files=default_config_files)
    return load_app(cfg.CONF)
