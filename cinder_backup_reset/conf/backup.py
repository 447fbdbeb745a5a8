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
               help='Path of the posix backup repository: where Cinder\'s '
                    'PosixBackupDriver (and "cinder-backup-reset-manage '
                    'backup create") keep backups. Cinder\'s option and '
                    'default. A relative path set in a config file is '
                    "relative to that file's directory."),
    cfg.StrOpt('backup_share',
               help='NFS share of Cinder\'s NFSBackupDriver, in '
                    'hostname:path, ipv4addr:path or "[ipv6addr]:path" '
                    'format, exactly as in cinder.conf. Backups written by '
                    'that driver are found under the share\'s mount point, '
                    '<backup_mount_point_base>/<md5 hex of this string>, '
                    'which os-brick (and so cinder-backup) mounts; this '
                    'service reads it and mounts nothing. Cinder\'s '
                    'option.'),
    cfg.StrOpt('backup_mount_point_base',
               default='$state_path/backup_mount',
               help='Base directory of the NFS share\'s mount point (see '
                    'backup_share). Cinder\'s option and default.'),
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
    cfg.IntOpt('verify_timeout',
               default=30,
               min=1,
               help='Seconds a reset waits for the verification of a '
                    'backup (shallow: metadata, object list, sizes, the '
                    'chain) before it answers 503 and changes nothing. A '
                    'hung NFS share or disk never holds a request longer '
                    'than this.'),
    cfg.IntOpt('verify_workers',
               default=4,
               min=1,
               help='Verifications one API process runs at once. A '
                    'verification stuck on a hung backend keeps its worker '
                    'until the backend answers; when all are stuck, '
                    'further resets wait verify_timeout and answer 503.'),
]


def register_opts(conf):
    conf.register_opts(backup_opts)


def list_opts():
    return {'DEFAULT': backup_opts}
