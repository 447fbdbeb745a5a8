"""cinder_backup_reset.wsgi.api: the application for external servers."""

import importlib
import logging
import os
import sys

import fixtures
import webob

from cinder_backup_reset.tests import base


class TestWSGIModule(base.TestCase):

    def test_application_from_config_files_env(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        conf = os.path.join(tmp, 'cbr.conf')
        with open(conf, 'w') as f:
            # NOTE: oslo.log writes to stdout unless given a file.
            f.write('[DEFAULT]\nauth_strategy = noauth\nbackup_driver = fake'
                    '\nstate_path = %s\nlog_file = %s/api.log\n[database]\n'
                    'connection = sqlite:///%s/db.sqlite\n' % (tmp, tmp, tmp))
        self.useFixture(fixtures.EnvironmentVariable(
            'OS_BACKUP_RESET_CONFIG_FILES', conf))
        self.conf.clear()
        # NOTE: the module sets up oslo.log, which adds handlers to the
        # root logger; later tests must not print through them.
        root = logging.getLogger()
        self.addCleanup(setattr, root, 'handlers', list(root.handlers))
        self.addCleanup(root.setLevel, root.level)
        sys.modules.pop('cinder_backup_reset.wsgi.api', None)
        module = importlib.import_module('cinder_backup_reset.wsgi.api')
        self.addCleanup(sys.modules.pop, 'cinder_backup_reset.wsgi.api',
                        None)
        req = webob.Request.blank('/v3/p1/backups')
        req.headers['X-Auth-Token'] = 'admin:p1'
        resp = req.get_response(module.application)
        self.assertEqual(200, resp.status_int)
        self.assertEqual({'backups': []}, resp.json)
