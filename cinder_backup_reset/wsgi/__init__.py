"""Build the API application from configuration (paste.deploy)."""

from oslo_config import cfg
from oslo_log import log as logging
from paste import deploy
from paste import urlmap

from cinder_backup_reset.backup import driver as backup_driver
from cinder_backup_reset import exception
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
    app = deploy.loadapp('config:%s' % paste_file, name=APP_NAME)
    _check_keystone(app)
    warn_about_backend(conf)
    return app


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


def _check_keystone(app):
    """Refuse a keystonemiddleware that could not validate any token.

    NOTE: without an auth plugin ([keystone_authtoken] auth_type, or the
    paste filter's own) keystonemiddleware cannot ask keystone about a
    token, and every request, with a token or without, ended in a 500.
    Its own decision is read (its ``_auth``), so options given in the
    paste file or through auth_section count; a keystonemiddleware
    without that attribute is not judged.
    """
    try:
        from keystonemiddleware import auth_token
    except ImportError:
        return
    for protocol in _instances(app, auth_token.AuthProtocol):
        if getattr(protocol, '_auth', True) is None:
            raise exception.KeystoneNotConfigured()


def _instances(app, cls):
    """Every ``cls`` in the tree of WSGI applications below ``app``."""
    stack, seen = [app], set()
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, cls):
            yield node
        if isinstance(node, urlmap.URLMap):
            stack.extend(node.values())
        # NOTE: how paste, oslo.middleware, keystonemiddleware and our
        # middleware name the application they wrap.
        for attr in ('application', '_app', 'app'):
            stack.append(getattr(node, attr, None))


def init_application(argv=None, default_config_files=None):
    """Parse the configuration and return the WSGI application."""
    service.parse_args(argv if argv is not None else [],
                       default_config_files=default_config_files)
    return load_app(cfg.CONF)
