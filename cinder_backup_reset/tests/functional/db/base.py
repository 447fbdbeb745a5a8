"""Shared bits of the opportunistic database tests.

Each test case is written once as a mixin and run on SQLite, MySQL/MariaDB
and PostgreSQL by the three ``*SQLite/*MySQL/*PostgreSQL`` classes of its
module. oslo.db provisions a randomly named database per test on the
``openstack_citest`` account (see .ci/setup-databases.sh) or skips the test
with its own reason ("Backend 'mysql' is unavailable: ...") when the
server cannot be reached.
"""

from oslo_db.sqlalchemy import enginefacade
from oslo_db.sqlalchemy import test_fixtures
from oslo_utils import uuidutils
from oslotest import base

from cinder_backup_reset import context
from cinder_backup_reset.db import api as db_api
from cinder_backup_reset.tests import fixtures


def admin_context():
    """A new admin context: one per caller.

    enginefacade keeps the transaction on the context, so racing callers
    must not share one.
    """
    return context.RequestContext(user_id='u', project_id='p',
                                  is_admin=True, request_id='req-x')


class WithBackup:
    """The DB API on ``self.engine``, and ``self.backup`` in ``error``.

    The fixture tunes the engine as the service tunes its own.
    """

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.Database(engine=self.engine))
        self.backup = db_api.backup_create(
            admin_context(), {'id': uuidutils.generate_uuid(),
                              'volume_id': 'v', 'project_id': 'p',
                              'status': 'error'})


class OpportunisticTestCase(test_fixtures.OpportunisticDBTestMixin,
                            base.BaseTestCase):
    """A test with ``self.engine`` on a fresh provisioned database.

    The default FIXTURE is SQLite; backend classes set FIXTURE to
    MySQLOpportunisticFixture or PostgresqlOpportunisticFixture.
    """

    def setUp(self):
        super().setUp()
        # NOTE: oslo.db's fixture plugs the provisioned database into the
        # global enginefacade; our DB API has its own transaction manager,
        # which tests point at this engine with fixtures.Database.
        self.engine = enginefacade.writer.get_engine()


class MySQLMixin:
    FIXTURE = test_fixtures.MySQLOpportunisticFixture


class PostgreSQLMixin:
    FIXTURE = test_fixtures.PostgresqlOpportunisticFixture
