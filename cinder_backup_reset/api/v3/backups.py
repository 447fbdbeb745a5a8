"""The core ``backups`` resource: index, detail and show (read-only).

The reset action is not here: it is the backup_reset extension
(api/contrib/backup_reset.py), registered on this resource.
"""

from oslo_utils import strutils
from oslo_utils import uuidutils

from cinder_backup_reset.api import api_version
from cinder_backup_reset.api import resource
from cinder_backup_reset.api.schemas import backups as schemas
from cinder_backup_reset.api import validation
from cinder_backup_reset.api.views import backups as views
from cinder_backup_reset import exception

#: query parameters that filter the list calls (the others page and sort;
#: schemas.index_query lists them all)
FILTERS = ('name', 'status', 'volume_id')


class BackupsController(resource.Controller):
    """Read access to backups."""

    def __init__(self, conf, reset_manager):
        self.conf = conf
        self.manager = reset_manager

    @validation.query_schema(schemas.index_query)
    def index(self, req):
        """Backups as ``{id, name, links}``."""
        return self._list(req, views.summary)

    @validation.query_schema(schemas.index_query)
    def detail(self, req):
        """Backups with every field."""
        return self._list(req, views.detail)

    def show(self, req, id):
        """One backup with every field."""
        return views.detail(req, self.manager.get_backup(
            req.context, id, with_metadata=True))

    @validation.schema(schemas.update)
    def update(self, req, id, body):
        """Change name, description or metadata (microversions 3.9/3.43).

        NOTE: openstackclient's ``backup set --state`` always sends the
        metadata it read along with the reset, so this must work for it.
        """
        version = api_version.requested(req)
        if version < (3, 9):
            raise exception.NotFound(
                'Updating a backup needs microversion 3.9 or later (this '
                'request asked for %s).' % api_version.to_string(version))
        changes = body['backup']
        if 'metadata' in changes and version < (3, 43):
            raise exception.InvalidParameterValue(
                err='Backup metadata can be updated from microversion 3.43 '
                    'on (this request asked for %s).'
                    % api_version.to_string(version))
        values = {}
        if 'name' in changes:
            values['display_name'] = changes['name']
        if 'description' in changes:
            values['display_description'] = changes['description']
        return views.detail(req, self.manager.update_backup(
            req.context, id, values, metadata=changes.get('metadata')))

    def _list(self, req, view):
        params = req.GET
        filters = {key: params[key] for key in FILTERS if key in params}
        if 'name' in filters:
            filters['display_name'] = filters.pop('name')
        limit = self._limit(params)
        marker = params.get('marker')
        if marker is not None and not uuidutils.is_uuid_like(marker):
            raise exception.MarkerNotFound(marker=marker)
        backups, stuck = self.manager.get_backups(
            req.context, filters=filters, marker=marker, limit=limit,
            sort_key=params.get('sort_key', 'created_at'),
            sort_dir=params.get('sort_dir', 'desc'),
            all_tenants=_bool_param(params, 'all_tenants'),
            stuck=_bool_param(params, 'stuck'))
        result = views.collection(req, backups, view, limit)
        if stuck is not None:
            for item in result['backups']:
                item['stuck'] = stuck[item['id']]
        return result

    def _limit(self, params):
        maximum = self.conf.osapi_max_limit
        if 'limit' not in params:
            return maximum
        # NOTE: digits only (schemas.index_query).
        limit = int(params['limit'])
        return min(limit, maximum) if limit else maximum


def _bool_param(params, name):
    value = params.get(name)
    if value is None:
        return False
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        # NOTE: cinderclient sends all_tenants=1; anything unclear is an
        # error rather than a silent "no".
        raise exception.InvalidParameterValue(
            err='%s must be a boolean (1/0, true/false), not %r.' % (
                name, value))
