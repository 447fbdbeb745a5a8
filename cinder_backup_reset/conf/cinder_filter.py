"""Options of the paste filter that runs inside cinder-api."""

from oslo_config import cfg

cinder_filter_group = cfg.OptGroup(
    'cinder_filter',
    title='The backup_reset filter inside cinder-api',
    help='Read only by the backup_reset paste filter loaded into '
         "Cinder's api-paste.ini (its config_file), never by the "
         'standalone service.')

cinder_filter_opts = [
    cfg.BoolOpt('handle_os_reset_status',
                default=True,
                help="Serve Cinder's own os-reset_status action on backups "
                     '(what "cinder backup-reset-state" and "openstack '
                     'volume backup set --state" send) with verification, '
                     'compare-and-swap and history. False hands it to '
                     "Cinder's fire-and-forget reset unchanged; "
                     'backup-reset_status is served either way.'),
]


def register_opts(conf):
    conf.register_group(cinder_filter_group)
    conf.register_opts(cinder_filter_opts, group=cinder_filter_group)


def list_opts():
    return {cinder_filter_group.name: cinder_filter_opts}
