"""Input that no query can take is the client's error: 400, never 500.

Through the whole paste pipeline (noauth): a NUL character anywhere in
the URL or in a body's strings (PostgreSQL refuses NUL in any string, so
it would fail at the query), a query that is not UTF-8 once decoded, and
an ``older_than`` beyond any date. Nothing is written. And the access
log writes the URL percent-encoded, so a decoded newline cannot start a
forged line.
"""

import logging

import fixtures
import webob

from cinder_backup_reset.tests import base
from cinder_backup_reset import wsgi


class TestBadInput(base.TestCase):

    def setUp(self):
        super().setUp()
        self.app = wsgi.load_app(self.conf)
        self.backup = self.create_backup(status='creating')
        self.logger = self.useFixture(fixtures.FakeLogger(
            level=logging.INFO, format='%(message)s'))

    def _call(self, path, method='GET', body=None, token='admin:p1'):
        req = webob.Request.blank(path, method=method)
        req.headers['X-Auth-Token'] = token
        if body is not None:
            req.content_type = 'application/json'
            req.json_body = body
        return req.get_response(self.app)

    def assertBadRequest(self, resp, words):
        self.assertEqual(400, resp.status_int, resp.body)
        self.assertIn(words, resp.json['badRequest']['message'])

    def assertUnchanged(self):
        self.assertEqual('creating', self.get_backup(self.backup.id).status)

    def test_nul_in_the_url(self):
        for path in ('/v3/p1/backups/a%00b', '/v3/p1/backups?name=a%00b',
                     '/v3/p1/backups/detail?volume_id=%00',
                     '/v3/p1/backups/%s/verifications/a%%00b'
                     % self.backup.id):
            self.assertBadRequest(self._call(path, token='bob:p1'),
                                  'contains a NUL character')

    def test_query_that_is_not_utf8(self):
        for query in ('name=%ff', '%ff=1', 'stuck=%ff'):
            self.assertBadRequest(
                self._call('/v3/p1/backups?' + query, token='bob:p1'),
                'is not valid UTF-8 (QUERY_STRING)')

    def test_nul_in_a_body_writes_nothing(self):
        path = '/v3/p1/backups/%s/action' % self.backup.id
        self.assertBadRequest(
            self._call(path, 'POST', {'backup-reset_status': {
                'status': 'error', 'reason': 'a\x00b'}}),
            'contains a NUL character')
        self.assertBadRequest(
            self._call('/v3/p1/backups/action', 'POST', {
                'backup-reset_status': {'status': 'error', 'filter': {
                    'stuck': True, 'host': 'a\x00b'}}}),
            'contains a NUL character')
        self.assertUnchanged()

    def test_older_than_beyond_any_date(self):
        self.assertBadRequest(
            self._call('/v3/p1/backups/action', 'POST', {
                'backup-reset_status': {
                    'status': 'error', 'dry_run': True,
                    'filter': {'stuck': True, 'older_than': 64000000000}}}),
            'older_than')
        self.assertUnchanged()

    def test_access_log_cannot_be_forged(self):
        self._call('/v3/x%0a2026-11-30 CRITICAL forged%00', token=None)
        lines = self.logger.output.splitlines()
        self.assertFalse([line for line in lines
                          if line.startswith('2026-11-30')], lines)
        self.assertTrue([line for line in lines
                         if '/v3/x%0A2026-11-30%20CRITICAL%20forged%00'
                         in line], lines)
