"""Options of the API service: authentication, paste, listener, limits."""

from oslo_config import cfg

api_opts = [
    cfg.StrOpt('auth_strategy',
               default='keystone',
               choices=[('keystone', 'Validate tokens with keystonemiddleware '
                         'and build the request context from its headers.'),
                        ('noauth', 'Development and testing only: the '
                         'X-Auth-Token "user:project" is trusted as is; the '
                         'user "admin" gets the admin role.')],
               help='The strategy to use for authentication; selects the '
                    'paste pipeline of the same name.'),
    cfg.StrOpt('api_paste_config',
               default='api-paste.ini',
               help='File name of the paste.deploy config for the API. A '
                    'relative name is searched for next to the config files, '
                    'then in /etc/cinder-backup-reset and '
                    '<sys.prefix>/etc/cinder-backup-reset.'),
    cfg.MultiStrOpt('osapi_volume_extension',
                    default=['backup_reset', 'backup_verify'],
                    help='API extensions to load, by entry-point name in '
                         'the cinder_backup_reset.api.extensions group. '
                         'Specify multiple times to load several.'),
    cfg.IntOpt('osapi_max_limit',
               default=1000,
               min=1,
               help='The maximum number of items a collection resource '
                    'returns in a single response.'),
    cfg.StrOpt('osapi_volume_listen',
               default='127.0.0.1',
               help='IP address on which the API listens.'),
    cfg.PortOpt('osapi_volume_listen_port',
                default=8776,
                help='Port on which the API listens.'),
    cfg.IntOpt('osapi_volume_workers',
               default=1,
               min=1,
               help='Number of worker processes for the API.'),
    cfg.IntOpt('wsgi_default_pool_size',
               default=8,
               min=1,
               help='Threads per API worker process. Each keeps one client '
                    'connection, so slow clients tie up a thread, never a '
                    'whole worker.'),
    cfg.BoolOpt('wsgi_keep_alive',
                default=True,
                help='Keep HTTP connections open between requests.'),
    cfg.IntOpt('client_socket_timeout',
               default=900,
               min=1,
               help='Seconds an idle keep-alive connection is kept before '
                    'it is closed. A client that trickles its request holds '
                    'a thread until it is done: expose the API to untrusted '
                    'networks only behind a reverse proxy with request '
                    'timeouts (see the reliability guide).'),
    cfg.IntOpt('client_header_timeout',
               default=20,
               min=1,
               deprecated_for_removal=True,
               deprecated_reason='The API server no longer reads request '
                                 'heads itself; a reverse proxy\'s request '
                                 'timeout (nginx client_header_timeout, '
                                 'HAProxy timeout http-request, Apache '
                                 'mod_reqtimeout) bounds slow clients.',
               help='Has no effect.'),
    cfg.IntOpt('max_header_line',
               default=16384,
               min=1024,
               help='Maximum size of the request line (at most 8190) and '
                    'of one header line. Larger requests are refused by the '
                    'server (414 or 431) before the application sees '
                    'them.'),
    cfg.IntOpt('max_header_count',
               default=100,
               min=10,
               help='Maximum number of request headers; more are refused '
                    '(431).'),
    cfg.IntOpt('graceful_shutdown_timeout',
               default=60,
               min=0,
               help='Seconds workers get to finish requests in flight after '
                    'SIGTERM before they are stopped.'),
]


def register_opts(conf):
    conf.register_opts(api_opts)


def list_opts():
    return {'DEFAULT': api_opts}
