"""Cinder's backup views (summary, detail, collection links)."""

from urllib import parse


def _iso(value):
    return value.isoformat() if value else None


def _links(req, backup):
    base = req.application_url
    project = req.urlvars.get('project_id')
    path = '/%s/backups/%s' % (project, backup.id) if project else (
        '/backups/%s' % backup.id)
    bookmark = req.host_url + req.script_name.rsplit('/', 1)[0] + path
    return [{'href': base + path, 'rel': 'self'},
            {'href': bookmark, 'rel': 'bookmark'}]


def summary(req, backup):
    """``{id, name, links}``, as Cinder's list view."""
    return {'backup': {'id': backup.id, 'name': backup.display_name,
                       'links': _links(req, backup)}}


def detail(req, backup):
    """The full backup view, Cinder's fields plus ``metadata``."""
    return {'backup': {
        'id': backup.id,
        'status': backup.status,
        'size': backup.size,
        'object_count': backup.object_count,
        'availability_zone': backup.availability_zone,
        'container': backup.container,
        'created_at': _iso(backup.created_at),
        'updated_at': _iso(backup.updated_at),
        'name': backup.display_name,
        'description': backup.display_description,
        'fail_reason': backup.fail_reason,
        'volume_id': backup.volume_id,
        'links': _links(req, backup),
        'is_incremental': backup.parent_id is not None,
        'has_dependent_backups': bool(backup.num_dependent_backups),
        'snapshot_id': backup.snapshot_id,
        'data_timestamp': _iso(backup.data_timestamp or backup.created_at),
        'metadata': {item.key: item.value for item in backup.metadata_items},
    }}


def collection(req, backups, view, limit):
    """``{"backups": [...], "backups_links": [next]}`` (links if full)."""
    result = {'backups': [view(req, b)['backup'] for b in backups]}
    if limit and len(backups) == limit:
        params = dict(req.GET)
        params['marker'] = backups[-1].id
        params['limit'] = str(limit)
        result['backups_links'] = [{
            'rel': 'next',
            'href': '%s?%s' % (req.path_url, parse.urlencode(params)),
        }]
    return result
