"""Verification jobs: run in the background, persisted, never a verdict
on the backup's status.

A job is ``queued`` when accepted, ``running`` once a worker takes it,
and ends ``passed``, ``failed`` (the backend was read and the backup is
not whole) or ``unavailable`` (the backend could not be read, or the
process running it stopped). Progress is written at most once per
PROGRESS_INTERVAL seconds, so a deep job of a large backup costs a few
writes a second, not one per block.
"""

import concurrent.futures
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging
from oslo_serialization import jsonutils

from cinder_backup_reset.db import api as db_api
from cinder_backup_reset import exception
from cinder_backup_reset import utils

LOG = logging.getLogger(__name__)

QUEUED, RUNNING = 'queued', 'running'
PASSED, FAILED, UNAVAILABLE = 'passed', 'failed', 'unavailable'
LEVELS = ('shallow', 'deep')
#: seconds between two progress writes of a running job
PROGRESS_INTERVAL = 1.0


def as_dict(row):
    """A verification job as the agent answers it and the API shows it.

    NOTE: here, not in api/views: the agent (no API code) sends this
    shape over RPC, and the API passes it on unchanged.

    Keys: id, backup_id, level, status, progress ({bytes_done,
    bytes_total}, bytes), reason, evidence (a dict), runner, created_at,
    updated_at (ISO 8601).
    """
    evidence = row.evidence
    if isinstance(evidence, str):
        evidence = jsonutils.loads(evidence)
    return {
        'id': row.id,
        'backup_id': row.backup_id,
        'level': row.level,
        'status': row.status,
        'progress': {'bytes_done': row.bytes_done or 0,
                     'bytes_total': row.bytes_total},
        'reason': row.reason,
        'evidence': evidence or {},
        'runner': row.runner,
        'created_at': utils.isotime(row.created_at),
        'updated_at': utils.isotime(row.updated_at),
    }


class Interrupted(Exception):
    """The process running the job is stopping."""


