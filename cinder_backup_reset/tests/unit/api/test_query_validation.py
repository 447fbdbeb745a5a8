"""Query strings of the list calls, checked by JSON Schema as Cinder does."""

import webob

from cinder_backup_reset.api.schemas import backups as schemas
from cinder_backup_reset.api import validation
from cinder_backup_reset import exception
from cinder_backup_reset.tests import base


class _Controller:

    @validation.query_schema(schemas.index_query)
    def index(self, req):
        return dict(req.GET)


def _index(query):
    return _Controller().index(webob.Request.blank('/backups?' + query))


class TestIndexQuery(base.TestCase):

    def test_accepted(self):
        query = ('name=a&status=error&volume_id=v&limit=0&marker=m&'
                 'sort_key=size&sort_dir=asc&all_tenants=1')
        self.assertEqual('size', _index(query)['sort_key'])
        # NOTE: a repeated key is a list to the schema; each value counts.
        self.assertEqual('2', _index('limit=1&limit=2')['limit'])

    def _refused(self, query):
        exc = self.assertRaises(exception.ValidationError, _index, query)
        self.assertEqual(400, exc.code)
        return str(exc)

    def test_unknown_keys(self):
        message = self._refused('colour=blue&name=x&size=1')
        self.assertIn('Invalid filter keys: colour, size.', message)
        self.assertIn('volume_id', message)

    def test_bad_values(self):
        self.assertIn('limit must be a non-negative integer',
                      self._refused('limit=-1'))
        self.assertIn('limit must be a non-negative integer',
                      self._refused('limit=1&limit=x'))
        self.assertIn('sort_key must be one of',
                      self._refused('sort_key=password'))
        self.assertIn('sort_dir must be asc or desc',
                      self._refused('sort_dir=up'))
        self.assertIn('name', self._refused('name=' + 'n' * 256))
