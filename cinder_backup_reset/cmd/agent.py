"""cinder-backup-reset-agent: verify backups on the host that holds them.

Run it on every backup host (the hosts that mount the backup storage),
with the same ``[database]`` and ``transport_url`` as the API and that
host's ``[DEFAULT] host`` (the value Cinder records in ``backups.host``).
It serves oslo.messaging RPC on topic ``cinder-backup-reset``, server
``[DEFAULT] host``, with threads; SIGTERM (or SIGINT) stops it: it takes
no more calls, interrupts its running jobs (they end ``unavailable``) and
exits 0.
"""

import signal
import sys
import threading

from oslo_config import cfg
from oslo_log import log as logging

from cinder_backup_reset import context as context_lib
from cinder_backup_reset import rpc
from cinder_backup_reset import service
from cinder_backup_reset.verification import agent as agent_lib

LOG = logging.getLogger(__name__)
CONF = cfg.CONF


class Agent:
    """The RPC server and its endpoint; ``start()``, then ``stop()``."""

    def __init__(self, conf=CONF, transport=None):
        self.conf = conf
        self.endpoint = agent_lib.AgentEndpoint(conf)
        self.transport = transport or rpc.get_transport(conf)
        self.server = rpc.messaging.get_rpc_server(
            self.transport, rpc.server_target(conf), [self.endpoint],
            executor='threading',
            serializer=rpc.RequestContextSerializer())

    def start(self):
        """Mark jobs a previous run left unfinished; start serving."""
        for problem in self.endpoint.manager.driver.backend_problems():
            LOG.warning('Backups cannot be verified from this host: %s.',
                        problem)
        self.endpoint.runner.recover(context_lib.get_admin_context())
        self.server.start()
        LOG.info('cinder-backup-reset-agent serving topic %s as host %s.',
                 rpc.TOPIC, self.conf.host)

    def stop(self):
        """Stop taking calls, interrupt running jobs, wait for them."""
        self.server.stop()
        self.endpoint.runner.stop(timeout=self.conf.graceful_shutdown_timeout)
        self.server.wait()
        LOG.info('cinder-backup-reset-agent stopped.')


def main(argv=None):
    """Entry point of cinder-backup-reset-agent."""
    service.parse_args(sys.argv[1:] if argv is None else argv,
                       identity=False)

    def start():
        service.init_database(CONF)
        agent = Agent(CONF)
        agent.start()
        return agent
    agent, problem = service.start_or_explain(start)
    if problem:
        # NOTE: one clear line, no traceback (as cmd/api.py).
        LOG.error('Cannot start the agent: %s', problem)
        return 1
    stopping = threading.Event()

    def _stop(signum, _frame):
        LOG.info('Signal %d received; stopping.', signum)
        stopping.set()
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stopping.wait(1):
        pass
    agent.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
