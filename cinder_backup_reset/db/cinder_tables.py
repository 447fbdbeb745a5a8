"""Cinder's own tables beside ``backups``: volumes, snapshots, services.

The embedded database has none of them; Cinder's database has all. Which
ones a database has is found by reflection, once per engine, and each is
modelled here with SQLAlchemy Core and only the columns the service reads
or writes. Nothing here ever creates, alters or drops these tables (the
tests create them on the embedded SQLite database with ``METADATA``).

Two uses:

- the stuck report asks whether a backup's ``cinder-backup`` service is up
  (``services``: Cinder's ``Service.is_up``: a row not deleted, not
  disabled, whose ``updated_at`` (else ``created_at``) is within
  ``service_down_time`` seconds);
- a reset reconciles the backup's source volume, snapshot and restore
  target the way Cinder's ``BackupManager.init_host`` cleanup does, in the
  reset's own transaction (reconcile()).
"""

import threading
import weakref

from oslo_utils import timeutils
import sqlalchemy as sa

from cinder_backup_reset.objects import fields

_BS = fields.BackupStatus
METADATA = sa.MetaData()

VOLUMES = sa.Table(
    'volumes', METADATA,
    sa.Column('id', sa.String(36), primary_key=True),
    sa.Column('status', sa.String(255)),
    sa.Column('previous_status', sa.String(255)),
    sa.Column('attach_status', sa.String(255)),
    sa.Column('updated_at', sa.DateTime),
    sa.Column('deleted', sa.Boolean),
)
VOLUME_ATTACHMENT = sa.Table(
    'volume_attachment', METADATA,
    sa.Column('id', sa.String(36), primary_key=True),
    sa.Column('volume_id', sa.String(36)),
    sa.Column('attach_status', sa.String(255)),
    sa.Column('deleted', sa.Boolean),
)
SNAPSHOTS = sa.Table(
    'snapshots', METADATA,
    sa.Column('id', sa.String(36), primary_key=True),
    sa.Column('status', sa.String(255)),
    sa.Column('updated_at', sa.DateTime),
    sa.Column('deleted', sa.Boolean),
)
SERVICES = sa.Table(
    'services', METADATA,
    sa.Column('id', sa.Integer, primary_key=True),
    sa.Column('host', sa.String(255)),
    sa.Column('binary', sa.String(255)),
    sa.Column('topic', sa.String(255)),
    sa.Column('disabled', sa.Boolean),
    sa.Column('created_at', sa.DateTime),
    sa.Column('updated_at', sa.DateTime),
    sa.Column('deleted', sa.Boolean),
)

#: Cinder's binary of the backup service (``services.binary``)
BACKUP_BINARY = 'cinder-backup'

_FOUND = weakref.WeakKeyDictionary()
_FOUND_LOCK = threading.Lock()


def present(conn):
    """The names of Cinder's tables (of those modelled here) in the DB.

    :param conn: a SQLAlchemy Connection.
    :returns: frozenset of table names, found once per engine.
    """
    return _reflected(conn)[0]


def backups_index_leads(conn):
    """The columns an index of ``backups`` starts with, after ``deleted``.

    On Cinder's database ``backups`` has only Cinder's indexes unless its
    operator added one (doc/source/admin/cinder-database.rst).

    :param conn: a SQLAlchemy Connection.
    :returns: frozenset of column names, found once per engine.
    """
    return _reflected(conn)[1]


def _reflected(conn):
    engine = conn.engine
    with _FOUND_LOCK:
        found = _FOUND.get(engine)
    if found is None:
        inspector = sa.inspect(conn)
        names = set(inspector.get_table_names())
        leads = set()
        if 'backups' in names:
            for index in inspector.get_indexes('backups'):
                columns = index['column_names']
                if columns[:1] == ['deleted']:
                    columns = columns[1:]
                leads.update(columns[:1])
        found = (frozenset(name for name in METADATA.tables
                           if name in names), frozenset(leads))
        with _FOUND_LOCK:
            _FOUND[engine] = found
    return found


def forget(engine):
    """Reflect again on next use (tests that create tables or indexes)."""
    with _FOUND_LOCK:
        _FOUND.pop(engine, None)


def has_services(conn):
    """Whether ``services`` is there (service heartbeats can be read)."""
    return 'services' in present(conn)


def has_volumes(conn):
    """Whether ``volumes`` is there (a reset can reconcile volumes)."""
    return 'volumes' in present(conn)


def heartbeat():
    """Cinder's last heartbeat of a service row: updated_at, else created."""
    return sa.func.coalesce(SERVICES.c.updated_at, SERVICES.c.created_at)


def service_up_clause(host_column, down_cutoff):
    """SQL: a live, enabled ``cinder-backup`` row exists for the host.

    :param host_column: the column (or expression) holding the host.
    :param down_cutoff: naive UTC datetime; heartbeats before it are down.
    """
    return sa.exists().where(
        SERVICES.c.host == host_column,
        SERVICES.c.binary == BACKUP_BINARY,
        SERVICES.c.deleted == sa.false(),
        SERVICES.c.disabled == sa.false(),
        heartbeat() >= down_cutoff)


def backup_services(conn, hosts):
    """The ``cinder-backup`` rows of ``hosts``.

    :returns: {host: (disabled, last heartbeat)}; with several rows for a
        host the newest heartbeat of an enabled one wins.
    """
    hosts = sorted({host for host in hosts if host})
    if not hosts:
        return {}
    rows = conn.execute(
        sa.select(SERVICES.c.host, SERVICES.c.disabled,
                  heartbeat().label('heartbeat'))
        .where(SERVICES.c.host.in_(hosts),
               SERVICES.c.binary == BACKUP_BINARY,
               SERVICES.c.deleted == sa.false()))
    services = {}
    for row in rows:
        candidate = (bool(row.disabled), row.heartbeat)
        known = services.get(row.host)
        if known is None or _better(candidate, known):
            services[row.host] = candidate
    return services


