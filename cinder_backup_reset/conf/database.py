"""The [database] group: oslo.db's options with our embedded default."""

from oslo_db import options as db_options

#: NOTE: the embedded default lives under state_path so a newcomer needs
#: no database server; real deployments set [database] connection.
SQLITE_DEFAULT = 'sqlite:///$state_path/cinder_backup_reset.sqlite'


def register_opts(conf):
    db_options.set_defaults(conf, connection=SQLITE_DEFAULT)


def list_opts():
    # NOTE: oslo.db's own namespace documents the [database] group.
    return {}
