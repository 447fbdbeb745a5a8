"""RPC between the API and cinder-backup-reset-agent (oslo.messaging).

The API calls the agent of the host that holds a backup's data: topic
TOPIC, server = the backup's ``host`` (the agent's ``[DEFAULT] host``).
Contexts travel as oslo.context dicts; answers are plain dicts (see
verification/agent.py), never pickled exceptions.
"""

import concurrent.futures
import threading

from oslo_config import cfg

from cinder_backup_reset import context as context_lib
from cinder_backup_reset import exception
from cinder_backup_reset import notifier

# NOTE: imported through notifier, which silences eventlet's deprecation
# warning on oslo.messaging's import (see notifier.py).
messaging = notifier.messaging

TOPIC = 'cinder-backup-reset'
#: the version of the agent's interface (verification/agent.py)
RPC_API_VERSION = '1.0'

#: NOTE: oslo.messaging's rpc_response_timeout is 60 seconds; a reset
#: waits for its verification at most verify_timeout (30) seconds in the
#: API process, and the same through an agent.
RESPONSE_TIMEOUT_DEFAULT = 30
#: NOTE: connection attempts to the message bus per call (oslo.messaging's
#: default retries for ever, so a dead broker would hold the request).
SEND_RETRIES = 2
#: NOTE: seconds a call may take beyond rpc_response_timeout before the
#: caller gives up on it: oslo.messaging connects its reply queue with
#: unbounded retries (a dead or hung broker), which no call option bounds.
CALL_SLACK = 5
#: calls to agents one process has in flight; a call stuck on a dead
#: broker keeps its thread until the broker answers
CALL_WORKERS = 8

_LOCK = threading.Lock()
_TRANSPORTS = {}
_CALLS = []


class RequestContextSerializer(messaging.NoOpSerializer):
    """Our RequestContext to and from oslo.context's dict form."""

    def serialize_context(self, context):
        return context.to_dict()

    def deserialize_context(self, context):
        return context_lib.RequestContext.from_dict(context)


def register_opts(conf=cfg.CONF):
    """Register oslo.messaging's options on ``conf``.

    transport_url, rpc_response_timeout and the drivers' groups, through
    oslo.messaging's public option list (the one its config generator
    namespace uses), so that they can be read and set before a transport
    or client exists.
    """
    from oslo_messaging import opts as messaging_opts
    for group, options in messaging_opts.list_opts():
        conf.register_opts(options, group=group)
    conf.set_default('rpc_response_timeout', RESPONSE_TIMEOUT_DEFAULT)


def get_transport(conf=cfg.CONF):
    """The RPC transport of ``conf`` (one per ConfigOpts and process)."""
    with _LOCK:
        transport = _TRANSPORTS.get(id(conf))
        if transport is None:
            register_opts(conf)
            transport = _TRANSPORTS[id(conf)] = messaging.get_rpc_transport(
                conf)
        return transport


def _call_pool():
    with _LOCK:
        if not _CALLS:
            _CALLS.append(concurrent.futures.ThreadPoolExecutor(
                max_workers=CALL_WORKERS, thread_name_prefix='rpc-call'))
        return _CALLS[0]


def reset():
    """Forget transports (tests, after fork)."""
    with _LOCK:
        _CALLS.clear()
        for transport in _TRANSPORTS.values():
            transport.cleanup()
        _TRANSPORTS.clear()


def server_target(conf):
    """The Target an agent listens on."""
    return messaging.Target(topic=TOPIC, server=conf.host,
                            version=RPC_API_VERSION)


class AgentAPI:
    """Client side of the agent: every call goes to ``backup.host``."""

    def __init__(self, conf=cfg.CONF):
        self.conf = conf
        register_opts(conf)
        self.client = messaging.get_rpc_client(
            get_transport(conf), messaging.Target(
                topic=TOPIC, version=RPC_API_VERSION),
            serializer=RequestContextSerializer())

    def _call(self, context, backup, method, **kwargs):
        if not backup.host:
            raise exception.BackupBackendUnavailable(
                backup_id=backup.id, reason=(
                    'the backup has no host recorded, so no agent can be '
                    'asked ([DEFAULT] verify_via = rpc)'))
        # NOTE: rpc_response_timeout is registered by the RPC client.
        timeout = self.conf.rpc_response_timeout
        cctxt = self.client.prepare(server=backup.host, timeout=timeout,
                                    retry=SEND_RETRIES)
        future = _call_pool().submit(cctxt.call, context, method,
                                     backup_id=backup.id, **kwargs)
        try:
            answer = future.result(timeout=timeout + CALL_SLACK)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise exception.BackupBackendUnavailable(
                backup_id=backup.id, reason=(
                    'the message bus did not carry the call to the agent '
                    'on host %s within %s seconds (is it reachable from '
                    'here?)' % (backup.host, timeout + CALL_SLACK)))
        except messaging.MessagingTimeout:
            raise exception.BackupBackendUnavailable(
                backup_id=backup.id, reason=(
                    'no agent answered on host %s within %s seconds (is '
                    'cinder-backup-reset-agent running there?)' % (
                        backup.host, timeout)))
        except messaging.MessageDeliveryFailure as exc:
            raise exception.BackupBackendUnavailable(
                backup_id=backup.id,
                reason='the message bus did not take the call: %s' % exc)
        except messaging.MessagingException as exc:
            raise exception.BackupBackendUnavailable(
                backup_id=backup.id,
                reason='the message bus failed: %s' % exc)
        error = answer.get('error')
        if error:
            if error.get('code') == 503:
                raise exception.BackupBackendUnavailable(
                    backup_id=backup.id, reason=error['reason'])
            raise exception.AgentRefused(error['code'], error['message'])
        return answer

    def verify(self, context, backup, deep=False):
        """The agent's verification of ``backup`` (verify_timeout there).

        :returns: the answer dict: ``{"result": "passed", "level",
            "evidence"}`` or ``{"result": "failed", "reason",
            "evidence"}``.
        :raises BackupBackendUnavailable: no agent answered, or it could
            not read the backend.
        :raises AgentRefused: the agent refused (the code and message it
            gave, e.g. 404).
        """
        return self._call(context, backup, 'verify', deep=deep)

    def start_verification(self, context, backup, level):
        """Have the agent start a verification job; returns its dict.

        :raises BackupBackendUnavailable: no agent answered.
        :raises AgentRefused: the agent refused the job.
        """
        return self._call(context, backup, 'start_verification',
                          level=level)['verification']
