"""WSGI entry point for uwsgi, gunicorn or mod_wsgi.

    gunicorn 'cinder_backup_reset.wsgi.api:application'

The configuration comes from the usual places
(/etc/cinder-backup-reset/cinder-backup-reset.conf), or from the files named
in OS_BACKUP_RESET_CONFIG_FILES (semicolon separated).
"""

import os

from cinder_backup_reset import wsgi


def _config_files():
    files = os.environ.get('OS_BACKUP_RESET_CONFIG_FILES')
    if not files:
        return None
    return [f.strip() for f in files.split(';') if f.strip()]


def init_application():
    """Build the application (also the ``wsgi_scripts`` entry point)."""
    return wsgi.init_application([], default_config_files=_config_files())


application = init_application()
