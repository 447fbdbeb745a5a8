"""Where verification runs, and the verification jobs."""

from oslo_config import cfg

LOCAL, RPC = 'local', 'rpc'

verification_opts = [
    cfg.StrOpt('verify_via',
               default=LOCAL,
               choices=[(LOCAL, 'this process reads the backup storage'),
                        (RPC, 'the cinder-backup-reset-agent of the '
                              'backup\'s host (backups.host) reads it, '
                              'over oslo.messaging')],
               help='Where backups are verified. With "rpc" the API '
                    'calls the agent named by the backup\'s host on topic '
                    '"cinder-backup-reset"; no answer within '
                    'rpc_response_timeout seconds answers 503 and changes '
                    'nothing.'),
    cfg.IntOpt('verify_job_workers',
               default=2,
               min=1,
               help='Verification jobs (backup-verify) one process (an API '
                    'worker under verify_via=local, or an agent) runs at '
                    'once; further jobs wait as "queued".'),
]


def register_opts(conf):
    conf.register_opts(verification_opts)


def list_opts():
    return {'DEFAULT': verification_opts}
