"""Serve Cinder's paste app with keystonemiddleware's AuthTokenFixture.

Run in its own process by the interop tests (it imports cinder, which the
test process never does)::

    python -m cinder_backup_reset.tests.interop.serve_cinder_api \
        CINDER_CONF PASTE_INI PORT TOKENS_JSON

Cinder's configuration is parsed as cinder-api parses it, then Cinder's
``osapi_volume`` app is loaded from PASTE_INI with paste.deploy and served
by wsgiref on 127.0.0.1:PORT. keystonemiddleware's own test fixture answers
for keystone: the tokens in TOKENS_JSON (a list of
``AuthTokenFixture.add_token_data`` keyword arguments) are valid, any
other is refused. Prints ``READY`` once it listens.
"""

import json
import socketserver
import sys
from wsgiref import simple_server


class _Server(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True


class _Quiet(simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


def setup_cinder(conf_file):
    """Parse ``conf_file`` and start logging and RPC as cinder-api does.

    Returns Cinder's (global) configuration object.
    """
    from oslo_config import cfg
    from oslo_log import log

    from cinder.common import config
    from cinder import objects
    from cinder import rpc

    objects.register_all()
    conf = cfg.CONF
    log.register_options(conf)
    conf(['--config-file', conf_file], project='cinder')
    config.set_middleware_defaults()
    log.setup(conf, 'cinder')
    rpc.init(conf)
    return conf


def main(argv):
    conf_file, paste_file, port, tokens_file = argv
    setup_cinder(conf_file)

    from keystonemiddleware import fixture
    from paste import deploy

    tokens = fixture.AuthTokenFixture()
    tokens.setUp()
    with open(tokens_file) as handle:
        for token in json.load(handle):
            tokens.add_token_data(**token)

    app = deploy.loadapp('config:%s' % paste_file, name='osapi_volume')
    server = simple_server.make_server(
        '127.0.0.1', int(port), app,
        server_class=_Server, handler_class=_Quiet)
    print('READY', flush=True)
    server.serve_forever()


if __name__ == '__main__':
    main(sys.argv[1:])
