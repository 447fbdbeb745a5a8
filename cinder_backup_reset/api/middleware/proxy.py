"""``http_proxy_to_wsgi``, in the pipeline only when it has work to do."""

from oslo_middleware import http_proxy_to_wsgi


def filter_factory(global_conf, **local_conf):
    """paste filter: oslo.middleware's HTTPProxyToWSGI, if it is enabled.

    With ``[oslo_middleware] enable_proxy_headers_parsing`` off (the
    default) the middleware changes nothing, yet like every
    oslo.middleware ConfigurableMiddleware it builds a webob request and
    response and inspects its own ``process_response`` signature on each
    request: 47-61 us of a reset on the reference host (a twentieth).
    The option is not mutable, so what it says when the pipeline is built
    holds until the service restarts; paste options (``local_conf``) are
    read as oslo.middleware reads them.
    """
    make = http_proxy_to_wsgi.HTTPProxyToWSGI.factory(global_conf,
                                                      **local_conf)

    def _filter(app):
        middleware = make(app)
        if middleware._conf_get('enable_proxy_headers_parsing'):
            return middleware
        return app
    return _filter
