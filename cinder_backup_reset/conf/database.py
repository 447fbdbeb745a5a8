"""The [database] group: oslo.db's options with our embedded default."""

from oslo_config import cfg
from oslo_db import options as db_options

#: NOTE: the embedded default lives under state_path so a newcomer needs
#: no database server; real deployments set [database] connection.
SQLITE_DEFAULT = 'sqlite:///$state_path/cinder_backup_reset.sqlite'


#: NOTE: oslo.db's default (10 attempts, 10 s apart) makes the first
#: request of a worker wait up to 100 s when the database is down, and
#: only then fail. An API must answer at once: with 0 the engine does not
#: probe the database at start-up, a request that cannot reach it gets a
#: 503 straight away, and the pool reconnects by itself (pool_pre_ping)
#: once the database is back.
MAX_RETRIES_DEFAULT = 0


sqlite_opts = [
    cfg.StrOpt('sqlite_journal_mode',
               default='wal',
               choices=[('wal', 'write-ahead log: readers never wait for '
                                'the writer, and a commit is one sync of '
                                'the log'),
                        ('delete', "SQLite's own default: a rollback "
                                   'journal, several syncs per commit')],
               help='Journal mode of an SQLite database file ([database] '
                    'connection = sqlite:///...). With ``wal`` (and '
                    '[database] sqlite_synchronous left on) a committed '
                    'reset is as durable as with ``delete`` and costs a '
                    'fraction of it. Use ``delete`` only when the file is '
                    'on a network file system, where WAL\'s shared memory '
                    'does not work. Ignored for other databases.'),
]


def register_opts(conf):
    db_options.set_defaults(conf, connection=SQLITE_DEFAULT)
    conf.set_default('max_retries', MAX_RETRIES_DEFAULT, group='database')
    conf.register_opts(sqlite_opts)


def list_opts():
    # NOTE: oslo.db's own namespace documents the rest of [database].
    return {'DEFAULT': sqlite_opts}
