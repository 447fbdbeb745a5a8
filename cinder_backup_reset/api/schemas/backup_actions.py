"""JSON Schemas of the backup reset actions."""

from cinder_backup_reset.objects import fields

_status = {'type': 'string', 'format': 'backup_status'}

#: seconds, a century: a larger ``older_than`` selects nothing more, and
#: beyond the dates a database can hold it could not be computed (a 500)
OLDER_THAN_MAX = 100 * 365 * 24 * 3600

#: Cinder's own action, exactly its schema (cinderclient, openstackclient)
os_reset_status = {
    'type': 'object',
    'properties': {
        'os-reset_status': {
            'type': 'object',
            'properties': {'status': _status},
            'required': ['status'],
            'additionalProperties': False,
        },
    },
    'required': ['os-reset_status'],
    'additionalProperties': False,
}

#: a caller's reason, kept in fail_reason and the history (Cinder's size)
_reason = {'type': 'string', 'minLength': 1, 'maxLength': 255}

#: the spec's action, with the safety options
backup_reset_status = {
    'type': 'object',
    'properties': {
        'backup-reset_status': {
            'type': 'object',
            'properties': {
                'status': _status,
                'reason': _reason,
                'expected_status': {'type': 'string',
                                    'enum': list(fields.BackupStatus.ALL)},
                'dry_run': {'type': 'boolean'},
                'reconcile': {'type': 'boolean'},
            },
            'required': ['status'],
            'additionalProperties': False,
        },
    },
    'required': ['backup-reset_status'],
    'additionalProperties': False,
}

#: a verification job (never changes the backup's status)
backup_verify = {
    'type': 'object',
    'properties': {
        'backup-verify': {
            'type': 'object',
            'properties': {
                'level': {'type': 'string', 'enum': ['shallow', 'deep']},
            },
            'additionalProperties': False,
        },
    },
    'required': ['backup-verify'],
    'additionalProperties': False,
}

#: POST backups/action: the bulk reset
bulk_reset_status = {
    'type': 'object',
    'properties': {
        'backup-reset_status': {
            'type': 'object',
            'properties': {
                'status': _status,
                'reason': _reason,
                'dry_run': {'type': 'boolean'},
                'reconcile': {'type': 'boolean'},
                'max': {'type': 'integer', 'minimum': 1},
                'filter': {
                    'type': 'object',
                    'properties': {
                        'stuck': {'type': 'boolean'},
                        'status': {'type': 'string',
                                   'enum': list(fields.BackupStatus.ALL)},
                        'host': {'type': 'string', 'minLength': 1,
                                 'maxLength': 255},
                        'older_than': {'type': 'integer', 'minimum': 0,
                                       'maximum': OLDER_THAN_MAX},
                        'all_tenants': {'type': 'boolean'},
                    },
                    'additionalProperties': False,
                },
            },
            'required': ['status', 'filter'],
            'additionalProperties': False,
        },
    },
    'required': ['backup-reset_status'],
    'additionalProperties': False,
}

#: Cinder's os-force_delete on a backup: an empty object (or null)
os_force_delete = {
    'type': 'object',
    'properties': {
        'os-force_delete': {'type': ['object', 'null'],
                            'additionalProperties': False},
    },
    'required': ['os-force_delete'],
    'additionalProperties': False,
}
