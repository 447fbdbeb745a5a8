"""Options of the stuck report and the bulk reset."""

from oslo_config import cfg

stuck_opts = [
    cfg.IntOpt('service_down_time',
               default=60,
               min=1,
               help='Seconds after its last heartbeat in Cinder\'s '
                    '"services" table that a cinder-backup service is '
                    'considered down; a backup in creating, restoring or '
                    'deleting on a down service is stuck. Cinder\'s option '
                    'and default: set it as in cinder.conf.'),
    cfg.IntOpt('backup_stuck_after',
               default=3600,
               min=1,
               help='Seconds without progress (the backup\'s updated_at, '
                    'else its created_at) after which a backup in '
                    'creating, restoring or deleting is stuck, whatever '
                    'its service. Cinder does not update updated_at while '
                    'it works, so set this above the duration of your '
                    'longest backup or restore.'),
    cfg.IntOpt('backup_progress_interval',
               default=60,
               min=1,
               help='Seconds between two bumps of updated_at by "cinder-'
                    'backup-reset-manage backup create" and "backup '
                    'restore" while they run, so that a running job is '
                    'never reported stuck. Keep it well below '
                    'backup_stuck_after.'),
    cfg.IntOpt('backup_bulk_reset_max',
               default=100,
               min=1,
               help='Default of "max" of a bulk reset (POST backups/'
                    'action): when more backups match, the request is '
                    'refused with 400 and nothing changes.'),
]


def register_opts(conf):
    conf.register_opts(stuck_opts)


def list_opts():
    return {'DEFAULT': stuck_opts}
