"""Our defaults for keystonemiddleware's [keystone_authtoken] options.

keystonemiddleware sets no timeout on its calls to keystone
(``http_connect_timeout`` has no default) and retries a failed connection
three times with growing pauses: a hung keystone held every request with
a token, and its worker thread, for as long as keystone hung. These
defaults bound a token validation out of the box; an operator's value in
the configuration file or in api-paste.ini still wins.
"""

from oslo_config import cfg

GROUP = 'keystone_authtoken'

#: seconds each call to keystone may take to connect, and then between
#: two reads of its answer (keystoneauth1's session timeout)
HTTP_CONNECT_TIMEOUT = 3
#: further attempts at a token validation whose connection failed or timed
#: out (the first pause is half a second)
HTTP_REQUEST_MAX_RETRIES = 1

DEFAULTS = {
    'http_connect_timeout': HTTP_CONNECT_TIMEOUT,
    'http_request_max_retries': HTTP_REQUEST_MAX_RETRIES,
}


def identity_bound(timeout=HTTP_CONNECT_TIMEOUT,
                   retries=HTTP_REQUEST_MAX_RETRIES):
    """Seconds a request waits at most for an unreachable or hung keystone.

    A request stops at the first call to keystone that fails: the
    validation of its token (``retries + 1`` attempts of ``timeout``
    seconds, with keystoneauth1's pauses of 0.5, 1, 2, ... seconds between
    them), or, when the service's own token has to be fetched first, its
    version discovery and authentication (``timeout`` seconds each, not
    retried).

    :returns: float seconds.
    """
    pauses = sum(min(0.5 * 2 ** n, 60.0) for n in range(retries))
    return max((retries + 1) * timeout + pauses, 2 * timeout)


def set_defaults(conf=cfg.CONF):
    """Set DEFAULTS on ``conf``'s [keystone_authtoken] options.

    keystonemiddleware registers its options on the global CONF when it is
    imported; on another ConfigOpts they are set only if registered.
    """
    # NOTE: importing the middleware registers its options on cfg.CONF.
    from keystonemiddleware import auth_token  # noqa: F401

    for name, value in DEFAULTS.items():
        try:
            conf.set_default(name, value, group=GROUP)
        except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
            pass


def list_opts():
    """keystonemiddleware's options, with our defaults, for the sample.

    The ``cinder_backup_reset.keystone_authtoken`` namespace of
    oslo-config-generator; it replaces ``keystonemiddleware.auth_token``,
    whose list shows the library's own defaults.
    """
    from keystonemiddleware import auth_token

    groups = auth_token.list_opts()
    for _group, opts in groups:
        cfg.set_defaults(opts, **DEFAULTS)
    return groups
