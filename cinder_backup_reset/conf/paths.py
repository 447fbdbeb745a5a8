"""Where the service keeps its state."""

from oslo_config import cfg

path_opts = [
    cfg.StrOpt('state_path',
               default='/var/lib/cinder',
               help="Top-level directory for maintaining the service's "
                    "state: the embedded SQLite database and, by default, "
                    "the posix backup repository. Cinder's option name and "
                    "default, so backups written by Cinder's posix driver "
                    "are found where Cinder put them. A relative path set "
                    "in a config file is relative to that file's "
                    "directory."),
]


def register_opts(conf):
    conf.register_opts(path_opts)


def list_opts():
    return {'DEFAULT': path_opts}
