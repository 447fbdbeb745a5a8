"""Notifications through oslo.messaging, in Cinder's backup usage shape.

Notifications are handed to one sender thread per process, in order, so
that a request never waits for the message bus: a broker that is down or
hung costs a reset nothing but its notifications (logged).
"""

import atexit
import collections
import os
import threading
import time
import warnings

from oslo_config import cfg
from oslo_log import log as logging

with warnings.catch_warnings():
    # NOTE: oslo.messaging imports oslo.service, which (like futurist,
    # with either of its backends) imports eventlet, and eventlet warns on
    # import that it is deprecated. This service uses no eventlet: it
    # sends notifications, is served by gunicorn's threads and never
    # monkey-patches. Printed on every start and every manage command,
    # the warning would only tell operators something untrue about it.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import oslo_messaging as messaging

LOG = logging.getLogger(__name__)

_TRANSPORT = None
_NOTIFIERS = {}
_SENDER = None
_SENDER_LOCK = threading.Lock()

#: notifications waiting for the sender; more are dropped (and logged)
#: while the broker does not take them
QUEUE_SIZE = 1000
#: seconds a stopping process waits for its queued notifications
FLUSH_AT_EXIT = 5


def _get_transport(conf):
    global _TRANSPORT
    if _TRANSPORT is None:
        _TRANSPORT = messaging.get_notification_transport(conf)
    return _TRANSPORT


#: attempts to send a notification when [oslo_messaging_notifications]
#: retry is left at oslo.messaging's default (-1: forever)
DEFAULT_RETRY = 1


def get_notifier(conf=cfg.CONF, host=None):
    """The notifier of publisher ``backup.<host>`` (Cinder's publisher)."""
    host = host or conf.host
    if host not in _NOTIFIERS:
        transport = _get_transport(conf)
        _NOTIFIERS[host] = messaging.Notifier(
            transport, publisher_id='backup.%s' % host,
            retry=notify_retry(conf))
    return _NOTIFIERS[host]


def enabled(conf=cfg.CONF):
    """Whether any notification driver is configured.

    The options exist once a notifier was made (get_notifier registers
    them through oslo.messaging).

    NOTE: oslo.messaging's Notifier.is_enabled() is true for an empty
    driver list (only ``noop`` counts as off), and the default is empty:
    every reset built two payloads and serialized its context for no
    driver at all.
    """
    get_notifier(conf)
    drivers = [d for d in conf.oslo_messaging_notifications.driver
               if d != 'noop']
    return bool(drivers)


def notify_retry(conf):
    """How often to retry a notification the broker did not take.

    NOTE: operators reset backups precisely when the broker may be down;
    with oslo.messaging's default a reset would wait forever for it. A
    notification that cannot be sent is logged and the reset stands.
    """
    retry = conf.oslo_messaging_notifications.retry
    return DEFAULT_RETRY if retry is None or retry < 0 else retry


class _Sender:
    """One thread sending the queued notifications of this process."""

    def __init__(self):
        self.pid = os.getpid()
        self._queue = collections.deque()
        self._cond = threading.Condition()
        self._pending = 0
        self._thread = threading.Thread(target=self._run,
                                        name='notification-sender',
                                        daemon=True)
        self._thread.start()

    def put(self, item):
        with self._cond:
            if self._pending >= QUEUE_SIZE:
                return False
            self._queue.append(item)
            self._pending += 1
            self._cond.notify_all()
        return True

    def _run(self):
        while True:
            with self._cond:
                while not self._queue:
                    self._cond.wait()
                item = self._queue.popleft()
            try:
                _send(*item)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def flush(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._pending:
                left = None if deadline is None else (
                    deadline - time.monotonic())
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True


def _sender():
    global _SENDER
    with _SENDER_LOCK:
        # NOTE: a forked worker has the master's object but not its thread.
        if _SENDER is None or _SENDER.pid != os.getpid():
            _SENDER = _Sender()
        return _SENDER


def flush(timeout=None):
    """Wait until this process has sent (or given up on) its notifications.

    :param timeout: seconds, or None to wait as long as it takes.
    :returns: False if some were still queued after ``timeout``.
    """
    sender = _SENDER
    if sender is None or sender.pid != os.getpid():
        return True
    return sender.flush(timeout)


atexit.register(flush, FLUSH_AT_EXIT)


def reset():
    """Forget transports and notifiers (tests, fork)."""
    global _TRANSPORT
    flush()
    _NOTIFIERS.clear()
    if _TRANSPORT is not None:
        _TRANSPORT.cleanup()
    _TRANSPORT = None


def usage_from_backup(backup, **overrides):
    """Cinder's backup usage payload (``_usage_from_backup``)."""
    created = backup.created_at.isoformat() if backup.created_at else None
    payload = {
        'tenant_id': backup.project_id,
        'user_id': backup.user_id,
        'availability_zone': backup.availability_zone,
        'backup_id': backup.id,
        'host': backup.host,
        'display_name': backup.display_name,
        'created_at': created,
        'status': backup.status,
        'volume_id': backup.volume_id,
        'size': backup.size,
        'service_metadata': backup.service_metadata,
        'service': backup.service,
        'fail_reason': backup.fail_reason,
        'parent_id': backup.parent_id,
        'num_dependent_backups': backup.num_dependent_backups,
        'snapshot_id': backup.snapshot_id,
    }
    payload.update(overrides)
    return payload


def notify_backup_usage(context, backup, event_suffix, conf=cfg.CONF,
                        **overrides):
    """Queue ``backup.<event_suffix>`` at INFO, unless notifications are off.

    The payload is taken now; the sender thread sends it (see flush).

    NOTE: a broker outage must not turn a reset that already committed into
    an error for the operator, nor hold its answer: the notification is
    sent by another thread, and a failure to send it is logged, not raised.
    """
    if not enabled(conf):
        return
    event_type = 'backup.%s' % event_suffix
    item = (get_notifier(conf), context.to_dict(), event_type,
            usage_from_backup(backup, **overrides), backup.id)
    if not _sender().put(item):
        LOG.error('Notification %s for backup %s dropped: %d notifications '
                  'are waiting for the message bus.', event_type, backup.id,
                  QUEUE_SIZE)


def _send(notifier, ctxt, event_type, payload, backup_id):
    try:
        notifier.info(ctxt, event_type, payload)
    except Exception:
        LOG.exception('Could not send notification %s for backup %s.',
                      event_type, backup_id)
