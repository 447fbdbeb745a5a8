"""cinder-backup-reset-manage: database and backup administration."""

import sys

from oslo_config import cfg

from cinder_backup_reset.cmd import backup_commands
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import migration
from cinder_backup_reset import service

CONF = cfg.CONF


class DbCommands:
    """``db sync`` and ``db version``."""

    @staticmethod
    def add_parsers(subparsers):
        parser = subparsers.add_parser('db', help='Database schema.')
        actions = parser.add_subparsers(dest='action', metavar='<action>')
        actions.required = True
        sync = actions.add_parser(
            'sync', help='Create or upgrade the schema to the newest '
                         'revision.')
        sync.add_argument('revision', nargs='?', default='head')
        sync.set_defaults(func=DbCommands.sync)
        ver = actions.add_parser('version',
                                 help='Print the current schema revision.')
        ver.set_defaults(func=DbCommands.version)

    @staticmethod
    def sync(args):
        service.ensure_state_path(CONF)
        db_api.configure(CONF)
        migration.db_sync(revision=args.revision)
        print('Database is at revision %s.' % migration.db_version())
        return 0

    @staticmethod
    def version(args):
        db_api.configure(CONF)
        print(migration.db_version() or 'None')
        return 0


def add_command_parsers(subparsers):
    DbCommands.add_parsers(subparsers)
    backup_commands.add_parsers(subparsers)


command_opt = cfg.SubCommandOpt('command', title='Commands',
                                help='Available commands',
                                handler=add_command_parsers)


def main(argv=None):
    """Entry point of cinder-backup-reset-manage."""
    CONF.register_cli_opt(command_opt)
    argv = sys.argv[1:] if argv is None else argv
    service.parse_args(argv, default_config_files=None)
    try:
        return CONF.command.func(CONF.command) or 0
    except KeyboardInterrupt:
        print('Interrupted.', file=sys.stderr)
        return 130


if __name__ == '__main__':
    sys.exit(main())
