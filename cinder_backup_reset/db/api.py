"""The DB API: every read and write of backups goes through here.

Functions take a RequestContext (an enginefacade transaction context
provider) first. Reads of a non-admin context are limited to its project,
as Cinder's ``project_only`` queries are, so another project's backup is
simply not found. The engine they run on is set up in db/engine.py.
"""

import contextlib
import functools
import re

from oslo_db import api as oslo_db_api
from oslo_db import exception as db_exc
from oslo_db.sqlalchemy import utils as sqlalchemyutils
from oslo_log import log as logging
from oslo_serialization import jsonutils
from oslo_utils import timeutils
from oslo_utils import uuidutils
import sqlalchemy as sa
from sqlalchemy import orm

from cinder_backup_reset.conf import database as conf_database
from cinder_backup_reset.db import cinder_tables
from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset.db import models
from cinder_backup_reset.db import postgresql
from cinder_backup_reset.db import sqlite
from cinder_backup_reset import exception
from cinder_backup_reset import utils

LOG = logging.getLogger(__name__)
#: NOTE: set up in db/engine.py; the name stays here for the queries'
#: decorators and their callers (db/stuck.py, tools, tests).
main_context_manager = db_engine.main_context_manager
get_engine = db_engine.get_engine
dispose_engine = db_engine.dispose_engine

#: NOTE: Cinder truncates fail_reason to its column size; so do we, rather
#: than failing a reset on a long driver message.
FAIL_REASON_MAX = 255


#: NOTE: PostgreSQL connection failures oslo.db does not recognise: libpq
#: >= 14 words a refused connection "connection to server at ...
#: failed", while oslo.db's filter looks for "could not connect to
#: server" and re-raises anything else as a bare OperationalError, which
#: the API could only answer with a 500. doc/source/contributor/
#: upstream.rst proposes the pattern to oslo.db.
_PG_CONNECTION_LOST = re.compile(
    r'connection to server (?:at|on) .* failed|could not connect to server|'
    r'server closed the connection unexpectedly|no connection to the server|'
    r'terminating connection due to administrator command|'
    r'connection already closed|the database system is (?:starting up|'
    r'shutting down|in recovery mode)|' + re.escape(postgresql.NO_ANSWER),
    re.DOTALL)


@contextlib.contextmanager
def _connection_errors():
    """Raise DBConnectionError for a PostgreSQL server that is gone.

    NOTE: oslo.db re-raises an OperationalError it does not recognise as
    it is; this recognises the server's and libpq's wordings of "there is
    no server" (_PG_CONNECTION_LOST) after oslo.db has had its say, so the
    API answers 503 instead of 500.
    """
    try:
        yield
    except sa.exc.OperationalError as exc:
        if _is_pg_connection_lost(exc):
            raise db_exc.DBConnectionError(exc) from exc
        raise


def _is_pg_connection_lost(exc):
    dbapi_error = exc.orig
    return (dbapi_error is not None and
            type(dbapi_error).__module__.split('.')[0] in ('psycopg2',
                                                           'psycopg') and
            _PG_CONNECTION_LOST.search(str(dbapi_error)) is not None)


