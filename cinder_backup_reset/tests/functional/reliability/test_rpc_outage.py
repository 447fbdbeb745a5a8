"""The message bus between the API and the agents is dead or hung.

With ``verify_via = rpc`` a reset to ``available`` asks the agent of the
backup's host over RabbitMQ (opportunistic: skipped without one). The
API reaches the bus through a relay on loopback that is either not
listening (a dead bus) or accepts and never answers (a hung one); the
agent uses the real bus. A reset then answers ``503 serviceUnavailable``
with ``Retry-After`` within the documented bound, changes nothing, and
once the bus answers again the same API process verifies through the
agent as usual.
"""

import time

from cinder_backup_reset.tests.fixtures import free_port
from cinder_backup_reset.tests.functional.fixtures import outage
from cinder_backup_reset.tests.functional import test_verify_agent_rabbit

RABBIT = ('127.0.0.1', 5672)
#: seconds, documented in doc/source/admin/reliability.rst: the test's
#: rpc_response_timeout (5) and the connection attempts of one call
#: (rpc.SEND_RETRIES), on a busy host
BOUND = 5 + 10


class _RPCOutage(test_verify_agent_rabbit.AgentTestCase):

    api_workers = 1

    def api_transport_url(self):
        self.port = free_port()
        return 'rabbit://guest:guest@127.0.0.1:%d/' % self.port

    def assert_unavailable(self):
        start = time.monotonic()
        resp = self._post({'backup-reset_status': {'status': 'available'}})
        elapsed = time.monotonic() - start
        self.assertEqual(503, resp.status_code, resp.text)
        self.assertLess(elapsed, BOUND)
        self.assertEqual('5', resp.headers.get('Retry-After'))
        self.assertNotIn('\n', resp.json()['serviceUnavailable']['message'])
        self.assertEqual('creating', self.api.backup_status(self.backup_id))
        self.assertEqual([], self._get('backups/%s/status-history'
                                       % self.backup_id)['status_history'])

    def assert_served(self):
        resp = self._post({'backup-reset_status': {'status': 'available'}})
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual('passed', resp.json()['backup_reset']['verified'])
        self.assertEqual('available', self.api.backup_status(self.backup_id))


class TestDeadBus(_RPCOutage):

    def test_dead_then_working(self):
        self.assert_unavailable()
        relay = outage.Relay(RABBIT, port=self.port).start()
        self.addCleanup(relay.stop)
        self.assert_served()


class TestHungBus(_RPCOutage):

    def test_hung_then_working(self):
        relay = outage.Relay(RABBIT, port=self.port)
        relay.freeze()
        relay.start()
        self.addCleanup(relay.stop)
        self.assert_unavailable()
        relay.thaw()
        self.assert_served()
