"""Build the API application from configuration (paste.deploy)."""

from oslo_config import cfg
from oslo_log import log as logging
from paste import deploy
from paste import urlmap

from cinder_backup_reset.db import api as db_api
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
    db_api.configure(conf)
    policy.init(conf)
    paste_file = service.find_paste_config(conf)
    LOG.info('Loading the API from %s (auth_strategy %s)', paste_file,
             conf.auth_strategy)
    app = deploy.loadapp('config:%s' % paste_file, name=APP_NAME)
    _check_keystone(app)
    service.init_database(conf)
    return app


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
