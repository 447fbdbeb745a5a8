"""Test fixtures: configuration, database, policy, drivers."""

import fixtures
from oslo_config import cfg
from oslo_config import fixture as config_fixture
from oslo_db.sqlalchemy import engines
from oslo_log import log
from oslo_policy import opts as policy_opts

from cinder_backup_reset import conf as service_conf
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.db import engine as db_engine
from cinder_backup_reset.db import migration
from cinder_backup_reset import policy

service_conf.register_opts(cfg.CONF)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


#: a keystone service user for keystonemiddleware (never contacted: the
#: tests' AuthTokenFixture answers for keystone)
KEYSTONE_SERVICE_USER = {
    'auth_type': 'password', 'auth_url': 'http://keystone.example/v3',
    'username': 'cinder-backup-reset', 'password': 'not-used',
    'project_name': 'service', 'user_domain_name': 'Default',
    'project_domain_name': 'Default',
    'www_authenticate_uri': 'http://keystone.example/v3'}


def register_keystone_password_opts(conf_fixture):
    """Register the password plugin's options in [keystone_authtoken].

    NOTE: keystonemiddleware registers them only when it loads the plugin;
    a test must be able to set them before that. Through the config
    fixture, so that they are unregistered after the test: auth_url is a
    required option, which would fail the next test's parse.
    """
    from keystoneauth1 import loading
    conf_fixture.register_opts(
        loading.get_auth_plugin_conf_options('password'),
        group='keystone_authtoken')


class ConfFixture(config_fixture.Config):
    """The global CONF with test defaults, reset after each test."""

    def __init__(self, conf=cfg.CONF):
        super().__init__(conf)

    def setUp(self):
        super().setUp()
        # NOTE: the service registers oslo.log's options before parsing;
        # so do the tests, for code that formats log records.
        self.conf.clear()
        log.register_options(self.conf)
        self.conf([], project='cinder-backup-reset', default_config_files=[])
        self.config(connection='sqlite://', group='database')
        self.config(auth_strategy='noauth')
        policy_opts.set_defaults(self.conf)


class Database(fixtures.Fixture):
    """A migrated database (SQLite in memory unless ``connection``).

    The DB API's transaction manager is pointed at the engine for the
    test's duration.
    """

    def __init__(self, connection='sqlite://', engine=None):
        super().__init__()
        self.connection = connection
        self.engine = engine

    def setUp(self):
        super().setUp()
        if self.engine is None:
            self.engine = engines.create_engine(self.connection)
            self.addCleanup(self.engine.dispose)
        db_engine.tune_engine(self.engine)
        # NOTE: oslo.db's public way for a test suite to point an engine
        # facade at its own engine.
        self.addCleanup(db_api.main_context_manager.patch_engine(self.engine))
        migration.db_sync(self.engine)


class PolicyFixture(fixtures.Fixture):
    """A fresh enforcer per test, with optional rule overrides."""

    def __init__(self, rules=None):
        super().__init__()
        self.rules = rules or {}

    def setUp(self):
        super().setUp()
        policy.reset()
        self.addCleanup(policy.reset)
        enforcer = policy.init(cfg.CONF)
        if self.rules:
            from oslo_policy import policy as oslo_policy
            enforcer.set_rules(oslo_policy.Rules.from_dict(self.rules),
                               overwrite=False)


class Notifications(fixtures.Fixture):
    """Record notifications with oslo.messaging's fake transport.

    ``messages`` is a list of (publisher_id, event_type, payload).
    """

    def __init__(self, conf=cfg.CONF):
        super().__init__()
        self.conf = conf

    def setUp(self):
        super().setUp()
        from oslo_messaging.notify import _impl_test

        from cinder_backup_reset import notifier
        from cinder_backup_reset import rpc

        # NOTE: the group exists only once something made a notifier or
        # a transport; a test that runs first in its worker must not
        # depend on which tests ran before it.
        rpc.register_opts(self.conf)
        self.useFixture(config_fixture.Config(self.conf)).config(
            driver=['test'], transport_url='fake:/',
            group='oslo_messaging_notifications')
        notifier.reset()
        _impl_test.reset()
        self._impl = _impl_test
        self.addCleanup(notifier.reset)
        self.addCleanup(_impl_test.reset)

    @property
    def messages(self):
        from cinder_backup_reset import notifier

        # NOTE: the sender thread may still hold some.
        notifier.flush()
        return [(message['publisher_id'], message['event_type'],
                 message['payload'])
                for _ctxt, message, _prio, _retry in self._impl.NOTIFICATIONS]
