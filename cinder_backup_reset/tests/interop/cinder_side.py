"""Real Cinder's side of the interop tests, run in its own process.

``python -m cinder_backup_reset.tests.interop.cinder_side --config-file
cinder.conf COMMAND`` reads a JSON request on stdin and prints a JSON answer
on stdout. It imports the ``cinder`` package from PyPI and uses Cinder's
own objects and backup drivers, as cinder-backup does:

- ``backup``: for each entry ``{"name", "driver": "posix"|"nfs",
  "compression", "volume_file", "parent": <name of an earlier entry> or
  null, "finish": true|false}``, create a volume (or reuse the parent's)
  and a backup row with Cinder's objects, and write the backup with
  Cinder's PosixBackupDriver or NFSBackupDriver. ``finish`` marks it
  ``available`` as cinder-backup's manager does at the end (or the
  entry's ``status``: ``restoring`` for a backup whose restore never
  ended); without it the backup stays ``creating``: its data is all
  written but the status never changed, as when cinder-backup dies or
  loses the database at that point.
  Answers ``{name: {"id", "volume_id", "container", "service",
  "service_metadata"}}``.
- ``restore``: for each entry ``{"backup_id", "volume_file", "driver"}``,
  Cinder's own restore of the backup (and its chain) into the file, with
  the backup in ``restoring`` meanwhile, as Cinder's manager sets it;
  ``/dev/null`` discards the data (tools/bench_verify_vs_cinder.py);
- ``incident``: what an outage leaves (see ``incident``);
- ``stuck``: backup rows left in a status, without data (see ``stuck``).

Nothing of this is imported by the service or by the test process.
"""

import contextlib
import io
import json
import sys

from oslo_config import cfg

CONF = cfg.CONF


def _setup(argv):
    # NOTE: Cinder's own start-up order: its options, the objects, the
    # configuration files, its notifier (the drivers report progress),
    # then the coordinator its NFS driver locks with.
    from cinder.common import config  # noqa: F401
    from cinder import coordination
    from cinder import objects
    from cinder import rpc
    objects.register_all()
    CONF(argv, project='cinder')
    rpc.init(CONF)
    coordination.COORDINATOR.start()


def _driver(ctx, kind, compression):
    from cinder.backup.drivers import nfs
    from cinder.backup.drivers import posix
    CONF.set_override('backup_compression_algorithm', compression)
    cls = nfs.NFSBackupDriver if kind == 'nfs' else posix.PosixBackupDriver
    return cls(ctx), '%s.%s' % (cls.__module__, cls.__name__)


def _volume(ctx, size):
    from cinder import objects
    from cinder.volume import volume_types
    volume_type = volume_types.get_default_volume_type(ctx)
    volume = objects.Volume(
        context=ctx, size=size, status='backing-up', attach_status='detached',
        project_id=ctx.project_id, user_id=ctx.user_id,
        availability_zone='nova', host='cinder-volume@lvm#lvm',
        display_name='interop', volume_type_id=volume_type['id'],
        previous_status='available')
    volume.create()
    return volume


def backup(request):
    from cinder import context
    from cinder import objects
    ctx = context.RequestContext('interop-user', 'interop-project',
                                 is_admin=True)
    made = {}
    for entry in request:
        parent = made.get(entry.get('parent'))
        volume_id = (parent['volume_id'] if parent else
                     _volume(ctx, 1).id)
        drv, service = _driver(ctx, entry['driver'], entry['compression'])
        row = objects.Backup(
            context=ctx, volume_id=volume_id, user_id=ctx.user_id,
            project_id=ctx.project_id, status='creating',
            display_name=entry['name'], display_description=None,
            container=None, parent_id=parent['id'] if parent else None,
            size=1, host='backup-host', availability_zone='nova',
            service=service)
        row.create()
        if parent:
            # NOTE: as Cinder's API records a new incremental.
            parent_row = objects.Backup.get_by_id(ctx, parent['id'])
            parent_row.num_dependent_backups += 1
            parent_row.save()
        with open(entry['volume_file'], 'rb') as volume_file:
            drv.backup(row, volume_file)
        row.refresh()
        if entry.get('finish', True):
            row.status = entry.get('status', 'available')
            row.save()
        made[entry['name']] = {
            'id': row.id, 'volume_id': row.volume_id,
            'container': row.container, 'service': row.service,
            'service_metadata': row.service_metadata,
            'object_count': row.object_count}
    return made


class _Discard(io.RawIOBase):
    """A seekable sink that drops what is written: /dev/null for Cinder.

    NOTE: Cinder's restore fsyncs the volume file after every object, and
    /dev/null cannot be fsynced (EINVAL). Cinder skips the fsync for a
    file without fileno(), which RawIOBase does not have.
    """

    def __init__(self):
        super().__init__()
        self.position = 0

    def writable(self):
        return True

    def seekable(self):
        return True

    def write(self, data):
        self.position += len(data)
        return len(data)

    def seek(self, offset, whence=io.SEEK_SET):
        self.position = offset if whence == io.SEEK_SET else (
            self.position + offset)
        return self.position

    def tell(self):
        return self.position


def _volume_file(path):
    if path == '/dev/null':
        return contextlib.nullcontext(_Discard())
    return open(path, 'r+b')


