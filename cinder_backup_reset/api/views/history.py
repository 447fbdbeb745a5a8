"""The status history view (``GET backups/{id}/status-history``)."""

from oslo_serialization import jsonutils

from cinder_backup_reset import utils


def entry(row):
    """One history row as the API shows it.

    Keys: id, backup_id, user_id, project_id, request_id, from_status,
    to_status, reason, verified, evidence (a dict), created_at (ISO 8601).
    """
    return {
        'id': row.id,
        'backup_id': row.backup_id,
        'user_id': row.user_id,
        'project_id': row.project_id,
        'request_id': row.request_id,
        'from_status': row.from_status,
        'to_status': row.to_status,
        'reason': row.reason,
        'verified': row.verified,
        'evidence': jsonutils.loads(row.evidence or '{}'),
        'created_at': utils.isotime(row.created_at),
    }


def index(rows):
    """``{"status_history": [entry, ...]}``, in the rows' order."""
    return {'status_history': [entry(row) for row in rows]}
