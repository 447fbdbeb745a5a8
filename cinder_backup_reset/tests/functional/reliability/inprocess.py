"""The real paste pipeline in-process, on an in-memory SQLite database.

Used by the fuzz and RBAC tests: every request goes through
``cinder_backup_reset.wsgi.load_app`` (request_id, faultwrap, sizelimit,
auth, the router, the controllers, the manager, the DB API) without a
socket, so thousands of requests cost seconds. Notifications go to
oslo.messaging's ``test`` driver, which records them.
"""

from keystonemiddleware import opts as ksm_opts
from oslo_config import cfg
import oslo_messaging
from oslo_messaging.notify import _impl_test
from oslo_middleware import opts as middleware_opts
import webob

import fixtures

from cinder_backup_reset.backup.drivers import fake
from cinder_backup_reset import notifier
from cinder_backup_reset.tests import fixtures as cbr_fixtures
from cinder_backup_reset.tests.functional.reliability import databases
from cinder_backup_reset import wsgi

CONF = cfg.CONF


class InProcessAPI(fixtures.Fixture):
    """``app`` is the loaded pipeline; ``engine`` its database."""

    def __init__(self, auth_strategy='noauth', config=None):
        super().__init__()
        self.auth_strategy = auth_strategy
        self.config = config or {}

    def _setUp(self):
        conf = self.useFixture(cbr_fixtures.ConfFixture(CONF))
        conf.config(auth_strategy=self.auth_strategy, backup_driver='fake')
        # NOTE: the test driver keeps notifications in a module list.
        oslo_messaging.get_notification_transport(CONF, url='fake://')
        conf.config(driver=['test'], transport_url='fake://',
                    group='oslo_messaging_notifications')
        # NOTE: the middlewares register their options when loaded; the
        # overrides must be possible before that.
        for group, opts in (middleware_opts.list_opts() +
                            ksm_opts.list_auth_token_opts()):
            if group in ('oslo_middleware', 'keystone_authtoken'):
                CONF.register_opts(opts, group=group)
        cbr_fixtures.register_keystone_password_opts(conf)
        for group, values in self.config.items():
            for key, value in values.items():
                conf.config(group=None if group == 'DEFAULT' else group,
                            **{key: value})
        notifier.reset()
        self.addCleanup(notifier.reset)
        _impl_test.reset()
        self.addCleanup(_impl_test.reset)
        # NOTE: the Database fixture points the DB API at its engine;
        # load_app's configure() then keeps it (the facade has started).
        self.engine = self.useFixture(cbr_fixtures.Database()).engine
        self.useFixture(cbr_fixtures.PolicyFixture())
        self.useFixture(fixtures.MockPatchObject(fake.FakeBackupDriver,
                                                 'outcomes', {}))
        self.app = wsgi.load_app(CONF)

    @staticmethod
    def notifications():
        """What was notified so far."""
        notifier.flush()
        return list(_impl_test.NOTIFICATIONS)

    def request(self, path, method='GET', headers=None, body=None):
        """Send one request through the pipeline; the webob response."""
        req = webob.Request.blank(path, method=method, headers=headers)
        if body is not None:
            req.body = body
        return req.get_response(self.app)

    def create_backup(self, status, project_id='p1', **values):
        return databases.create_backup(self.engine, status, project_id,
                                       **values)

    def snapshot(self):
        return databases.snapshot(self.engine)
