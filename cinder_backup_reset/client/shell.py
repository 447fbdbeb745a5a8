#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""The ``cinder-backup-reset`` command.

``main(argv)`` returns the exit code instead of exiting, so tests and
scripts can call it directly or run it in a subprocess.

NOTE: plain argparse plus ``keystoneauth1.loading`` rather than cliff:
four commands do not need a plugin framework, and it keeps the runtime
dependencies to keystoneauth1 and oslo.*.
"""

import argparse
import logging
import os
import sys
import traceback

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading

from cinder_backup_reset import client as client_lib
from cinder_backup_reset.client import commands
from cinder_backup_reset.client import exceptions
from cinder_backup_reset.client import noauth
from cinder_backup_reset import version

DEFAULT_AUTH_TYPE = 'password'

DESCRIPTION = """\
Safely reset the status of stuck block-storage backups, and inspect them.

Authentication uses the usual OpenStack options and OS_* variables
(keystone via --os-auth-url etc.). For a server running with
auth_strategy = noauth use:
  --os-auth-type noauth --os-user-id U --os-project-id P \\
  --os-endpoint http://127.0.0.1:8776/v3
"""


def _auth_type(argv):
    """Return the auth type named in argv or the environment."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument('--os-auth-type', '--os-auth-plugin',
                     default=os.environ.get(
                         'OS_AUTH_TYPE',
                         os.environ.get('OS_AUTH_PLUGIN', DEFAULT_AUTH_TYPE)))
    known, _rest = pre.parse_known_args(argv)
    return known.os_auth_type


def _register_auth(parser, argv):
    """Add the auth options of the selected plugin; return its loader."""
    if _auth_type(argv) not in noauth.NAMES:
        return loading.register_auth_argparse_arguments(
            parser, argv, default=DEFAULT_AUTH_TYPE)
    # NOTE: 'noauth' is resolved here, not through the keystoneauth1.plugin
    # entry point, so that it works before the entry point is installed
    # and is never shadowed by python-cinderclient's own 'noauth' (which
    # appends the project id to the endpoint).
    loader = noauth.NoAuthLoader()
    parser.add_argument(
        '--os-auth-type', '--os-auth-plugin', metavar='<name>',
        default=os.environ.get('OS_AUTH_TYPE',
                               os.environ.get('OS_AUTH_PLUGIN')),
        help='Authentication type to use')
    group = parser.add_argument_group(
        'Authentication Options', 'Options specific to the noauth plugin.')
    for opt in loader.get_options():
        group.add_argument(*opt.argparse_args, default=opt.argparse_default,
                           metavar=opt.metavar, help=opt.help,
                           dest='os_%s' % opt.dest)
    return loader


def _register_adapter(parser, auth_loader):
    """Add the endpoint selection options."""
    group = parser.add_argument_group('Endpoint Options')
    plugin_opts = {o.dest for o in auth_loader.get_options()}
    if 'endpoint' not in plugin_opts:
        group.add_argument(
            '--os-endpoint', '--os-endpoint-override', metavar='<url>',
            default=(os.environ.get('OS_ENDPOINT') or
                     os.environ.get('OS_ENDPOINT_OVERRIDE')),
            help='Use this API base URL instead of the service catalog, '
                 'e.g. http://127.0.0.1:8776/v3. Env: OS_ENDPOINT.')
    group.add_argument(
        '--os-service-type', metavar='<type>',
        default=os.environ.get('OS_SERVICE_TYPE', client_lib.SERVICE_TYPE),
        help='Catalog service type (default: block-storage; volumev3 and '
             'volume also match). Env: OS_SERVICE_TYPE.')
    group.add_argument(
        '--os-service-name', metavar='<name>',
        default=os.environ.get('OS_SERVICE_NAME'),
        help='Catalog service name. Env: OS_SERVICE_NAME.')
    group.add_argument(
        '--os-interface', metavar='<interface>',
        default=os.environ.get('OS_INTERFACE', 'public'),
        help='Catalog interface: public, internal or admin (default: '
             'public). Env: OS_INTERFACE.')
    group.add_argument(
        '--os-region-name', metavar='<region>',
        default=os.environ.get('OS_REGION_NAME'),
        help='Catalog region. Env: OS_REGION_NAME.')


def build_parser(argv):
    """Return the argument parser; auth options depend on argv/env."""
    parser = argparse.ArgumentParser(
        prog='cinder-backup-reset', description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        '--version', action='version',
        version=version.version_string())
    parser.add_argument(
        '--debug', action='store_true', default=False,
        help='Log HTTP requests and responses and show tracebacks.')
    loading.register_session_argparse_arguments(parser)
    auth_loader = _register_auth(parser, argv)
    _register_adapter(parser, auth_loader)
    subparsers = parser.add_subparsers(
        dest='command', metavar='<command>', title='commands')
    subparsers.required = True
    commands.register(subparsers)
    return parser


def make_client(args):
    """Build a :class:`~cinder_backup_reset.client.Client` from options."""
    if args.os_auth_type in noauth.NAMES:
        args.os_auth_type = noauth.NoAuthLoader()
    try:
        auth = loading.load_auth_from_argparse_arguments(args)
    except ks_exc.ClientException as exc:
        raise exceptions.from_keystoneauth(exc) from exc
    session = loading.load_session_from_argparse_arguments(args, auth=auth)
    return client_lib.Client(
        session, endpoint_override=args.os_endpoint,
        service_type=args.os_service_type,
        service_name=args.os_service_name,
        interface=args.os_interface, region_name=args.os_region_name)


def _setup_logging(debug):
    # NOTE: keystoneauth logs every request and response (tokens hashed)
    # at DEBUG; that is what --debug is for. Otherwise only warnings.
    logging.basicConfig(
        stream=sys.stderr, format='%(levelname)s %(name)s: %(message)s',
        level=logging.DEBUG if debug else logging.WARNING)


def main(argv=None):
    """Run the command; return the exit code (0 ok, 1 error, 2 usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        parser = build_parser(argv)
        args = parser.parse_args(argv)
    except SystemExit as exc:
        # NOTE: --help, --version and usage errors end here (0 or 2).
        return exc.code if isinstance(exc.code, int) else 1
    except ks_exc.ClientException as exc:
        sys.stderr.write('ERROR: %s\n'
                         % exceptions.from_keystoneauth(exc).format())
        return 1
    debug = args.debug
    _setup_logging(debug)
    try:
        api = make_client(args)
        return args.func(api, args, sys.stdout, sys.stderr)
    except exceptions.ClientException as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        sys.stderr.write('ERROR: %s\n' % exc.format())
        return 1
    except KeyboardInterrupt:
        sys.stderr.write('Interrupted.\n')
        return 130
    except Exception as exc:
        if debug:
            traceback.print_exc(file=sys.stderr)
        sys.stderr.write('ERROR: unexpected %s: %s\n'
                         % (type(exc).__name__, exc))
        return 1


if __name__ == '__main__':
    sys.exit(main())