def restore(request):
    from cinder import context
    from cinder import objects
    ctx = context.get_admin_context()
    done = []
    for entry in request:
        row = objects.Backup.get_by_id(ctx, entry['backup_id'])
        drv, _service = _driver(ctx, entry['driver'], 'zlib')
        before = row.status
        row.status = 'restoring'
        row.save()
        try:
            with _volume_file(entry['volume_file']) as volume_file:
                drv.restore(row, row.volume_id, volume_file, True)
        finally:
            row.status = before
            row.save()
        done.append(entry['backup_id'])
    return {'restored': done}


def _bare_volume(ctx, status, previous_status=None,
                 attach_status='detached'):
    from cinder import objects
    from cinder.volume import volume_types
    volume_type = volume_types.get_default_volume_type(ctx)
    volume = objects.Volume(
        context=ctx, size=1, status=status, attach_status=attach_status,
        project_id=ctx.project_id, user_id=ctx.user_id,
        availability_zone='nova', host='cinder-volume@lvm#lvm',
        display_name='incident', volume_type_id=volume_type['id'],
        previous_status=previous_status)
    volume.create()
    return volume


def _backup_row(ctx, volume_id, status, host, **extra):
    from cinder import objects
    row = objects.Backup(
        context=ctx, volume_id=volume_id, user_id=ctx.user_id,
        project_id=ctx.project_id, status=status, display_name='incident',
        size=1, host=host, availability_zone='nova',
        service='cinder.backup.drivers.posix.PosixBackupDriver', **extra)
    row.create()
    return row.id


def incident(request):
    """What an outage leaves, made with Cinder's objects.

    ``request``: ``{"host": <backup host>}``. A ``cinder-backup`` service
    on the host (the test ages its heartbeat); an attached volume
    (in-use, with an attached VolumeAttachment) backed up with
    ``--force`` as Cinder's API does it (volume ``backing-up``,
    ``previous_status`` ``in-use``); a detached volume
    with two backups ``creating``; a snapshot being backed up (snapshot
    ``backing-up``); a restore target ``restoring-backup`` of a backup
    ``restoring``. Answers the ids.
    """
    from cinder import context
    from cinder import objects
    ctx = context.RequestContext('interop-user', 'interop-project',
                                 is_admin=True)
    host = request['host']
    service = objects.Service(
        context=ctx, host=host, binary='cinder-backup',
        topic='cinder-backup', report_count=1, disabled=False,
        availability_zone='nova')
    service.create()

    attached = _bare_volume(ctx, 'in-use', attach_status='attached')
    attachment = objects.VolumeAttachment(
        context=ctx, volume_id=attached.id, attach_status='attached',
        instance_uuid='8f4ad1a2-0d6e-4bd4-8d2f-6a7c4e3b1f00',
        attached_host='compute-1', mountpoint='/dev/vdb',
        attach_mode='rw')
    attachment.create()
    # NOTE: Cinder's backup API with force=True on an in-use volume.
    attached.refresh()
    attached.previous_status = attached.status
    attached.status = 'backing-up'
    attached.save()
    forced = _backup_row(ctx, attached.id, 'creating', host)

    twice = _bare_volume(ctx, 'backing-up', previous_status='available')
    first = _backup_row(ctx, twice.id, 'creating', host)
    second = _backup_row(ctx, twice.id, 'creating', host)

    source = _bare_volume(ctx, 'available')
    snapshot = objects.Snapshot(
        context=ctx, volume_id=source.id, status='backing-up',
        project_id=ctx.project_id, user_id=ctx.user_id, volume_size=1,
        volume_type_id=source.volume_type_id, display_name='incident')
    snapshot.create()
    of_snapshot = _backup_row(ctx, source.id, 'creating', host,
                              snapshot_id=snapshot.id)

    target = _bare_volume(ctx, 'restoring-backup')
    restoring = _backup_row(ctx, source.id, 'restoring', host,
                            restore_volume_id=target.id)
    return {'service_id': service.id,
            'attached_volume': attached.id, 'forced_backup': forced,
            'twice_volume': twice.id, 'first_backup': first,
            'second_backup': second, 'source_volume': source.id,
            'snapshot': snapshot.id, 'snapshot_backup': of_snapshot,
            'target_volume': target.id, 'restoring_backup': restoring}


def stuck(request):
    """Backups left in some statuses, made with Cinder's objects, no data.

    ``request``: ``{"counts": {<status>: N, ...}, "host": <backup host>,
    "project_id": <id>}``. One volume, ``available``, with N backups in
    each status on ``host``, of the project (tools/bench_reset.py
    --vs-cinder; Cinder's API routes only hexadecimal project ids by
    default). Answers ``{<status>: [backup id, ...]}``.
    """
    from cinder import context
    ctx = context.RequestContext('interop-user', request['project_id'],
                                 is_admin=True)
    volume = _bare_volume(ctx, 'available')
    return {status: [_backup_row(ctx, volume.id, status, request['host'])
                     for _ in range(count)]
            for status, count in request['counts'].items()}


COMMANDS = {'backup': backup, 'restore': restore, 'incident': incident,
            'stuck': stuck}


def main(argv):
    command = argv.pop()
    _setup(argv)
    answer = COMMANDS[command](json.load(sys.stdin))
    json.dump(answer, sys.stdout)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
