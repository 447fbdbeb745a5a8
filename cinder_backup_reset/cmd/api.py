"""cinder-backup-reset-api: serve the API with gunicorn.

NOTE: gunicorn is a well-kept pre-fork server: N worker processes
(``osapi_volume_workers``), each with a thread pool (``gthread``) so that a
slow client ties up one thread, not a worker; keep-alive connections wait
in a poller, not a thread; request line and header limits; graceful
SIGTERM (in-flight requests finish within graceful_shutdown_timeout). It
needs no eventlet, which oslo.service's WSGI server did and which is now
deprecated. Only gunicorn's public settings are used: a client that
trickles its request head or body holds a thread until it is done, so
an API exposed to untrusted clients sits behind a reverse proxy with
request timeouts (doc/source/admin/reliability.rst), as any OpenStack
API does.
"""

import errno
import socket
import sys

from gunicorn.app import base as gunicorn_base
from oslo_config import cfg
from oslo_log import log as logging

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import service
from cinder_backup_reset import wsgi

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


def gunicorn_options(conf):
    """Map our (Cinder-named) options onto gunicorn's settings."""
    return {
        'bind': ['%s:%d' % (_host(conf.osapi_volume_listen),
                            conf.osapi_volume_listen_port)],
        'workers': conf.osapi_volume_workers,
        # NOTE: a connection that sends nothing is handed back to the
        # worker's poller after a few seconds, so silent clients hold no
        # thread; idle keep-alive connections wait there too.
        'worker_class': 'gthread',
        'threads': conf.wsgi_default_pool_size,
        'keepalive': conf.client_socket_timeout if conf.wsgi_keep_alive
        else 0,
        'timeout': max(conf.client_socket_timeout, 30),
        'graceful_timeout': conf.graceful_shutdown_timeout,
        'limit_request_line': min(conf.max_header_line, 8190),
        'limit_request_field_size': conf.max_header_line,
        'limit_request_fields': conf.max_header_count,
        # NOTE: load the app in the master so that a bad configuration
        # stops start-up with its message instead of crash-looping workers.
        'preload_app': True,
        'post_fork': _post_fork,
        'when_ready': _when_ready,
        'worker_exit': _worker_exit,
        'proc_name': 'cinder-backup-reset-api',
        'accesslog': None,
        'errorlog': '-',
        'loglevel': 'info',
        # NOTE: gunicorn >= 25.1 opens a control socket in $HOME by
        # default; an API service has no use for it.
        'control_socket_disable': True,
    }


def _host(address):
    return '[%s]' % address if ':' in address else address


def check_listen(conf):
    """Why the API cannot listen on its address, or None when it can.

    NOTE: gunicorn retries a busy address five times, a second apart,
    logging two lines each time, after our start-up lines; an operator
    wants one line naming the address. The address is tried the way
    gunicorn binds it (SO_REUSEADDR), then released for gunicorn.
    """
    host, port = conf.osapi_volume_listen, conf.osapi_volume_listen_port
    address = '%s:%d' % (_host(host), port)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        family, kind, proto, _name, sockaddr = infos[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(sockaddr)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            return ('%s is already in use (another process listens there); '
                    'stop it or set [DEFAULT] osapi_volume_listen_port.'
                    % address)
        return ('cannot listen on %s: %s ([DEFAULT] osapi_volume_listen, '
                'osapi_volume_listen_port).' % (address,
                                                exc.strerror or exc))
    return None


def _when_ready(server):
    # NOTE: logged once gunicorn listens, so the line is never followed by
    # a failure to bind.
    LOG.info('Serving the API on %s with %d worker(s) of %d thread(s)',
             server.cfg.bind[0], server.cfg.workers, server.cfg.threads)


def _post_fork(server, worker):
    # NOTE: connections pooled by the master must not be shared by the
    # workers' processes.
    db_api.dispose_engine()


def _worker_exit(server, worker):
    # NOTE: a worker that stops interrupts its verification jobs, which
    # then end "unavailable" instead of staying "running".
    from cinder_backup_reset.verification import jobs
    jobs.stop_runners(timeout=CONF.graceful_shutdown_timeout)


class APIServer(gunicorn_base.BaseApplication):
    """gunicorn serving an already loaded WSGI application."""

    def __init__(self, application, options):
        self.application = application
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        return self.application


def main(argv=None):
    """Entry point of cinder-backup-reset-api."""
    service.parse_args(sys.argv[1:] if argv is None else argv)
    # NOTE: the address first: a refused start changes nothing (loading
    # the application creates the embedded database).
    problem = check_listen(CONF)
    application = None
    if not problem:
        application, problem = service.start_or_explain(
            lambda: wsgi.load_app(CONF))
    if problem:
        # NOTE: a configuration problem: one clear line, no traceback
        # (logged outside the except block: oslo.log would append the
        # exception's text a second time).
        LOG.error('Cannot start the API: %s', problem)
        return 1
    options = gunicorn_options(CONF)
    APIServer(application, options).run()


if __name__ == '__main__':
    sys.exit(main())
