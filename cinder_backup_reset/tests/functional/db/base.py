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
import testtools


class OpportunisticTestCase(test_fixtures.OpportunisticDBTestMixin,
                            testtools.TestCase):
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
