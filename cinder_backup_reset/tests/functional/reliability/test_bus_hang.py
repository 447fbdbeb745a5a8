"""The message bus hangs under a running API, then comes back.

Notifications (oslo.messaging, rabbit driver) go through a relay on
loopback to the local RabbitMQ (opportunistic: skipped without one); the
relay then stops forwarding (a hung broker) and later forwards again. A
reset is applied and answered ``202`` in every case: the notifications of
a reset that committed are best effort, sent by a thread of their own. It
checks that a hung broker does not delay the answer, and that
notifications flow again once the broker answers, from the same API
process.
"""

import threading
import time
import uuid

from oslo_config import cfg
import oslo_messaging as messaging
import requests
import testtools

from cinder_backup_reset.tests.functional.fixtures import outage
from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.functional import test_notifications_rabbit

RABBIT = ('127.0.0.1', 5672)
#: NOTE: a reset on SQLite with the fake driver, on a busy host.
MAX_RESET_SECONDS = 2
#: oslo.messaging's own retries of what was queued during the outage
NOTIFIED_SECONDS = 90


class _Endpoint:
    def __init__(self):
        self.ends = []
        self.event = threading.Event()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        if event_type == 'backup.reset_status.end':
            self.ends.append(payload['backup_id'])
            self.event.set()


class TestBusHang(testtools.TestCase):

    def setUp(self):
        super().setUp()
        if not test_notifications_rabbit._rabbit_answers():
            self.skipTest('RabbitMQ does not answer on 127.0.0.1:5672')
        self.relay = outage.Relay(RABBIT).start()
        self.addCleanup(self.relay.stop)
        topic = 'cbr-test-%s' % uuid.uuid4().hex
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_driver': 'fake',
                        'transport_url': 'rabbit://guest:guest@127.0.0.1:'
                                         '%d/' % self.relay.port},
            'oslo_messaging_notifications': {'driver': 'messagingv2',
                                             'topics': topic},
        }))
        self.addOnException(lambda exc_info: self.addDetail(
            'api-log', testtools.content.text_content(
                self.api.log()[-20000:])))
        url = 'rabbit://guest:guest@%s:%d/' % RABBIT
        transport = messaging.get_notification_transport(cfg.ConfigOpts(),
                                                         url=url)
        self.addCleanup(transport.cleanup)
        self.endpoint = _Endpoint()
        listener = messaging.get_notification_listener(
            transport, [messaging.Target(topic=topic)], [self.endpoint],
            executor='threading')
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)

    def _reset_backup(self):
        backup = self.api.create_backup(status='creating')
        start = time.monotonic()
        resp = requests.post(
            self.api.url('backups/%s/action' % backup, 'p1'),
            headers=self.api.headers(),
            json={'os-reset_status': {'status': 'error'}}, timeout=300)
        elapsed = time.monotonic() - start
        self.assertEqual(202, resp.status_code, resp.text)
        self.assertEqual('error', self.api.backup_status(backup))
        return backup, elapsed

    def _assert_notified(self, backup):
        deadline = time.monotonic() + NOTIFIED_SECONDS
        while backup not in self.endpoint.ends:
            self.assertLess(time.monotonic(), deadline,
                            'no notification for %s' % backup)
            self.endpoint.event.wait(0.2)
            self.endpoint.event.clear()

    def test_working_then_hung_then_working(self):
        backup, _elapsed = self._reset_backup()
        self._assert_notified(backup)
        self.relay.freeze()
        _backup, elapsed = self._reset_backup()
        # NOTE: the notifications wait in the sender thread, the answer
        # does not.
        self.assertLess(elapsed, MAX_RESET_SECONDS)
        self.relay.thaw()
        backup, elapsed = self._reset_backup()
        self.assertLess(elapsed, MAX_RESET_SECONDS)
        self._assert_notified(backup)
