"""Options of the backup driver (Cinder's names and defaults)."""

from oslo_config import cfg

backup_opts = [
    cfg.StrOpt('backup_driver',
               default='posix',
               help='Backup driver that verifies backups: a short name from '
                    'the cinder_backup_reset.backup.drivers entry points '
                    '(posix, fake) or a "module:Class" path.'),
    cfg.StrOpt('backup_posix_path',
               default='$state_path/backup',
               help='Path of the posix (and NFS mount) backup repository. '
                    'A relative path set in a config file is relative to '
                    "that file's directory."),
    cfg.IntOpt('backup_sha_block_size_bytes',
               default=32768,
               min=1,
               help='Size in bytes of each block hashed into the sha256 '
                    'file. backup_file_size must be a multiple of it.'),
    cfg.IntOpt('backup_file_size',
               default=1999994880,
               min=1,
               help='Size in bytes of the data objects a backup is split '
                    'into. Must be a multiple of '
                    'backup_sha_block_size_bytes.'),
    cfg.StrOpt('backup_compression_algorithm',
               default='zlib',
               ignore_case=True,
               choices=['none', 'off', 'no', 'zlib', 'gzip', 'bz2', 'bzip2',
                        'zstd'],
               help='Compression of backup data objects. "gzip" means zlib '
                    'format, as in Cinder.'),
]


def register_opts(conf):
    conf.register_opts(backup_opts)


def list_opts():
    return {'DEFAULT': backup_opts}
