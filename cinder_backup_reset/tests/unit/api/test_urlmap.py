"""The urlmap composite builds each application of the paste file once."""

from cinder_backup_reset.tests import base
from cinder_backup_reset import wsgi


class TestURLMap(base.TestCase):

    def test_v2_and_v3_share_one_pipeline(self):
        app = wsgi.load_app(self.conf)
        by_path = {path: application
                   for (_domain, path), application in app.items()}
        self.assertIs(by_path['/v3'], by_path['/v2'])
        self.assertIsNot(by_path['/v3'], by_path['/healthcheck'])