def _translate_connection_errors(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _connection_errors():
            return fn(*args, **kwargs)
    return wrapper


def _backup_query(context, session, read_deleted=False):
    query = session.query(models.Backup)
    if not read_deleted:
        query = query.filter(models.Backup.deleted == sa.false())
    if not context.is_admin:
        query = query.filter(models.Backup.project_id == context.project_id)
    return query


_BACKUPS = models.Backup.__table__
_HISTORY = models.BackupStatusHistory.__table__

#: NOTE: built once: the reset path reads one row per request, and building
#: and compiling an ORM query (with its loader options) for it cost more
#: than the database's own work (about 0.4 ms of a reset on SQLite). These
#: constant statements hit SQLAlchemy's compiled cache every time.
_GET_ROW = sa.select(_BACKUPS).where(
    _BACKUPS.c.id == sa.bindparam('backup_id'),
    _BACKUPS.c.deleted == sa.false())
_GET_ROW_OF_PROJECT = _GET_ROW.where(
    _BACKUPS.c.project_id == sa.bindparam('project_id'))


@_translate_connection_errors
def backup_get(context, backup_id, with_metadata=True, read_deleted=False):
    """Return the backup, or raise BackupNotFound.

    A non-admin context only sees its own project's backups.
    ``with_metadata=True`` returns the ORM object with its
    ``metadata_items``; ``with_metadata=False`` returns a read-only row of
    the ``backups`` columns (attribute access, no ``metadata_items``),
    which is what the reset path needs. ``read_deleted`` also finds a
    soft-deleted backup (its audit trail outlives it), as the ORM object.

    :raises BackupNotFound: no such backup (for this context).
    :raises oslo_db.exception.DBConnectionError: the database is
        unreachable.
    """
    if with_metadata or read_deleted:
        return _backup_get_orm(context, backup_id, read_deleted)
    return _backup_get_row(context, backup_id)


@main_context_manager.reader
def _backup_get_orm(context, backup_id, read_deleted=False):
    backup = _backup_query(context, context.session,
                           read_deleted=read_deleted).filter(
        models.Backup.id == backup_id).first()
    if backup is None:
        raise exception.BackupNotFound(backup_id=backup_id)
    return backup


@main_context_manager.reader.connection
def _backup_get_row(context, backup_id):
    if context.is_admin:
        statement, params = _GET_ROW, {'backup_id': backup_id}
    else:
        statement, params = _GET_ROW_OF_PROJECT, {
            'backup_id': backup_id, 'project_id': context.project_id}
    row = context.connection.execute(statement, params).first()
    if row is None:
        raise exception.BackupNotFound(backup_id=backup_id)
    return row


@_translate_connection_errors
@main_context_manager.reader
def backup_get_parent(context, parent_id):
    """The parent of an incremental backup, even if soft-deleted.

    :returns: the backup (its ``deleted`` says whether it was deleted), or
        None when there is no such row. A non-admin context only sees its
        own project, as for backup_get (a backup's parent is in its
        project).
    """
    return _backup_query(context, context.session, read_deleted=True).filter(
        models.Backup.id == parent_id).first()


@_translate_connection_errors
@main_context_manager.reader
def backup_get_all(context, filters=None, marker=None, limit=None,
                   sort_keys=None, sort_dirs=None, all_projects=False,
                   criteria=None):
    """List backups matching ``filters`` (exact match on columns).

    A filter's value may be a list or tuple: any of those values (as in
    Cinder). ``all_projects`` is honoured only for admin contexts;
    everyone else sees their own project. Paging uses a marker id and a
    limit. ``criteria``: a callable taking the session's Connection and
    returning more SQL conditions (db/stuck.py), or None.
    """
    query = _backup_query(context, context.session)
    if context.is_admin and not all_projects:
        query = query.filter(models.Backup.project_id == context.project_id)
    split = None
    for key, value in (filters or {}).items():
        column = getattr(models.Backup, key)
        if not isinstance(value, (list, tuple)):
            query = query.filter(column == value)
        elif (len(value) > 1 and limit and key in
              cinder_tables.backups_index_leads(context.session.connection())):
            split = (column, value)
        else:
            query = query.filter(column.in_(value))
    if criteria is not None:
        query = query.filter(*criteria(context.session.connection()))
    marker_row = None
    if marker:
        marker_row = _backup_query(context, context.session).filter(
            models.Backup.id == marker).first()
        if marker_row is None:
            raise exception.MarkerNotFound(marker=marker)
    sort_keys = list(sort_keys or ['created_at', 'id'])
    sort_dirs = list(sort_dirs or ['desc'] * len(sort_keys))
    if 'id' not in sort_keys:
        sort_keys.append('id')
        sort_dirs.append(sort_dirs[0])
    if split is not None:
        return _merged_pages(context, query, split, limit, marker_row,
                             sort_keys, sort_dirs)
    query = sqlalchemyutils.paginate_query(
        query, models.Backup, limit, sort_keys, marker=marker_row,
        sort_dirs=sort_dirs)
    return query.all()


def _merged_pages(context, query, split, limit, marker_row, sort_keys,
                  sort_dirs):
    """One page of ``query`` where ``split = (column, values)``.

    NOTE: one page per value, then the best ``limit`` of them: each
    value's page is one ordered range of an index on (deleted, column,
    created_at, id), read up to the limit, where ``column IN (values)``
    made the database read every matching row and sort them for a page
    (the stuck report's cost grew with the number of stuck backups).
    Only where an index starts with the column: without one, each page
    would read the whole table (Cinder's table, unless its operator
    added the index), so one ``IN`` reads it once instead.
    """
    column, values = split
    pages = [sqlalchemyutils.paginate_query(
        query.filter(column == value), models.Backup, limit, sort_keys,
        marker=marker_row, sort_dirs=sort_dirs).subquery()
        for value in values]
    # NOTE: each page wrapped in its own SELECT: SQLite refuses ORDER BY
    # and LIMIT on the members of a compound SELECT.
    merged = sa.union_all(*[sa.select(page) for page in pages]).subquery()
    backup = orm.aliased(models.Backup, merged)
    order = [getattr(backup, key).desc() if direction.startswith('desc')
             else getattr(backup, key).asc()
             for key, direction in zip(sort_keys, sort_dirs)]
    return context.session.query(backup).order_by(*order).limit(
        limit).all()


@_translate_connection_errors
@main_context_manager.writer
def backup_create(context, values):
    """Create a backup row (used by the posix writer and by tests)."""
    values = dict(values)
    values.setdefault('id', uuidutils.generate_uuid())
    metadata = values.pop('metadata', None) or {}
    backup = models.Backup()
    backup.update(values)
    context.session.add(backup)
    for key, value in metadata.items():
        context.session.add(models.BackupMetadata(
            backup_id=backup.id, key=key, value=value))
    context.session.flush()
    return backup


@_translate_connection_errors
@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
def backup_update(context, backup_id, values, metadata=None):
    """Update descriptive fields and replace metadata; never the status.

    Returns the updated backup (with its metadata).
    """
    with sqlite.write_lock(get_engine()):
        return _backup_update(context, backup_id, values, metadata)


@main_context_manager.writer
def _backup_update(context, backup_id, values, metadata):
    backup = _backup_query(context, context.session).filter(
        models.Backup.id == backup_id).with_for_update().first()
    if backup is None:
        raise exception.BackupNotFound(backup_id=backup_id)
    if values:
        backup.update(dict(values, updated_at=timeutils.utcnow()))
    if metadata is not None:
        meta = models.BackupMetadata
        current = {row.key: row for row in context.session.query(meta).filter(
            meta.backup_id == backup_id, meta.deleted == sa.false())}
        now = timeutils.utcnow()
        for key, row in current.items():
            if key not in metadata:
                row.update({'deleted': True, 'deleted_at': now})
            elif row.value != metadata[key]:
                row.update({'value': metadata[key], 'updated_at': now})
        for key, value in metadata.items():
            if key not in current:
                context.session.add(meta(backup_id=backup_id, key=key,
                                         value=value, deleted=False))
    context.session.flush()
    context.session.refresh(backup)
    return backup


_TOUCH = _BACKUPS.update().where(
    _BACKUPS.c.id == sa.bindparam('_backup_id'),
    _BACKUPS.c.status == sa.bindparam('_expected'),
    _BACKUPS.c.deleted == sa.false())


@_translate_connection_errors
def backup_touch(context, backup_id, status):
    """Record progress: ``updated_at = now`` while the status is ``status``.

    One conditional UPDATE, so a running job's heartbeat never overwrites
    a reset. Returns True when the row still had ``status`` (and was
    touched), False otherwise (the job should stop).
    """
    with _writer(context) as conn:
        result = conn.execute(_TOUCH, {'_backup_id': backup_id,
                                       '_expected': status,
                                       'updated_at': timeutils.utcnow()})
        return result.rowcount == 1


def truncate_fail_reason(value):
    """``value`` as the fail_reason column keeps it (at most 255 chars)."""
    return _truncate(value)


@_translate_connection_errors
@main_context_manager.reader.connection
def backup_reconcile_plan(context, backup):
    """What a reset of ``backup`` would change in volumes and snapshots.

    db/cinder_tables.py plan(); [] on the embedded database.
    """
    return cinder_tables.plan(context.connection, _BACKUPS, backup)


def _truncate(value, size=FAIL_REASON_MAX):
    if value is not None and len(value) > size:
        return value[:size - 3] + '...'
    return value


@oslo_db_api.wrap_db_retry(max_retries=5, retry_on_deadlock=True)
def backup_conditional_update(context, backup_id, expected_status, values,
                              history=None, reconcile=None):
    """Compare-and-swap the backup's row; optionally record history.

    One ``UPDATE backups SET ... WHERE id = :id AND status = :expected AND
    deleted = false``. When no row matched, nothing is written and
    BackupStatusConflict (or BackupNotFound) is raised. When ``history`` is
    given, the history row is inserted in the same transaction, so a status
    change and its audit entry commit together or not at all.

    ``reconcile(conn)``, when given, runs in the same transaction right
    after the compare-and-swap succeeded (before the history row is
    written) and returns a list of changes it made to other rows (Cinder's
    volumes and snapshots, db/cinder_tables.py); the history row's
    evidence lists them under ``volumes``. An exception from it rolls the
    whole reset back.

    Returns the history entry (or None): a dict with the keys of
    api/views/history.py entry(), ``created_at`` in ISO 8601.

    :raises DatabaseCommitInDoubt: the connection was lost while the
        transaction committed, so it may or may not have been applied.
    """
    committing = []
    try:
        with _connection_errors(), _writer(context) as conn:
            entry = _conditional_update(conn, context, backup_id,
                                        expected_status, values, history,
                                        reconcile)
            committing.append(True)
    except db_exc.DBConnectionError as exc:
        if not committing:
            raise
        # NOTE: every statement succeeded and only the COMMIT failed: the
        # server may have committed before the connection broke (a crash
        # between its commit and its answer). "No change was made" would
        # be a lie, so say that the outcome is unknown and how to check.
        raise exception.DatabaseCommitInDoubt(
            backup_id=backup_id, request_id=context.request_id) from exc
    return entry


def backup_conditional_update_many(context, items):
    """Many backup_conditional_update()s in one transaction.

    Each item is ``{"backup_id", "expected_status", "values", "history",
    "reconcile"}`` (as that function's arguments) and is its own
    compare-and-swap with its own history row; an item whose status is
    not the expected one (or that is gone) changes nothing and is
    reported, and the others go on. Used by the bulk reset: one commit
    for many resets instead of one each (and, on MariaDB and PostgreSQL
    when nothing is to be reconciled, a few statements: _swap_locked).

    :returns: list, per item, of the history entry (dict) or the
        BackupStatusConflict / BackupNotFound raised for it.
    :raises: any other error, after which nothing of the batch was
        committed (the caller may retry item by item).
    """
    results = []
    with _connection_errors(), _writer(context) as conn:
        # NOTE: where the driver returns the ids of a many-row INSERT in
        # order (SQLite, PostgreSQL, MariaDB), the history rows go in one
        # statement at the end instead of a round trip each.
        deferred = ([] if conn.dialect.
                    insert_executemany_returning_sort_by_parameter_order
                    else None)
        if (deferred is not None and conn.dialect.name != 'sqlite' and
                (not cinder_tables.has_volumes(conn) or
                 all(item.get('reconcile') is None for item in items))):
            results = _swap_locked(conn, context, items, deferred)
        for item in items[len(results):]:
            try:
                results.append(_conditional_update(
                    conn, context, item['backup_id'],
                    item['expected_status'], item['values'],
                    item.get('history'), item.get('reconcile'),
                    deferred=deferred))
            except (exception.BackupStatusConflict,
                    exception.BackupNotFound) as exc:
                # NOTE: raised before this item wrote anything (the
                # compare-and-swap matched no row), so the batch goes on.
                results.append(exc)
        if deferred:
            ids = conn.execute(
                _HISTORY.insert().returning(_HISTORY.c.id,
                                            sort_by_parameter_order=True),
                [_history_params(entry) for entry in deferred]).scalars(
                ).all()
            for entry, history_id in zip(deferred, ids):
                _history_added(entry, history_id)
    return results


_LOCK_ROWS = sa.select(_BACKUPS.c.id, _BACKUPS.c.status).where(
    _BACKUPS.c.id.in_(sa.bindparam('ids', expanding=True)),
    _BACKUPS.c.deleted == sa.false()).with_for_update()


def _swap_locked(conn, context, items, deferred):
    """backup_conditional_update_many's compare-and-swaps, a few statements.

    NOTE: a server round trip per backup was most of a bulk reset's time
    on MariaDB and PostgreSQL. Here the items' rows are locked and read
    in one statement; each item is compared with its own row (a row
    that is gone or in another status is that item's BackupNotFound or
    BackupStatusConflict, as with one statement each, and the others go
    on), and the matching ones are swapped by one UPDATE per distinct
    (expected status, values), which still compares each row's status.
    Only where no reconciliation can change anything (no ``volumes``
    table, or ``"reconcile": false``): each backup's reconciliation must
    see the others as they were when its own swap ran, which one
    statement for many cannot give. The rows stay locked until the
    commit, so the UPDATE matches every row the read matched; if it does
    not, the batch fails (nothing committed) and the caller retries it
    item by item.

    :returns: the result per item, as backup_conditional_update_many;
        the history entries are appended to ``deferred`` for the caller
        to insert.
    """
    found = dict(conn.execute(
        _LOCK_ROWS, {'ids': [item['backup_id'] for item in items]}).all())
    now = timeutils.utcnow()
    results, groups = [], {}
    for item in items:
        backup_id, expected = item['backup_id'], item['expected_status']
        if backup_id not in found:
            results.append(exception.BackupNotFound(backup_id=backup_id))
        elif found[backup_id] != expected:
            results.append(exception.BackupStatusConflict(
                backup_id=backup_id, actual=found[backup_id],
                expected=expected))
        else:
            values = _swap_values(item['values'], now)
            groups.setdefault((expected, tuple(sorted(values.items()))),
                              []).append(backup_id)
            results.append(None)
    for (expected, values), ids in groups.items():
        swapped = conn.execute(
            _BACKUPS.update().where(
                _BACKUPS.c.id.in_(ids), _BACKUPS.c.status == expected,
                _BACKUPS.c.deleted == sa.false()).values(dict(values)))
        if swapped.rowcount != len(ids):
            raise RuntimeError('%d of %d locked backups changed during a '
                               'bulk reset' % (len(ids) - swapped.rowcount,
                                               len(ids)))
    return [_swapped(conn, context, item, deferred) if result is None
            else result for item, result in zip(items, results)]


def _swapped(conn, context, item, deferred):
    """The history of an item _swap_locked has swapped."""
    history = _reconciled(conn, item.get('history'), item.get('reconcile'))
    if history is None:
        return None
    entry = _history_entry(context, item['backup_id'], history)
    deferred.append(entry)
    return entry


def _reconciled(conn, history, reconcile):
    """``history`` with what ``reconcile(conn)`` changed, if anything."""
    if reconcile is not None:
        changes = reconcile(conn)
        if changes and history is not None:
            history = dict(history, evidence=dict(
                history.get('evidence') or {}, volumes=changes))
    return history


def _swap_values(values, now):
    """The row's new values for a reset: fail_reason cut, updated_at."""
    values = dict(values)
    if 'fail_reason' in values:
        values['fail_reason'] = _truncate(values['fail_reason'])
    values['updated_at'] = now
    return values


@contextlib.contextmanager
def _writer(context):
    """A write transaction on the engine facade's connection.

    The facade commits when the block ends (or joins the caller's
    transaction, if ``context`` is already in a writer block).
    """
    with sqlite.write_lock(get_engine()):
        with main_context_manager.writer.connection.using(context) as conn:
            yield conn


#: NOTE: SQLAlchemy Core, not the ORM: a reset is one UPDATE and one
#: INSERT, and the unit of work around them (identity map, flush,
#: refresh) cost more than both statements together.
#: The SET clause comes from the parameters' column keys.
_CAS = _BACKUPS.update().where(
    _BACKUPS.c.id == sa.bindparam('_backup_id'),
    _BACKUPS.c.status == sa.bindparam('_expected'),
    _BACKUPS.c.deleted == sa.false())
_STATUS_OF_LOCKED = sa.select(_BACKUPS.c.status).where(
    _BACKUPS.c.id == sa.bindparam('backup_id'),
    _BACKUPS.c.deleted == sa.false()).with_for_update(read=True)


def _conditional_update(conn, context, backup_id, expected_status, values,
                        history, reconcile=None, deferred=None):
    values = _swap_values(values, timeutils.utcnow())
    if (history is not None and reconcile is None and
            conn.dialect.name == 'postgresql'):
        return _cas_with_history(conn, context, backup_id, expected_status,
                                 values, history)
    params = dict(values, _backup_id=backup_id, _expected=expected_status)
    result = conn.execute(_CAS, params)
    # NOTE: rowcount is the number of *matched* rows on every backend:
    # SQLAlchemy's MySQL dialects set the FOUND_ROWS client flag, without
    # which MySQL counts only changed rows and a reset writing the values
    # the row already has would look like a conflict (tested on MySQL in
    # tests/functional/db/test_conditional_update.py).
    if result.rowcount != 1:
        _raise_conflict(conn, backup_id, expected_status)
    history = _reconciled(conn, history, reconcile)
    if history is None:
        return None
    entry = _history_entry(context, backup_id, history)
    if deferred is not None:
        # NOTE: the caller inserts it (and fills in its id) before the
        # transaction commits.
        deferred.append(entry)
        return entry
    result = conn.execute(_HISTORY.insert(), _history_params(entry))
    return _history_added(entry, result.inserted_primary_key[0])


def _raise_conflict(conn, backup_id, expected_status):
    """The compare-and-swap matched nothing: say why, from the database."""
    # NOTE: a locking read sees the latest committed status whatever
    # snapshot the transaction holds (InnoDB's REPEATABLE READ), so the
    # conflict names the status that won the race.
    row = conn.execute(_STATUS_OF_LOCKED, {'backup_id': backup_id}).first()
    if row is None:
        raise exception.BackupNotFound(backup_id=backup_id)
    raise exception.BackupStatusConflict(
        backup_id=backup_id, actual=row.status, expected=expected_status)


#: the history columns a reset writes, in the order the fused statement
#: selects them (backup_id comes from the UPDATE's RETURNING)
_HISTORY_COLUMNS = ('backup_id', 'user_id', 'project_id', 'request_id',
                    'from_status', 'to_status', 'reason', 'verified',
                    'evidence', 'created_at')
_FUSED = {}


def _fused_cas_statement(keys):
    """``WITH changed AS (UPDATE ... RETURNING id) INSERT ... FROM changed``.

    One statement per set of SET columns, built once: the compare-and-swap
    and its history row in one round trip (PostgreSQL only: MySQL has no
    data-modifying CTE). The INSERT's SELECT yields a row only if the
    UPDATE matched, so the history is written exactly when the status
    changed, as with two statements.
    """
    statement = _FUSED.get(keys)
    if statement is None:
        changed = (_BACKUPS.update()
                   .where(_BACKUPS.c.id == sa.bindparam('_backup_id'),
                          _BACKUPS.c.status == sa.bindparam('_expected'),
                          _BACKUPS.c.deleted == sa.false())
                   .values({key: sa.bindparam('_set_' + key,
                                              type_=_BACKUPS.c[key].type)
                            for key in keys})
                   .returning(_BACKUPS.c.id)
                   .cte('changed'))
        # NOTE: every parameter name starts with an underscore: SQLAlchemy
        # adds a SET clause for each parameter named like a column of
        # backups (user_id, project_id, created_at...), CTE or not.
        select = sa.select(changed.c.id, *[
            sa.bindparam('_h_' + name, type_=_HISTORY.c[name].type)
            for name in _HISTORY_COLUMNS[1:]])
        statement = (_HISTORY.insert()
                     .from_select(list(_HISTORY_COLUMNS), select)
                     .returning(_HISTORY.c.id))
        _FUSED[keys] = statement
    return statement


def _cas_with_history(conn, context, backup_id, expected_status, values,
                      history):
    # NOTE: a round trip to the server cost 0.16-0.19 ms here (as much as
    # a quarter of the SQL alternative's whole transaction); the two
    # statements in one save one.
    statement = _fused_cas_statement(tuple(sorted(values)))
    entry = _history_entry(context, backup_id, history)
    params = {'_h_' + key: value
              for key, value in _history_params(entry).items()}
    params.update({'_set_' + key: value for key, value in values.items()})
    params.update(_backup_id=backup_id, _expected=expected_status)
    row = conn.execute(statement, params).first()
    if row is None:
        _raise_conflict(conn, backup_id, expected_status)
    return _history_added(entry, row[0])


def _history_entry(context, backup_id, history):
    return {
        'backup_id': backup_id,
        'user_id': context.user_id,
        'project_id': context.project_id,
        'request_id': context.request_id,
        'from_status': history['from_status'],
        'to_status': history['to_status'],
        'reason': _truncate(history.get('reason')),
        'verified': history.get('verified', 'skipped'),
        'evidence': history.get('evidence') or {},
        'created_at': timeutils.utcnow(),
    }


def _history_params(entry):
    return dict(entry, evidence=jsonutils.dumps(entry['evidence'],
                                                sort_keys=True))


def _history_added(entry, history_id):
    entry['id'] = history_id
    entry['created_at'] = utils.isotime(entry['created_at'])
    return entry


@_translate_connection_errors
@main_context_manager.reader
def status_history_get(context, backup_id, limit=None):
    """Return the backup's status history, newest first."""
    hist = models.BackupStatusHistory
    query = context.session.query(hist).filter(
        hist.backup_id == backup_id).order_by(hist.created_at.desc(),
                                              hist.id.desc())
    if limit:
        query = query.limit(limit)
    return query.all()


_VERIFICATIONS = models.BackupVerification.__table__
#: statuses of a verification job that has not ended
VERIFICATION_PENDING = ('queued', 'running')


@_translate_connection_errors
def verification_create(context, values):
    """Insert a verification job; returns the row written (attributes).

    ``values`` has backup_id, level, status and runner; the id, the
    caller's identity, bytes_done (0) and created_at are filled in.
    """
    now = timeutils.utcnow()
    row = {'id': uuidutils.generate_uuid(), 'user_id': context.user_id,
           'project_id': context.project_id,
           'request_id': context.request_id, 'bytes_done': 0,
           'bytes_total': None, 'reason': None, 'evidence': None,
           'created_at': now, 'updated_at': now}
    row.update(values)
    if isinstance(row.get('evidence'), dict):
        row['evidence'] = jsonutils.dumps(row['evidence'], sort_keys=True)
    with sqlite.write_lock(get_engine()):
        with main_context_manager.writer.connection.using(context) as conn:
            conn.execute(_VERIFICATIONS.insert(), row)
    return _Plain(row)


class _Plain:
    """Attribute access to a dict (a row we wrote ourselves)."""

    def __init__(self, values):
        self.__dict__.update(values)


@_translate_connection_errors
def verification_update(context, verification_id, values,
                        expected_status=None):
    """Update a job's row; with ``expected_status`` only if still in it.

    ``values`` may have status, bytes_done, bytes_total, reason and
    evidence (a dict). ``expected_status`` is a status or a tuple of them.

    :returns: whether a row was updated.
    """
    values = dict(values, updated_at=timeutils.utcnow())
    if isinstance(values.get('evidence'), dict):
        values['evidence'] = jsonutils.dumps(values['evidence'],
                                             sort_keys=True)
    statement = _VERIFICATIONS.update().where(
        _VERIFICATIONS.c.id == verification_id)
    if expected_status is not None:
        if isinstance(expected_status, str):
            expected_status = (expected_status,)
        statement = statement.where(
            _VERIFICATIONS.c.status.in_(expected_status))
    with sqlite.write_lock(get_engine()):
        with main_context_manager.writer.connection.using(context) as conn:
            return conn.execute(statement.values(**values)).rowcount == 1


def _abandon_statement(runner, reason):
    return _VERIFICATIONS.update().where(
        _VERIFICATIONS.c.runner == runner,
        _VERIFICATIONS.c.status.in_(VERIFICATION_PENDING)).values(
            status='unavailable', reason=reason,
            updated_at=timeutils.utcnow())


@_translate_connection_errors
def verification_abandon(context, runner, reason):
    """Mark the unfinished jobs of ``runner`` as ``unavailable``.

    For a process that starts: jobs its previous run left queued or
    running can no longer end.

    :returns: the number of jobs marked.
    """
    with sqlite.write_lock(get_engine()):
        with main_context_manager.writer.connection.using(context) as conn:
            return conn.execute(_abandon_statement(runner, reason)).rowcount


def verification_abandon_once(connection, runner, reason, parameters=None):
    """verification_abandon through an engine of its own, then disposed.

    NOTE: for the API's start-up, which must neither start the engine
    facade before gunicorn forks (its engine then lives on in every
    worker, and a database that goes away later is no longer recognised
    as gone) nor need the database to be up. It gets the same driver
    timeouts as the facade's engine, so a hung server cannot hold the
    start-up either.

    :param connection: a database URL (``[database] connection``).
    :param parameters: ``[database] connection_parameters``, or None.
    :returns: the number of jobs marked.
    :raises sqlalchemy.exc.SQLAlchemyError: the database failed.
    """
    url = sa.engine.make_url(connection)
    query = conf_database.connection_parameters(connection, parameters)
    if query:
        url = url.update_query_string(query, append=True)
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(_abandon_statement(runner, reason)).rowcount
    finally:
        engine.dispose()


@_translate_connection_errors
@main_context_manager.reader.connection
def verification_get(context, backup_id, verification_id):
    """One job of a backup.

    :raises VerificationNotFound: no such job of this backup.
    """
    row = context.connection.execute(sa.select(_VERIFICATIONS).where(
        _VERIFICATIONS.c.id == verification_id,
        _VERIFICATIONS.c.backup_id == backup_id)).first()
    if row is None:
        raise exception.VerificationNotFound(
            verification_id=verification_id, backup_id=backup_id)
    return row


@_translate_connection_errors
@main_context_manager.reader.connection
def verification_get_all(context, backup_id, limit=None):
    """The jobs of a backup, newest first."""
    statement = sa.select(_VERIFICATIONS).where(
        _VERIFICATIONS.c.backup_id == backup_id).order_by(
            _VERIFICATIONS.c.created_at.desc(), _VERIFICATIONS.c.id.desc())
    if limit:
        statement = statement.limit(limit)
    return context.connection.execute(statement).all()
