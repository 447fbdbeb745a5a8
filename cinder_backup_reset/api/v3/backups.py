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
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import stuck as db_stuck
from cinder_backup_reset import exception
from cinder_backup_reset.policies import backup_actions as admin_policies
from cinder_backup_reset.policies import backups as policies

#: query parameters that filter the list calls (the others page and sort;
#: schemas.index_query lists them all)
FILTERS = ('name', 'status', 'volume_id')


def load_backup(context, backup_id, policy_name=policies.GET_POLICY,
                with_metadata=True):
    """Read one backup and authorize ``policy_name`` on it.

    A non-admin only ever sees their own project's rows, so another
    project's backup is 404, not 403: its existence is not revealed.
    ``with_metadata=False`` when the caller does not show the metadata.
    """
    backup = db_api.backup_get(context, backup_id,
                               with_metadata=with_metadata)
    context.can(policy_name, target={'project_id': backup.project_id,
                                     'user_id': backup.user_id})
    return backup


class BackupsController(resource.Controller):
    """Read access to backups."""

    def __init__(self, conf):
        self.conf = conf

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
        return views.detail(req, load_backup(req.context, id))

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
        context = req.context
        backup = load_backup(context, id)
        context.can(policies.UPDATE_POLICY,
                    target={'project_id': backup.project_id,
                            'user_id': backup.user_id})
        values = {}
        if 'name' in changes:
            values['display_name'] = changes['name']
        if 'description' in changes:
            values['display_description'] = changes['description']
        backup = db_api.backup_update(context, backup.id, values,
                                      metadata=changes.get('metadata'))
        return views.detail(req, backup)

    def _list(self, req, view):
        context = req.context
        context.can(policies.GET_ALL_POLICY)
        params = req.GET
        stuck = None
        if _bool_param(params, 'stuck'):
            # NOTE: the stuck report is an operator's tool (it names hosts
            # and services): admin only, checked before any read.
            context.can(admin_policies.STUCK_REPORT)
            stuck = db_stuck.Stuck(self.conf)
        filters = {key: params[key] for key in FILTERS if key in params}
        if 'name' in filters:
            filters['display_name'] = filters.pop('name')
        if stuck is not None:
            filters = stuck.filters(filters)
        all_tenants = _bool_param(params, 'all_tenants')
        limit = self._limit(params)
        sort_key = params.get('sort_key', 'created_at')
        sort_dir = params.get('sort_dir', 'desc')
        marker = params.get('marker')
        if marker is not None and not uuidutils.is_uuid_like(marker):
            raise exception.MarkerNotFound(marker=marker)
        backups = db_api.backup_get_all(
            context, filters=filters, marker=marker, limit=limit,
            sort_keys=[sort_key], sort_dirs=[sort_dir],
            # NOTE: as in Cinder, all_tenants from a non-admin is ignored.
            all_projects=all_tenants and context.is_admin,
            criteria=stuck.criteria if stuck else None)
        result = views.collection(req, backups, view, limit)
        if stuck is not None:
            described = stuck.describe(context, backups)
            for item in result['backups']:
                item['stuck'] = described[item['id']]
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
