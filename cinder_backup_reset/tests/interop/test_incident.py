"""Whole-incident recovery on a database Cinder's own migrations built.

Per database backend (SQLite; MariaDB and PostgreSQL when they answer),
real Cinder's objects leave what an outage leaves (cinder_side.py
``incident``): a dead ``cinder-backup`` service, an attached volume backed
up with ``--force`` (``backing-up``, ``previous_status`` ``in-use``), two
backups of one volume, a snapshot being backed up and a restore target
``restoring-backup``. Then, through our API:

- the stuck report finds every one of those backups, service down;
- a reset of one of the two backups of a volume leaves the volume alone
  (the other is still creating) and says so; the next one returns it;
- one bulk reset recovers the rest: the attached volume back to
  ``in-use``, the snapshot ``available``, the restore target
  ``error_restoring``, each listed in the outcome and the history row.
"""

import datetime

from oslo_utils import timeutils
import requests
import sqlalchemy as sa

from cinder_backup_reset.db import cinder_tables as ct
from cinder_backup_reset.tests.functional.fixtures import server
from cinder_backup_reset.tests.interop import base
from cinder_backup_reset.tests.interop import fixtures as interop_fixtures

PROJECT = interop_fixtures.PROJECT


class _Incident:
    BACKEND = None

    def setUp(self):
        super().setUp()
        self.db = self.cinder_database(self.BACKEND)
        self.db.ours_manage('db', 'sync')
        self.made = self.db.cinder_side('incident', {'host': 'backup-host'})
        # NOTE: the service's last heartbeat (Cinder's report_state writes
        # updated_at) was ten minutes ago: it died in the outage.
        beat = timeutils.utcnow() - datetime.timedelta(minutes=10)
        with self.db.engine.begin() as conn:
            conn.execute(ct.SERVICES.update().where(
                ct.SERVICES.c.id == self.made['service_id']).values(
                updated_at=beat, created_at=beat))
        self.api = self.useFixture(server.APIServer(config={
            'DEFAULT': {'backup_posix_path': self.db.posix_path},
            'database': {'connection': self.db.url}}))

    def call(self, method, path, body=None):
        resp = requests.request(
            method, self.api.url(path, PROJECT), json=body,
            headers=self.api.headers('admin', PROJECT), timeout=120)
        return resp

    def status(self, table, ident):
        with self.db.engine.connect() as conn:
            return conn.execute(sa.select(table.c.status).where(
                table.c.id == ident)).scalar()

    def test_incident(self):
        made = self.made
        backups = {made[key] for key in (
            'forced_backup', 'first_backup', 'second_backup',
            'snapshot_backup', 'restoring_backup')}

        resp = self.call('GET', 'backups/detail?stuck=true')
        self.assertEqual(200, resp.status_code, resp.text)
        listed = resp.json()['backups']
        self.assertEqual(backups, {b['id'] for b in listed})
        for item in listed:
            self.assertEqual(
                {'reason': 'service_down', 'host': 'backup-host',
                 'service_up': False},
                {key: item['stuck'][key]
                 for key in ('reason', 'host', 'service_up')})

        # NOTE: two backups of one volume: the first reset leaves the
        # volume to the second, still creating.
        resp = self.call('POST', 'backups/%s/action' % made['first_backup'],
                         {'backup-reset_status': {'status': 'error'}})
        self.assertEqual(202, resp.status_code, resp.text)
        volumes = resp.json()['backup_reset']['volumes']
        self.assertEqual([(made['twice_volume'], False)],
                         [(v['id'], v['applied']) for v in volumes])
        self.assertIn('another backup', volumes[0]['reason'])
        self.assertEqual('backing-up',
                         self.status(ct.VOLUMES, made['twice_volume']))

        resp = self.call('POST', 'backups/action', {
            'backup-reset_status': {'status': 'error',
                                    'filter': {'stuck': True}}})
        self.assertEqual(200, resp.status_code, resp.text)
        result = resp.json()
        self.assertEqual(4, result['matched'])
        changes = {}
        for entry in result['backup_resets']:
            self.assertNotIn('error', entry)
            self.assertTrue(entry['outcome']['applied'])
            for change in entry['outcome']['volumes']:
                self.assertTrue(change['applied'], change)
                changes[change['id']] = change['to_status']
        self.assertEqual({made['attached_volume']: 'in-use',
                          made['twice_volume']: 'available',
                          made['snapshot']: 'available',
                          made['target_volume']: 'error_restoring'},
                         changes)
        self.assertEqual('in-use',
                         self.status(ct.VOLUMES, made['attached_volume']))
        self.assertEqual('available',
                         self.status(ct.VOLUMES, made['twice_volume']))
        self.assertEqual('available',
                         self.status(ct.SNAPSHOTS, made['snapshot']))
        self.assertEqual('error_restoring',
                         self.status(ct.VOLUMES, made['target_volume']))
        self.assertEqual('available',
                         self.status(ct.VOLUMES, made['source_volume']))

        history = self.call('GET', 'backups/%s/status-history'
                            % made['forced_backup']).json()
        self.assertEqual(
            [(made['attached_volume'], 'backing-up', 'in-use', True)],
            [(v['id'], v['from_status'], v['to_status'], v['applied'])
             for v in history['status_history'][0]['evidence']['volumes']])
        resp = self.call('GET', 'backups/detail?stuck=true')
        self.assertEqual([], resp.json()['backups'])


class TestIncidentSQLite(_Incident, base.InteropTestCase):
    BACKEND = 'sqlite'


class TestIncidentMySQL(_Incident, base.InteropTestCase):
    BACKEND = 'mysql'


class TestIncidentPostgreSQL(_Incident, base.InteropTestCase):
    BACKEND = 'postgresql'
