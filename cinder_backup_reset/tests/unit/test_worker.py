"""The API worker's client socket: blocking means time-limited."""

import socket

from oslotest import base

from cinder_backup_reset.cmd import worker


class TestBufferedSocket(base.BaseTestCase):

    def setUp(self):
        super().setUp()
        self.sock, self.peer = socket.socketpair()
        self.addCleanup(self.sock.close)
        self.addCleanup(self.peer.close)

    def test_blocking_waits_at_most_the_io_timeout(self):
        wrapped = worker._BufferedSocket(self.sock, 7)
        wrapped.setblocking(True)
        self.assertEqual(7, self.sock.gettimeout())
        wrapped.setblocking(False)
        self.assertEqual(0.0, self.sock.gettimeout())

    def test_without_io_timeout_blocking_waits_for_ever(self):
        wrapped = worker._BufferedSocket(self.sock)
        wrapped.setblocking(True)
        self.assertIsNone(self.sock.gettimeout())

    def test_a_stalled_peer_times_out(self):
        wrapped = worker._BufferedSocket(self.sock, 0.2)
        wrapped.setblocking(True)
        self.assertRaises(TimeoutError, wrapped.recv, 10)

    def test_buffered_bytes_come_first(self):
        wrapped = worker._BufferedSocket(self.sock, 1)
        wrapped.buffer += b'head'
        self.peer.sendall(b'body')
        self.assertEqual(b'head', wrapped.recv(10))
        self.assertEqual(b'body', wrapped.recv(10))
