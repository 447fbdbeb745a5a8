"""Which backups are stuck, and why (PRODUCT.md "Stuck backups").

A backup in ``creating``, ``restoring`` or ``deleting`` is stuck when

- its backup service is down: the database has Cinder's ``services`` table
  and no enabled ``cinder-backup`` row of ``backups.host`` has sent a
  heartbeat within ``[DEFAULT] service_down_time`` seconds (a backup with
  no host yet is judged by its progress only); or
- it has made no progress for ``[DEFAULT] backup_stuck_after`` seconds:
  its ``updated_at``, else its ``created_at``, is older.

``Stuck`` builds the filters and SQL conditions once per request (so a
page of the list and the bulk reset select exactly these rows) and
describes each row it selected.
"""

import datetime

from oslo_utils import timeutils
import sqlalchemy as sa

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import cinder_tables
from cinder_backup_reset.db import models
from cinder_backup_reset.objects import fields

_B = models.Backup


def progress_column():
    """SQL: a backup's last sign of progress (updated_at, else created)."""
    return sa.func.coalesce(_B.updated_at, _B.created_at)


def older_than(seconds, now=None):
    """SQL condition: no progress for more than ``seconds`` seconds."""
    now = now or timeutils.utcnow()
    return progress_column() < now - datetime.timedelta(seconds=seconds)


class Stuck:
    """The stuck rule at one instant, with ``conf``'s thresholds.

    Pass ``filters(...)`` as backup_get_all's ``filters`` and
    ``criteria`` as its ``criteria`` (both: the statuses are in the
    filters); then ``describe`` the rows it returned.
    """

    def __init__(self, conf, now=None):
        self.now = now or timeutils.utcnow()
        self.progress_cutoff = self.now - datetime.timedelta(
            seconds=conf.backup_stuck_after)
        self.down_cutoff = self.now - datetime.timedelta(
            seconds=conf.service_down_time)
        self.with_services = None

    def filters(self, filters):
        """``filters`` with ``status`` as the list of stuck statuses.

        The list calls then read one page per status (db_api.backup_get_all
        with a list-valued filter), each an ordered range of the index on
        (deleted, status, created_at, id), instead of every backup in any
        of those statuses. A ``status`` the caller asked for narrows the
        list (to nothing if it is not a stuck status).

        :param filters: dict of exact-match filters (column -> value).
        :returns: a new dict.
        """
        wanted = filters.get('status')
        return dict(filters, status=[
            status for status in fields.BackupStatus.IN_PROGRESS
            if wanted is None or status == wanted])

    def criteria(self, conn):
        """SQL conditions selecting, of ``filters``' rows, the stuck ones.

        NOTE: the statuses are not among them: the same ``status IN``
        beside each page's ``status =`` made PostgreSQL and SQLite sort
        a whole status's rows instead of reading its index in order.

        :param conn: the Connection the query runs on (to find whether
            Cinder's ``services`` table is there).
        :returns: list of SQL expressions (to AND together).
        """
        self.with_services = cinder_tables.has_services(conn)
        conditions = [progress_column() < self.progress_cutoff]
        if self.with_services:
            conditions.append(sa.and_(
                _B.host.isnot(None),
                ~cinder_tables.service_up_clause(_B.host,
                                                 self.down_cutoff)))
        return [sa.or_(*conditions)]

    def describe(self, context, backups):
        """``{backup id: {"reason", "since", "host", "service_up"}}``.

        ``reason`` is ``service_down`` when the service is known to be
        down (or disabled, or has no row), else ``no_progress``;
        ``since`` (ISO 8601, UTC) is the last sign of life: the service's
        last heartbeat for ``service_down`` (the backup's progress when
        the service has no row), the backup's progress for
        ``no_progress``; ``service_up`` is None where it cannot be known
        (no ``services`` table, or no host).
        """
        services = {}
        if self.with_services is None:
            self.with_services = _has_services(context)
        if self.with_services:
            services = _services(context, [b.host for b in backups])
        described = {}
        for backup in backups:
            progress = backup.updated_at or backup.created_at
            service_up, heartbeat = None, None
            if self.with_services and backup.host:
                disabled, heartbeat = services.get(backup.host,
                                                   (True, None))
                service_up = bool(not disabled and heartbeat is not None and
                                  heartbeat >= self.down_cutoff)
            if service_up is False:
                reason, since = 'service_down', heartbeat or progress
            else:
                reason, since = 'no_progress', progress
            described[backup.id] = {
                'reason': reason,
                'since': since.isoformat() if since else None,
                'host': backup.host,
                'service_up': service_up,
            }
        return described


@db_api.main_context_manager.reader.connection
def _has_services(context):
    return cinder_tables.has_services(context.connection)


@db_api.main_context_manager.reader.connection
def _services(context, hosts):
    return cinder_tables.backup_services(context.connection, hosts)
