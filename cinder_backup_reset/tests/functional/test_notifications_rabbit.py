"""Notifications reach a real RabbitMQ (opportunistic: skip without one).

The server publishes through oslo.messaging's rabbit driver to a topic of
this test's own; a listener in the test receives them.
"""

import socket
import threading
import uuid

from oslo_config import cfg
import oslo_messaging as messaging
import requests
import testtools

from cinder_backup_reset.tests.functional.fixtures import server

RABBIT_URL = 'rabbit://guest:guest@127.0.0.1:5672/'


def _rabbit_answers():
    try:
        with socket.create_connection(('127.0.0.1', 5672), timeout=1):
            return True
    except OSError:
        return False


class _Endpoint:
    def __init__(self):
        self.received = []
        self.done = threading.Event()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        self.received.append((publisher_id, event_type, payload))
        if event_type == 'backup.reset_status.end':
            self.done.set()


class TestRabbitNotifications(testtools.TestCase):

    def setUp(self):
        super().setUp()
        if not _rabbit_answers():
            self.skipTest('RabbitMQ does not answer on 127.0.0.1:5672')
        self.topic = 'cbr-test-%s' % uuid.uuid4().hex
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_driver': 'fake', 'host': 'api-node-1',
                        'transport_url': RABBIT_URL},
            'oslo_messaging_notifications': {'driver': 'messagingv2',
                                             'topics': self.topic},
        }))
        conf = cfg.ConfigOpts()
        transport = messaging.get_notification_transport(conf,
                                                         url=RABBIT_URL)
        self.addCleanup(transport.cleanup)
        self.endpoint = _Endpoint()
        listener = messaging.get_notification_listener(
            transport, [messaging.Target(topic=self.topic)],
            [self.endpoint], executor='threading')
        listener.start()
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)

    def test_start_and_end_after_authorization(self):
        backup = self.api.create_backup(status='creating')
        refused = requests.post(
            self.api.url('backups/%s/action' % backup, 'p1'),
            headers=self.api.headers('alice', 'p1'),
            json={'os-reset_status': {'status': 'error'}}, timeout=10)
        self.assertEqual(403, refused.status_code)
        resp = requests.post(
            self.api.url('backups/%s/action' % backup, 'p1'),
            headers=self.api.headers(),
            json={'os-reset_status': {'status': 'error'}}, timeout=10)
        self.assertEqual(202, resp.status_code)
        self.assertTrue(self.endpoint.done.wait(20),
                        'no notification within 20s: %s'
                        % self.endpoint.received)
        self.assertEqual(
            [('backup.api-node-1', 'backup.reset_status.start', 'creating'),
             ('backup.api-node-1', 'backup.reset_status.end', 'error')],
            [(pub, event, payload['status'])
             for pub, event, payload in self.endpoint.received])
        self.assertEqual(backup, self.endpoint.received[0][2]['backup_id'])
