"""JSON Schema of PUT backups/{id} (Cinder's ``update`` schema)."""

_string = {'type': ['string', 'null'], 'maxLength': 255}

update = {
    'type': 'object',
    'properties': {
        'backup': {
            'type': 'object',
            'properties': {
                'name': _string,
                'description': _string,
                'metadata': {
                    'type': 'object',
                    'patternProperties': {
                        '^.{1,255}$': {'type': 'string', 'maxLength': 255},
                    },
                    'additionalProperties': False,
                },
            },
            'additionalProperties': False,
        },
    },
    'required': ['backup'],
    'additionalProperties': False,
}
