"""The [database] group: oslo.db's options with our embedded default."""

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


def register_opts(conf):
    db_options.set_defaults(conf, connection=SQLITE_DEFAULT)
    conf.set_default('max_retries', MAX_RETRIES_DEFAULT, group='database')


def list_opts():
    # NOTE: oslo.db's own namespace documents the [database] group.
    return {}
