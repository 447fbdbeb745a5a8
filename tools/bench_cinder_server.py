#!/usr/bin/env python3
"""Cinder's API and its backup manager in one process, for benchmarks.

Run with the Python that has the ``cinder`` package (``tox -e interop``)
by ``tools/bench_reset.py --vs-cinder``; nothing of ours imports it::

    python tools/bench_cinder_server.py CINDER_CONF PORT THREADS

Cinder's own ``os-reset_status`` on a backup is two steps: cinder-api
checks the policy, picks a running cinder-backup service, saves the
backup's host and casts ``reset_status`` to that service over RPC; the
backup manager then writes the status. To have the reset really apply,
this process runs both:

- a ``cinder-backup`` service made by Cinder's ``service.Service.create``
  with its ``BackupManager`` (its RPC server, service row and heartbeat,
  as ``cinder-backup`` starts it in one process), on the transport
  CINDER_CONF names (``fake://``: oslo.messaging's in-process driver; or a
  real broker);
- Cinder's ``osapi_volume`` WSGI app from the ``api-paste.ini`` the
  ``cinder`` wheel installed, with the pipeline ``auth_strategy`` selects.

Cinder runs in its native-threading mode (what
``OS_CINDER_DISABLE_EVENTLET_PATCHING=1`` selects): the app is served by
gunicorn with one ``gthread`` worker of THREADS threads on 127.0.0.1:PORT,
the server and settings cinder-backup-reset-api uses, so that the HTTP
server is not what differs between the two. Everything Cinder's is
started in the worker, after the fork, so that its threads live there.
"""

# NOTE: Cinder's native-threading mode is chosen before anything imports
# oslo.service (oslo.messaging does, and so does our package's
# __init__), which would settle on eventlet. Hence a script, not a
# module of the package.
from cinder import monkey_patch
monkey_patch.patch(backend='threading')

import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from gunicorn.app import base as gunicorn_base  # noqa: E402

from cinder_backup_reset.tests.interop import filter_deploy  # noqa: E402
from cinder_backup_reset.tests.interop import serve_cinder_api  # noqa


def start_backup_service():
    """Start Cinder's cinder-backup service in this process; return it."""
    from cinder import service
    backup = service.Service.create(
        binary='cinder-backup', topic='cinder-backup',
        manager='cinder.backup.manager.BackupManager',
        coordination=True, service_name='backup')
    backup.start()
    return backup


class CinderServer(gunicorn_base.BaseApplication):
    """gunicorn serving Cinder's API beside its backup service."""

    def __init__(self, options):
        self.options = options
        self.backup = None
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from paste import deploy
        self.backup = start_backup_service()
        return deploy.loadapp('config:%s' % filter_deploy.cinder_paste_ini(),
                              name='osapi_volume')


def main(argv):
    conf_file, port, threads = argv
    serve_cinder_api.setup_cinder(conf_file)
    CinderServer({
        'bind': ['127.0.0.1:%d' % int(port)],
        'workers': 1,
        'worker_class': 'gthread',
        'threads': int(threads),
        'keepalive': 60,
        'graceful_timeout': 5,
        'preload_app': False,
        'proc_name': 'cinder-api-and-backup',
        'accesslog': None,
        'errorlog': '-',
        'control_socket_disable': True,
    }).run()


if __name__ == '__main__':
    main(sys.argv[1:])
