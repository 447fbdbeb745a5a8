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
