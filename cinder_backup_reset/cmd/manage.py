"""cinder-backup-reset-manage: database and backup administration."""

import os
import sys

from oslo_config import cfg
from oslo_db import exception as db_exc
from oslo_log import log as logging
import sqlalchemy as sa

from cinder_backup_reset.cmd import backup_commands
from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset.db import migration
from cinder_backup_reset.db import sqlite
from cinder_backup_reset import exception
from cinder_backup_reset import service

CONF = cfg.CONF
LOG = logging.getLogger(__name__)
PROG = 'cinder-backup-reset-manage'


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
        db_engine.configure(CONF)
        service.ensure_state_path(CONF)
        migration.db_sync(revision=args.revision)
        print('Database is at revision %s.' % migration.db_version())
        return 0

    @staticmethod
    def version(args):
        # NOTE: the revision is the output (scripts read it); alembic's
        # "Context impl" chatter is not.
        logging.getLogger('alembic').logger.setLevel(logging.WARNING)
        db_engine.configure(CONF)
        path = _missing_sqlite_file(CONF.database.connection)
        if path:
            # NOTE: asking SQLite would create an empty file (or fail on a
            # missing directory); a question must not change anything.
            print('None')
            print('(no database file at %s yet; "db sync" creates it)' %
                  path, file=sys.stderr)
            return 0
        print(migration.db_version() or 'None')
        return 0


def _missing_sqlite_file(connection):
    """The path of an SQLite database file that does not exist, or None."""
    path = sqlite.file_name(connection)
    if path is None or path.startswith('file:') or os.path.exists(path):
        # NOTE: a file: URI is SQLite's to resolve; ask it.
        return None
    return path


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
    service.parse_args(argv, default_config_files=None, identity=False)
    try:
        return CONF.command.func(CONF.command) or 0
    except KeyboardInterrupt:
        print('Interrupted.', file=sys.stderr)
        return 130
    except exception.CinderBackupResetException as exc:
        # NOTE: a configuration problem (or one the command did not
        # expect): its message is written for operators; no traceback.
        return _fail(exc)
    except (db_exc.DBError, sa.exc.DBAPIError) as exc:
        return _fail(service.database_problem(exc), exc)


def _fail(message, exc=None):
    LOG.debug('%s failed.', PROG, exc_info=exc or True)
    print('%s: %s' % (PROG, message), file=sys.stderr)
    return 1


if __name__ == '__main__':
    sys.exit(main())