class JobRunner:
    """Runs verification jobs with ``driver`` on a bounded thread pool.

    ``host`` (default ``[DEFAULT] host``) is recorded as each job's
    runner; ``recover()`` marks the jobs a previous run of this host left
    unfinished.
    """

    def __init__(self, conf=cfg.CONF, driver=None, host=None,
                 clock=time.monotonic):
        self.conf = conf
        self._driver = driver
        self.host = host or conf.host
        self.clock = clock
        self._workers = None
        self._lock = threading.Lock()
        self.stopping = threading.Event()
        self._pending = {}

    @property
    def driver(self):
        if self._driver is None:
            from cinder_backup_reset.backup import driver as backup_driver
            self._driver = backup_driver.load_driver(self.conf)
        return self._driver

    def _executor(self):
        # NOTE: made on first use, in the process that serves (never
        # before a fork).
        with self._lock:
            if self._workers is None:
                self._workers = concurrent.futures.ThreadPoolExecutor(
                    max_workers=self.conf.verify_job_workers,
                    thread_name_prefix='verify-job')
            return self._workers

    def recover(self, context=None, connection=None, parameters=None):
        """Mark jobs this host left ``queued``/``running`` as unavailable.

        Called when the process starts: their runner is gone, they will
        never end otherwise. Through the DB API with ``context``, or
        through an engine of its own on ``connection`` (a database URL,
        with ``parameters``: ``[database] connection_parameters``).

        :returns: how many jobs were marked.
        """
        reason = ('interrupted: the process running it on host %s stopped '
                  'before it ended; start a new verification' % self.host)
        if connection is not None:
            count = db_api.verification_abandon_once(
                connection, self.host, reason, parameters=parameters)
        else:
            count = db_api.verification_abandon(context, self.host, reason)
        if count:
            LOG.warning('Marked %d unfinished verification job(s) of host '
                        '%s as unavailable.', count, self.host)
        return count

    def start(self, context, backup, level):
        """Accept a job for ``backup`` (a row the caller authorized).

        :returns: the job dict (status ``queued``).
        :raises InvalidParameterValue: unknown level.
        :raises BackupNothingToVerify, BackupDriverMismatch: the backup
            cannot be verified by this driver.
        :raises ServiceUnavailable: the runner is stopping.
        """
        if level not in LEVELS:
            raise exception.InvalidParameterValue(
                err='level must be one of %s' % ', '.join(LEVELS))
        self.driver.check_verifiable(backup)
        if self.stopping.is_set():
            raise exception.ServiceUnavailable(
                reason='this service is stopping')
        job = as_dict(db_api.verification_create(context, {
            'backup_id': backup.id, 'level': level, 'status': QUEUED,
            'runner': self.host}))
        future = self._executor().submit(self._run, context, backup, job)
        with self._lock:
            self._pending[job['id']] = future
        future.add_done_callback(
            lambda _f, jid=job['id']: self._forget(jid))
        return job

    def _forget(self, job_id):
        with self._lock:
            self._pending.pop(job_id, None)

    def _run(self, context, backup, job):
        job_id = job['id']
        if self.stopping.is_set():
            self._end(context, job_id, UNAVAILABLE, QUEUED,
                      reason='interrupted: the service stopped before the '
                             'job started')
            return
        if not db_api.verification_update(context, job_id,
                                          {'status': RUNNING}, QUEUED):
            return
        progress = _Progress(context, job_id, self.clock, self.stopping)
        deep = job['level'] == 'deep'
        try:
            result = self.driver.verify(context, backup, deep=deep,
                                        progress=progress)
        except exception.BackupVerifyFailed as exc:
            self._end(context, job_id, FAILED, reason=exc.reason,
                      evidence=exc.evidence, progress=progress)
        except exception.BackupBackendUnavailable as exc:
            self._end(context, job_id, UNAVAILABLE, reason=exc.msg,
                      progress=progress)
        except Interrupted:
            self._end(context, job_id, UNAVAILABLE, progress=progress,
                      reason='interrupted: the service running it on host '
                             '%s stopped' % self.host)
        except Exception as exc:
            # NOTE: as for resets (manager.py): a driver that cannot
            # finish has not shown that the data is there.
            LOG.exception('Verification job %s of backup %s could not '
                          'complete.', job_id, backup.id)
            self._end(context, job_id, FAILED, progress=progress,
                      reason='verification could not complete: %s: %s'
                             % (type(exc).__name__, exc))
        else:
            evidence = dict(result.evidence or {}, level=result.level)
            self._end(context, job_id, PASSED, evidence=evidence,
                      progress=progress)

    def _end(self, context, job_id, status, expected=RUNNING, reason=None,
             evidence=None, progress=None):
        values = {'status': status, 'reason': reason,
                  'evidence': evidence or {}}
        if progress is not None and progress.total is not None:
            values.update(bytes_done=progress.done,
                          bytes_total=progress.total)
        try:
            db_api.verification_update(context, job_id, values, expected)
        except Exception:
            LOG.exception('Could not record the end (%s) of verification '
                          'job %s.', status, job_id)
        LOG.info('Verification job %s ended %s%s', job_id, status,
                 ': %s' % reason if reason else '.')

    def wait(self, timeout=None):
        """Wait until the jobs accepted so far have ended (or timeout).

        :returns: whether they all ended.
        """
        with self._lock:
            pending = list(self._pending.values())
        _done, not_done = concurrent.futures.wait(pending, timeout=timeout)
        return not not_done

    def stop(self, timeout=None):
        """Stop taking jobs; interrupt the running ones and wait for them.

        Interrupted and never-started jobs end ``unavailable``.
        """
        self.stopping.set()
        with self._lock:
            pool = self._workers
            pending = list(self._pending.values())
        if pool is None:
            return
        concurrent.futures.wait(pending, timeout=timeout)
        pool.shutdown(wait=False)


class _Progress:
    """The driver's ``progress(done, total)``, rate-limited.

    Written at most once per PROGRESS_INTERVAL seconds; raises Interrupted
    once the runner stops. Called from the driver's threads.
    """

    def __init__(self, context, job_id, clock, stopping):
        self.context = context
        self.job_id = job_id
        self.clock = clock
        self.stopping = stopping
        self.done = 0
        self.total = None
        self._lock = threading.Lock()
        self._last = None

    def __call__(self, done, total):
        if self.stopping.is_set():
            raise Interrupted()
        with self._lock:
            self.done = max(self.done, done)
            self.total = total
            now = self.clock()
            if self._last is not None and (
                    now - self._last < PROGRESS_INTERVAL):
                return
            self._last = now
            values = {'bytes_done': self.done, 'bytes_total': total}
        try:
            db_api.verification_update(self.context, self.job_id, values,
                                       RUNNING)
        except Exception:
            # NOTE: progress is a courtesy; the verification goes on.
            LOG.warning('Could not record the progress of verification '
                        'job %s.', self.job_id, exc_info=True)


#: one runner per process: its pool bounds the jobs this process runs
_RUNNERS = {}


def get_runner(conf=cfg.CONF):
    """The JobRunner of this process for ``conf`` (verify_via=local)."""
    runner = _RUNNERS.get(id(conf))
    if runner is None:
        runner = _RUNNERS[id(conf)] = JobRunner(conf)
    return runner


def stop_runners(timeout=None):
    """Interrupt this process's jobs (they end ``unavailable``); wait.

    For a worker that exits: its jobs could never end otherwise.
    """
    for runner in list(_RUNNERS.values()):
        runner.stop(timeout=timeout)
