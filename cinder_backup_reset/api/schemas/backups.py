"""JSON Schemas of the backups resource: PUT's body, the lists' queries."""

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


#: sort keys of the list calls
SORT_KEYS = ('created_at', 'updated_at', 'id', 'status', 'display_name',
             'size')


def _query_param(schema):
    # NOTE: as Cinder's query schemas: a query string may repeat a key,
    # so each value is a list (webob's dict_of_lists); the last one wins.
    return {'type': 'array', 'items': schema}


#: GET backups and backups/detail (validation.query_schema)
index_query = {
    'type': 'object',
    'properties': {
        'name': _query_param({'type': 'string', 'maxLength': 255}),
        'status': _query_param({'type': 'string', 'maxLength': 255}),
        'volume_id': _query_param({'type': 'string', 'maxLength': 255}),
        'limit': _query_param({
            'type': 'string', 'pattern': '^[0-9]+$',
            'description': 'limit must be a non-negative integer.'}),
        'marker': _query_param({'type': 'string', 'maxLength': 255}),
        'sort_key': _query_param({
            'enum': list(SORT_KEYS),
            'description': 'sort_key must be one of %s.' % ', '.join(
                SORT_KEYS)}),
        'sort_dir': _query_param({
            'enum': ['asc', 'desc'],
            'description': 'sort_dir must be asc or desc.'}),
        'all_tenants': _query_param({'type': 'string'}),
        'stuck': _query_param({'type': 'string'}),
    },
    'additionalProperties': False,
}