def _better(candidate, known):
    if candidate[0] != known[0]:
        return not candidate[0]
    return (candidate[1] or _EPOCH) > (known[1] or _EPOCH)


_EPOCH = timeutils.parse_isotime('1970-01-01T00:00:00').replace(tzinfo=None)


# --- reconciliation --------------------------------------------------------

def _other_backups(backups, column, value, status, backup_id):
    return sa.exists().where(
        column == value,
        backups.c.status == status,
        backups.c.deleted == sa.false(),
        backups.c.id != backup_id)


def plan(conn, backups, backup):
    """What reconcile() would change for ``backup``; writes nothing.

    :param backups: the ``backups`` Table.
    :param backup: the backup row as read (id, volume_id, snapshot_id,
        restore_volume_id).
    :returns: list of change dicts (see reconcile); ``applied`` False.
    """
    if not has_volumes(conn):
        return []
    changes = []
    volume = _volume(conn, backup.volume_id)
    if volume is not None and volume.status == 'backing-up':
        busy = conn.execute(sa.select(_other_backups(
            backups, backups.c.volume_id, backup.volume_id, _BS.CREATING,
            backup.id))).scalar()
        changes.append(_change(
            'volume', 'source', volume.id, volume.status,
            _source_target(conn, volume),
            skipped='another backup of this volume is still creating'
            if busy else None))
    restore_id = getattr(backup, 'restore_volume_id', None)
    if restore_id:
        target = _volume(conn, restore_id)
        if target is not None and target.status == 'restoring-backup':
            busy = conn.execute(sa.select(_other_backups(
                backups, backups.c.restore_volume_id, restore_id,
                _BS.RESTORING, backup.id))).scalar()
            changes.append(_change(
                'volume', 'restore_target', target.id, target.status,
                'error_restoring',
                skipped='another backup is still restoring into this '
                        'volume' if busy else None))
    snapshot_id = getattr(backup, 'snapshot_id', None)
    if snapshot_id and 'snapshots' in present(conn):
        snapshot = conn.execute(
            sa.select(SNAPSHOTS.c.id, SNAPSHOTS.c.status).where(
                SNAPSHOTS.c.id == snapshot_id,
                SNAPSHOTS.c.deleted == sa.false())).first()
        if snapshot is not None and snapshot.status == 'backing-up':
            changes.append(_change('snapshot', 'snapshot', snapshot.id,
                                   snapshot.status, 'available'))
    return changes


def reconcile(conn, backups, backup):
    """Return the backup's volumes and snapshot to where Cinder would.

    Runs in the caller's transaction, after the backup's own
    compare-and-swap: the source volume ``backing-up`` → its
    ``previous_status`` (or ``in-use``/``available`` from its attachments)
    unless another backup of it is still ``creating``; the snapshot
    ``backing-up`` → ``available``; the restore target
    ``restoring-backup`` → ``error_restoring`` unless another backup still
    restores into it. Each write is a compare-and-swap on the status read;
    a row whose status moved on meanwhile is left alone.

    :returns: list of ``{"resource": "volume"|"snapshot", "role":
        "source"|"restore_target"|"snapshot", "id", "from_status",
        "to_status", "applied": bool, "reason": None or why not}``.
    """
    changes = plan(conn, backups, backup)
    now = timeutils.utcnow()
    for change in changes:
        if change['reason']:
            continue
        if change['resource'] == 'snapshot':
            table, extra = SNAPSHOTS, []
        else:
            table = VOLUMES
            column = (backups.c.volume_id if change['role'] == 'source'
                      else backups.c.restore_volume_id)
            status = (_BS.CREATING if change['role'] == 'source'
                      else _BS.RESTORING)
            extra = [~_other_backups(backups, column, change['id'], status,
                                     backup.id)]
        result = conn.execute(
            table.update()
            .where(table.c.id == change['id'],
                   table.c.status == change['from_status'],
                   table.c.deleted == sa.false(), *extra)
            .values(status=change['to_status'], updated_at=now))
        if result.rowcount == 1:
            change['applied'] = True
        else:
            change['reason'] = ('its status changed meanwhile; left '
                                'alone')
    return changes


def _volume(conn, volume_id):
    if not volume_id:
        return None
    return conn.execute(
        sa.select(VOLUMES.c.id, VOLUMES.c.status,
                  VOLUMES.c.previous_status).where(
            VOLUMES.c.id == volume_id,
            VOLUMES.c.deleted == sa.false())).first()


def _source_target(conn, volume):
    previous = volume.previous_status
    if previous and previous != 'backing-up':
        return previous
    if 'volume_attachment' in present(conn):
        attached = conn.execute(sa.select(sa.exists().where(
            VOLUME_ATTACHMENT.c.volume_id == volume.id,
            VOLUME_ATTACHMENT.c.attach_status == 'attached',
            VOLUME_ATTACHMENT.c.deleted == sa.false()))).scalar()
        if attached:
            return 'in-use'
    return 'available'


def _change(resource, role, ident, from_status, to_status, skipped=None):
    return {'resource': resource, 'role': role, 'id': ident,
            'from_status': from_status, 'to_status': to_status,
            'applied': False, 'reason': skipped}
