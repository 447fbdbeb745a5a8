"""Every log line written while serving a request carries its request id."""

import logging

import fixtures
from oslo_log import formatters
import webob

from cinder_backup_reset.tests import base
from cinder_backup_reset import wsgi


class TestRequestIdInLogs(base.TestCase):

    def setUp(self):
        super().setUp()
        self.app = wsgi.load_app(self.conf)
        self.logger = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(message)s'))
        # NOTE: the formatter oslo.log installs for the service.
        for handler in logging.getLogger().handlers:
            handler.setFormatter(formatters.ContextFormatter(
                config=self.conf))

    def _request(self, token, body=b'{"os-reset_status": {"status": "x"}}'):
        req = webob.Request.blank('/v3/p1/backups/nope/action',
                                  method='POST', body=body)
        req.content_type = 'application/json'
        if token:
            req.headers['X-Auth-Token'] = token
        return req.get_response(self.app)

    def test_lines_carry_their_request_id(self):
        first = self._request('admin:p1')
        second = self._request(None)
        third = self._request('admin:p1', body=b'x' * 200000)
        self.assertEqual((400, 401, 413),
                         (first.status_int, second.status_int,
                          third.status_int))
        lines = [line for line in self.logger.output.splitlines()
                 if line.strip()]
        self.assertTrue(lines)
        ids = [resp.headers['x-openstack-request-id']
               for resp in (first, second, third)]
        for line in lines:
            self.assertTrue(any(rid in line for rid in ids), line)
        # The 413 line is logged by oslo.middleware before any auth ran.
        too_large = [line for line in lines if 'too large' in line]
        self.assertTrue(too_large)
        self.assertIn(ids[2], too_large[0])


class TestAccessLog(TestRequestIdInLogs):
    """Every request is one access line in oslo.log's context format."""

    def access_lines(self):
        return [line for line in self.logger.output.splitlines()
                if 'status: ' in line and ' time: ' in line]

    def test_every_request_is_one_line(self):
        answered = self._request('admin:p1')
        refused = self._request(None)
        too_large = self._request('admin:p1', body=b'x' * 200000)
        listed = webob.Request.blank(
            '/v3/p2/backups?status=error',
            headers={'X-Auth-Token': 'u1:p2'}).get_response(self.app)
        versions = webob.Request.blank('/').get_response(self.app)
        lines = self.access_lines()
        self.assertEqual(5, len(lines), lines)
        expected = [
            (answered, 'POST /v3/p1/backups/nope/action', '400',
             'admin p1'),
            (refused, 'POST /v3/p1/backups/nope/action', '401', None),
            (too_large, 'POST /v3/p1/backups/nope/action', '413', None),
            (listed, 'GET /v3/p2/backups?status=error', '200', 'u1 p2'),
            (versions, 'GET /', '300', None),
        ]
        for line, (resp, request, status, who) in zip(lines, expected):
            self.assertIn(resp.headers['x-openstack-request-id'], line)
            self.assertIn('"%s" status: %s len: ' % (request, status), line)
            self.assertRegex(line, r' time: \d+\.\d{7}$')
            if who:
                self.assertIn(' %s ' % who, line)
