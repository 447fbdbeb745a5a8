"""``backup ...`` commands of cinder-backup-reset-manage.

``create`` and ``restore`` write and read posix backups the way Cinder's
backup service does, with compare-and-swap status changes, so that the
reset API has real backups (and real races) to work on; ``verify`` runs
the driver's shallow or deep verification; ``list`` shows the rows.
"""

import datetime
import logging
import math
import os
import socket
import sys
import time

from oslo_config import cfg
from oslo_utils import uuidutils

from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup.chunked import restore as chunked_restore
from cinder_backup_reset.backup.drivers import posix
from cinder_backup_reset.backup import posix_writer
from cinder_backup_reset import context as ctx_mod
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset.objects import fields
from cinder_backup_reset import service

CONF = cfg.CONF
_BS = fields.BackupStatus
GiB = 1024 ** 3


class Progress:
    """A one-line progress bar on a terminal; silent otherwise."""

    def __init__(self, label, stream=None):
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._last = 0.0

    def __call__(self, done, total):
        if not self.enabled:
            return
        now = time.monotonic()
        # NOTE: redraw at most 10 times a second; callers report often.
        if now - self._last < 0.1 and done != total:
            return
        self._last = now
        if total:
            share = min(1.0, done / total)
            bar = '#' * int(share * 30)
            self.stream.write('\r%s [%-30s] %5.1f%% %d/%d MiB'
                              % (self.label, bar, share * 100,
                                 done // 1048576, total // 1048576))
        else:
            self.stream.write('\r%s %d MiB' % (self.label, done // 1048576))
        self.stream.flush()

    def close(self):
        if self.enabled:
            self.stream.write('\n')
            self.stream.flush()


def _setup():
    # NOTE: the embedded SQLite schema is checked on every command; its
    # "already at head" chatter would drown the command's own output.
    logging.getLogger('alembic').setLevel(logging.WARNING)
    service.init_database(CONF)
    return ctx_mod.get_admin_context(), posix.PosixBackupDriver(CONF)


class Heartbeat:
    """Shows progress and bumps the row's ``updated_at`` while a job runs.

    ``[DEFAULT] backup_progress_interval`` seconds at most between two
    bumps (each a conditional UPDATE on the status, db_api.backup_touch),
    so the stuck report never takes a running job for a stuck one. Call
    it as the writer's ``progress(done, total)``; ``should_continue()``
    answers whether the row still has ``status``.
    """

    def __init__(self, ctx, backup_id, status, progress=None, conf=CONF):
        self.ctx = ctx
        self.backup_id = backup_id
        self.status = status
        self.progress = progress
        self.interval = conf.backup_progress_interval
        self.last = time.monotonic()

    def _due(self):
        return time.monotonic() - self.last >= self.interval

    def _bump(self):
        self.last = time.monotonic()
        return db_api.backup_touch(self.ctx, self.backup_id, self.status)

    def __call__(self, done, total):
        if self.progress is not None:
            self.progress(done, total)
        if self._due():
            # NOTE: a lost row is seen by should_continue before the next
            # object; here only the heartbeat matters.
            self._bump()

    def should_continue(self):
        if self._due():
            return self._bump()
        return db_api.backup_get(self.ctx, self.backup_id).status == \
            self.status


def _error(message):
    print(message, file=sys.stderr)
    return 1


def create(args):
    """Back up a file into a new backup row; 0 when it became available."""
    try:
        posix_writer.check_sizes(CONF.backup_file_size,
                                 CONF.backup_sha_block_size_bytes)
    except exception.InvalidBackup as exc:
        return _error(str(exc))
    ctx, drv = _setup()
    size_bytes = os.path.getsize(args.volume_file)
    backup_id = uuidutils.generate_uuid()
    volume_id = args.volume_id or uuidutils.generate_uuid()
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    prefix = fmt.object_prefix(volume_id, backup_id, now)
    container = fmt.default_container(backup_id)
    backup = db_api.backup_create(ctx, {
        'id': backup_id, 'volume_id': volume_id,
        'project_id': args.project_id, 'user_id': ctx.user_id,
        'host': socket.gethostname(), 'display_name': args.backup_name,
        'status': _BS.CREATING, 'service': drv.name,
        'service_metadata': prefix, 'container': container,
        'size': math.ceil(size_bytes / GiB), 'object_count': 0,
        'created_at': now.replace(tzinfo=None),
        'updated_at': now.replace(tzinfo=None),
        'data_timestamp': now.replace(tzinfo=None)})
    print('Backup %s: writing %d bytes to %s'
          % (backup_id, size_bytes, drv.container_path(backup)), flush=True)
    bar = Progress(_BS.CREATING)
    heartbeat = Heartbeat(ctx, backup_id, _BS.CREATING, bar)
    try:
        os.makedirs(drv.root, exist_ok=True)
        spec = posix_writer.BackupSpec(
            backup_id=backup_id, volume_id=volume_id, prefix=prefix,
            container_path=posix_writer.make_container(drv.root, container),
            name=args.backup_name, description=None, created_at=now)
        with open(args.volume_file, 'rb') as source:
            result = posix_writer.write_backup(
                source, spec, CONF.backup_file_size,
                CONF.backup_sha_block_size_bytes,
                CONF.backup_compression_algorithm, total=size_bytes,
                progress=heartbeat,
                should_continue=heartbeat.should_continue)
    except posix_writer.WriteCancelled:
        bar.close()
        return _error('Backup %s is no longer "creating" (status %s; an '
                      'administrator reset it?): stopped writing and '
                      'removed the objects written so far.'
                      % (backup_id, db_api.backup_get(ctx, backup_id).status))
    except (OSError, exception.InvalidBackup) as exc:
        bar.close()
        _finish(ctx, backup_id, _BS.ERROR, {'fail_reason': str(exc)})
        return _error('Backup %s failed: %s' % (backup_id, exc))
    bar.close()
    if getattr(args, 'simulate_crash', False):
        # NOTE: what a backup service that died right before its last
        # database write leaves: every object and the metadata on disk,
        # the row still "creating". For trying (and testing) the reset.
        print('Backup %s: all %d objects written; exiting without marking '
              'it available (--simulate-crash): it stays "creating".'
              % (backup_id, result.object_count))
        return 0
    return _finish(ctx, backup_id, _BS.AVAILABLE, {
        'object_count': result.object_count,
        'size': math.ceil(result.size_bytes / GiB)}, result=result)


def _finish(ctx, backup_id, status, values, result=None):
    values = dict(values, status=status)
    try:
        db_api.backup_conditional_update(ctx, backup_id, _BS.CREATING,
                                         values)
    except exception.BackupStatusConflict as exc:
        # NOTE: someone (an admin reset) changed the status while we
        # wrote; their decision stands, ours is dropped.
        return _error('Backup %s: not marked %s: %s' % (backup_id, status,
                                                        exc))
    if result is not None:
        print('Backup %s is available: %d objects, %d bytes (%d stored).'
              % (backup_id, result.object_count, result.size_bytes,
                 result.stored_bytes))
        return 0
    return 1


def restore(args):
    """Restore a backup into a file (available -> restoring -> available).

    An incremental backup is restored with its chain, as Cinder does. What
    can be checked before the first byte (the driver, the chain of parents,
    where the files are) is checked before the status changes: a backup
    that cannot be restored is refused and left exactly as it was.
    """
    ctx, drv = _setup()
    try:
        backup = db_api.backup_get(ctx, args.backup)
        if backup.status != _BS.AVAILABLE:
            return _error('Cannot restore: backup %s is %s, not available.'
                          % (backup.id, backup.status))
    except exception.BackupNotFound as exc:
        return _error('Cannot restore: %s' % exc)
    if not drv.owns(backup.service):
        return _error('Backup %s was written by %s, not a posix/NFS backup.'
                      % (backup.id, backup.service))
    try:
        base_layers = [(fmt.container_name(parent), parent.service_metadata)
                       for parent, _ev, _e, _i
                       in reversed(drv.chain(ctx, backup))]
        store = drv.store_for(backup)
    except (exception.BackupVerifyFailed,
            exception.BackupBackendUnavailable) as exc:
        return _error('Cannot restore backup %s (its status is unchanged): '
                      '%s' % (backup.id, getattr(exc, 'reason', exc)))
    try:
        db_api.backup_conditional_update(ctx, backup.id, _BS.AVAILABLE,
                                         {'status': _BS.RESTORING})
    except exception.BackupStatusConflict as exc:
        return _error('Cannot restore: %s' % exc)
    bar = Progress(_BS.RESTORING)
    heartbeat = Heartbeat(ctx, backup.id, _BS.RESTORING, bar)
    outcome, values = _BS.AVAILABLE, {}
    try:
        fd = os.open(args.volume_file, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            done = chunked_restore.restore_backup(
                store, fmt.container_name(backup), backup.service_metadata,
                backup.id, fd,
                progress=heartbeat, base_layers=base_layers,
                should_continue=heartbeat.should_continue)
        finally:
            os.close(fd)
    except chunked_restore.RestoreCancelled:
        bar.close()
        return _restore_cancelled(ctx, backup.id)
    except exception.BackupVerifyFailed as exc:
        bar.close()
        outcome, values = _BS.ERROR, {'fail_reason': exc.reason}
        message = 'Restore of %s failed: %s' % (backup.id, exc.reason)
    except OSError as exc:
        bar.close()
        message = 'Restore of %s failed: %s' % (backup.id, exc)
    else:
        bar.close()
        message = None
    try:
        db_api.backup_conditional_update(ctx, backup.id, _BS.RESTORING,
                                         dict(values, status=outcome))
    except exception.BackupStatusConflict as exc:
        return _error('Backup %s: %s' % (backup.id, exc))
    if message:
        return _error(message)
    print('Restored %d bytes of backup %s to %s.'
          % (done, backup.id, args.volume_file))
    return 0


def _restore_cancelled(ctx, backup_id):
    """Return a backup whose restore was cancelled to ``available``.

    NOTE: Cinder's behaviour (BackupManager.restore_backup on
    BackupRestoreCancel): the backup's data was never in question, so it
    ends ``available`` whatever status cancelled the restore; the history
    row keeps the status and fail_reason the reset had set.
    """
    current = db_api.backup_get(ctx, backup_id)
    if current.status != _BS.AVAILABLE:
        try:
            db_api.backup_conditional_update(
                ctx, backup_id, current.status,
                {'status': _BS.AVAILABLE, 'fail_reason': None},
                history={'from_status': current.status,
                         'to_status': _BS.AVAILABLE,
                         'reason': 'restore cancelled; the backup is '
                                   'available again, as Cinder does',
                         'evidence': {
                             'previous_fail_reason': current.fail_reason}})
        except exception.BackupStatusConflict as exc:
            return _error('Restore of %s cancelled; %s' % (backup_id, exc))
    return _error('Restore of %s cancelled (the backup was reset to %s '
                  'while restoring); the backup is available again. The '
                  'restored file is incomplete.'
                  % (backup_id, current.status))


def verify(args):
    """Verify a backup; non-zero exit and the reason on damage."""
    ctx, drv = _setup()
    try:
        backup = db_api.backup_get(ctx, args.backup)
    except exception.BackupNotFound as exc:
        return _error(str(exc))
    if not drv.owns(backup.service):
        return _error('Backup %s was written by %r; only posix/NFS backups '
                      'can be verified here.' % (backup.id, backup.service))
    bar = Progress('verifying')
    try:
        result = drv.verify(ctx, backup, deep=args.deep, progress=bar)
    except exception.BackupVerifyFailed as exc:
        bar.close()
        return _error('Backup %s is damaged: %s' % (backup.id, exc.reason))
    except exception.BackupBackendUnavailable as exc:
        bar.close()
        return _error(str(exc))
    bar.close()
    ev = result.evidence
    print('Backup %s verified (%s): %d objects, %d bytes of data, %d '
          'bytes stored.' % (backup.id, result.level, ev['object_count'],
                             ev['data_bytes'], ev['stored_bytes']))
    if result.level == 'deep':
        print('Read and hashed %d blocks in %.1f s (%s MiB/s).'
              % (ev['blocks_verified'], ev['seconds'],
                 ev['mib_per_second']))
    return 0


def list_backups(args):
    """Print backups (all projects), optionally of one status."""
    ctx, _drv = _setup()
    filters = {'status': args.status} if args.status else None
    rows = db_api.backup_get_all(ctx, filters=filters, all_projects=True)
    print('%-36s  %-10s  %5s  %7s  %s' % ('ID', 'Status', 'GiB', 'Objects',
                                          'Name'))
    for row in rows:
        print('%-36s  %-10s  %5s  %7s  %s'
              % (row.id, row.status, row.size, row.object_count,
                 row.display_name or ''))
    return 0


def add_parsers(subparsers):
    """Register the ``backup`` command group."""
    parser = subparsers.add_parser('backup', help='Posix backups.')
    actions = parser.add_subparsers(dest='action', metavar='<action>')
    actions.required = True

    sub = actions.add_parser('create', help='Back up a file (a volume '
                                            'image) as a posix backup.')
    sub.add_argument('--volume-file', required=True)
    sub.add_argument('--project-id', required=True)
    sub.add_argument('--volume-id')
    # NOTE: oslo.config keeps the command group's name in ``name``.
    sub.add_argument('--name', dest='backup_name')
    sub.add_argument(
        '--simulate-crash', action='store_true',
        help='Write the whole backup, then exit without marking it '
             'available, as a backup service that crashed before its last '
             'database write would: the backup stays "creating" (for '
             'trying the reset).')
    sub.set_defaults(func=create)

    sub = actions.add_parser('restore', help='Restore a backup to a file.')
    sub.add_argument('backup')
    sub.add_argument('--volume-file', required=True)
    sub.set_defaults(func=restore)

    sub = actions.add_parser('verify', help='Verify a backup (shallow: '
                                            'metadata; --deep: every byte).')
    sub.add_argument('--deep', action='store_true')
    sub.add_argument('backup')
    sub.set_defaults(func=verify)

    sub = actions.add_parser('list', help='List backups.')
    sub.add_argument('--status')
    sub.set_defaults(func=list_backups)


if __name__ == '__main__':
    # NOTE: lets tests run the command without an installed console script.
    from cinder_backup_reset.cmd import manage
    sys.exit(manage.main())
