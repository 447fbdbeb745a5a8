"""Options listed for oslo-config-generator.

An explicit list (Ironic's style) rather than discovery, so the sample and
the code cannot drift apart unnoticed: tests/unit/test_conf.py checks that
every option registered on CONF by this package appears here.
"""

import itertools

from oslo_config import cfg
from oslo_db import options as db_options
from oslo_log import log

from cinder_backup_reset.conf import api
from cinder_backup_reset.conf import backup
from cinder_backup_reset.conf import cinder_filter
from cinder_backup_reset.conf import database
from cinder_backup_reset.conf import keystone
from cinder_backup_reset.conf import paths
from cinder_backup_reset.conf import service
from cinder_backup_reset.conf import stuck
from cinder_backup_reset.conf import verification

_MODULES = (paths, service, api, backup, cinder_filter, database,
            verification, stuck)


def list_opts():
    """Return [(group, [opts])] for every option this package owns."""
    groups = {}
    for module in _MODULES:
        for group, opts in module.list_opts().items():
            groups.setdefault(group, []).extend(opts)
    return [(group, sorted(opts, key=lambda o: o.name))
            for group, opts in sorted(groups.items())]


def set_lib_defaults(identity=True):
    """Defaults of the libraries' options that differ for this service.

    ``identity=False`` leaves keystonemiddleware's out (and unimported):
    for the commands that never validate a token.
    """
    # NOTE: so that the generated sample shows the embedded default.
    cfg.set_defaults(db_options.database_opts,
                     connection=database.SQLITE_DEFAULT)
    if identity:
        # NOTE: timeouts and retries that bound every call to keystone.
        keystone.set_defaults()
    # NOTE: oslo.service announces at INFO that it loaded its eventlet
    # backend, because oslo.messaging imports it; the service uses no
    # eventlet (see notifier.py), and operators should not read otherwise.
    log.set_defaults(default_log_levels=list(itertools.chain(
        log.get_default_log_levels(), ['routes.middleware=WARN',
                                       'keystonemiddleware=INFO',
                                       'oslo_service.backend=WARN'])))
