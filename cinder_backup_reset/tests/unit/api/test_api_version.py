"""The OpenStack-API-Version header."""

import webob

from cinder_backup_reset.api import api_version
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base


def _req(header=None, script='/v3'):
    req = webob.Request.blank('/backups')
    req.script_name = script
    if header is not None:
        req.headers['OpenStack-API-Version'] = header
    return req


class TestVersionHeader(base.TestCase):

    def test_default_and_accepted(self):
        self.assertEqual((3, 0), api_version.from_request(_req()))
        self.assertEqual((3, 0), api_version.from_request(
            _req('volume 3.0')))
        self.assertEqual((3, 71), api_version.from_request(
            _req('volume latest')))
        self.assertEqual((3, 64), api_version.from_request(
            _req('volume 3.64')))
        self.assertEqual((3, 0), api_version.from_request(
            _req('compute 2.1, volume 3.0')))
        self.assertEqual((3, 9), api_version.from_request(
            _req('compute 2.1,volume  3.9')))

    def test_no_volume_entry_asks_for_the_default(self):
        # NOTE: as Cinder, through microversion-parse.
        for text in ('compute 2.1', 'volume', ''):
            self.assertEqual((3, 0), api_version.from_request(_req(text)))

    def test_out_of_range_is_406(self):
        for text in ('volume 3.72', 'volume 2.0', 'volume 4.0'):
            exc = self.assertRaises(exception.APIVersionNotSupported,
                                    api_version.from_request, _req(text))
            self.assertEqual(406, exc.code)

    def test_malformed_is_400(self):
        for text in ('volume 3', 'volume 3.x', 'volume 03.0',
                     'volume 3.0 extra'):
            exc = self.assertRaises(exception.InvalidAPIVersionString,
                                    api_version.from_request, _req(text))
            self.assertEqual(400, exc.code)

    def test_v2_is_legacy(self):
        self.assertIsNone(api_version.from_request(
            _req('volume 9.9', script='/v2')))
        resp = webob.Response()
        api_version.add_headers(_req(script='/v2'), resp, None)
        self.assertNotIn('OpenStack-API-Version', resp.headers)
