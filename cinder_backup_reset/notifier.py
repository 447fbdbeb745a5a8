"""Notifications through oslo.messaging, in Cinder's backup usage shape."""

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


def reset():
    """Forget transports and notifiers (tests, fork)."""
    global _TRANSPORT
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
    """Emit ``backup.<event_suffix>`` at INFO, unless notifications are off.

    NOTE: a broker outage must not turn a reset that already committed into
    an error for the operator, so failures to notify are logged, not raised.
    """
    if not enabled(conf):
        return
    notifier = get_notifier(conf)
    try:
        notifier.info(context.to_dict(), 'backup.%s' % event_suffix,
                      usage_from_backup(backup, **overrides))
    except Exception:
        LOG.exception('Could not send notification backup.%s for backup '
                      '%s.', event_suffix, backup.id)
