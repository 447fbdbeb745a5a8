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

"""The ``cinder-backup-reset`` command, a cliff application.

``main(argv)`` returns the exit code instead of exiting, so tests and
scripts can call it directly or run it in a subprocess.

The global options are cliff's (``--debug``, ``-v``, ``-q``,
``--log-file``) plus keystoneauth1's session, auth and adapter options
(``keystoneauth1.loading``), so every keystone plugin and this project's
``noauth`` work as before. The commands are those of :mod:`.commands`,
shared with the openstackclient plugin (:mod:`.osc`).

NOTE: not osc-lib's ``OpenStackShell``: it resolves auth through
openstacksdk's cloud config, where ``--os-auth-type noauth`` is
python-cinderclient's plugin (it appends the project id to the endpoint)
and missing options are reported differently; the documented noauth
usage and messages of this command would change.
"""

import argparse
import os
import sys

from cliff import app
from cliff import commandmanager
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import loading
from osc_lib import utils as osc_utils

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
            default=osc_utils.env('OS_ENDPOINT', 'OS_ENDPOINT_OVERRIDE',
                                  default=None),
            help='Use this API base URL instead of the service catalog, '
                 'e.g. http://127.0.0.1:8776/v3. Env: OS_ENDPOINT.')
    group.add_argument(
        '--os-service-type', metavar='<type>',
        default=osc_utils.env('OS_SERVICE_TYPE',
                              default=client_lib.SERVICE_TYPE),
        help='Catalog service type (default: block-storage; volumev3 and '
             'volume also match). Env: OS_SERVICE_TYPE.')
    group.add_argument(
        '--os-service-name', metavar='<name>',
        default=osc_utils.env('OS_SERVICE_NAME', default=None),
        help='Catalog service name. Env: OS_SERVICE_NAME.')
    group.add_argument(
        '--os-interface', metavar='<interface>',
        default=osc_utils.env('OS_INTERFACE', default='public'),
        help='Catalog interface: public, internal or admin (default: '
             'public). Env: OS_INTERFACE.')
    group.add_argument(
        '--os-region-name', metavar='<region>',
        default=osc_utils.env('OS_REGION_NAME', default=None),
        help='Catalog region. Env: OS_REGION_NAME.')


class ClientManager(object):
    """Make the API client on first use, like openstackclient's.

    :param options: the parsed global options (argparse namespace).
    """

    def __init__(self, options):
        self.options = options
        self._client = None

    @property
    def backup_reset(self):
        """The :class:`~cinder_backup_reset.client.Client`."""
        if self._client is None:
            self._client = make_client(self.options)
        return self._client


class BackupResetApp(app.App):
    """The cliff application behind ``cinder-backup-reset``.

    :param argv: the command line; the auth options added to the parser
        depend on the ``--os-auth-type`` it (or the environment) names.
    """

    NAME = 'cinder-backup-reset'
    #: Warnings only, unless -v or --debug.
    DEFAULT_VERBOSE_LEVEL = 0
    CONSOLE_MESSAGE_FORMAT = '%(levelname)s %(name)s: %(message)s'

    def __init__(self, argv, stdin=None, stdout=None, stderr=None):
        self.argv = list(argv)
        manager = commandmanager.CommandManager('cinder_backup_reset.cli')
        commands.register(manager)
        super().__init__(
            description=DESCRIPTION,
            version=version.version_string(),
            command_manager=manager, stdin=stdin, stdout=stdout,
            stderr=stderr, deferred_help=True)
        self.client_manager = None

    def build_option_parser(self, description, version,
                            argparse_kwargs=None):
        """cliff's global options plus keystoneauth's."""
        kwargs = dict(argparse_kwargs or {})
        kwargs.setdefault('formatter_class',
                          argparse.RawDescriptionHelpFormatter)
        parser = super().build_option_parser(description, version, kwargs)
        loading.register_session_argparse_arguments(parser)
        auth_loader = _register_auth(parser, self.argv)
        _register_adapter(parser, auth_loader)
        return parser

    def configure_logging(self):
        """--debug also logs every HTTP request (keystoneauth, DEBUG)."""
        if self.options.debug:
            self.options.verbose_level = 2
        super().configure_logging()

    def initialize_app(self, argv):
        """Prepare the client manager (the client is made on first use)."""
        self.client_manager = ClientManager(self.options)

    def interact(self):
        """No interactive mode: a command is required (exit 2)."""
        self.parser.error('a command is required; see '
                          'cinder-backup-reset --help')


def build_parser(argv):
    """Return the global argument parser; auth options depend on argv."""
    return BackupResetApp(argv).parser


def make_client(args):
    """Build a :class:`~cinder_backup_reset.client.Client` from options.

    :param args: the parsed global options.
    :raises AuthPluginError: the auth plugin lacks options.
    """
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


def main(argv=None):
    """Run the command; return the exit code (0 ok, 1 error, 2 usage)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        return BackupResetApp(argv).run(argv)
    except SystemExit as exc:
        # NOTE: --help (None or 0), --version and usage errors (2) end
        # here.
        if exc.code is None:
            return 0
        return exc.code if isinstance(exc.code, int) else 1
    except ks_exc.ClientException as exc:
        # NOTE: an unknown --os-auth-type fails while the parser is built.
        sys.stderr.write('ERROR: %s\n'
                         % exceptions.from_keystoneauth(exc).format())
        return 1


if __name__ == '__main__':
    sys.exit(main())
