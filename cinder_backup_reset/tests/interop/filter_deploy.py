"""A real cinder-api with the backup_reset filter in Cinder's api-paste.ini.

Deployment shape 3 of PRODUCT.md, built the way an operator builds it:
Cinder's own ``api-paste.ini`` (the copy the ``cinder`` wheel installs
under ``<prefix>/etc/cinder``) with ``backup_reset`` inserted right before
``apiv3`` in each of Cinder's pipelines, Cinder's schema from ``cinder-manage
db sync``, ours beside it on the same database, and the real ``cinder-api``
console script serving on 127.0.0.1 with a free port. Backups are written
in Cinder's posix format by our writer and recorded in Cinder's ``backups``
table with plain SQL against the table Cinder's migrations created, with
``service`` = Cinder's PosixBackupDriver.

Nothing here imports cinder: Cinder runs in its own processes.
"""

import datetime
import math
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request

from oslo_utils import uuidutils

from cinder_backup_reset.backup.chunked import format as fmt
from cinder_backup_reset.backup import posix_writer
from cinder_backup_reset.tests.interop import base

CINDER_POSIX = 'cinder.backup.drivers.posix.PosixBackupDriver'
CINDER_NFS = 'cinder.backup.drivers.nfs.NFSBackupDriver'
#: the pipelines of Cinder's api-paste.ini that end in apiv3
PIPELINES = ('noauth', 'noauth_include_project_id', 'keystone',
             'keystone_nolimit')
FILTER_SECTION = """
[filter:backup_reset]
use = egg:cinder-backup-reset#backup_reset
config_file = %s
"""
GiB = 1024 ** 3
#: a service user for keystonemiddleware, never contacted: the
#: AuthTokenFixture in serve_cinder_api answers for keystone
KEYSTONE_AUTHTOKEN = """
[keystone_authtoken]
auth_type = password
auth_url = http://keystone.example/v3
www_authenticate_uri = http://keystone.example/v3
username = cinder
password = not-used
project_name = service
user_domain_name = Default
project_domain_name = Default
"""
SERVE_MODULE = 'cinder_backup_reset.tests.interop.serve_cinder_api'


def cinder_paste_ini():
    """Path of the api-paste.ini the cinder wheel installed."""
    path = os.path.join(sys.prefix, 'etc', 'cinder', 'api-paste.ini')
    if not os.path.exists(path):
        raise RuntimeError('the cinder package did not install %s' % path)
    return path


def insert_filter(paste_text, config_file):
    """Cinder's paste text with backup_reset before apiv3 in each pipeline.

    This is the exact change the deployment guide documents.
    """
    names = '|'.join(PIPELINES)
    text, count = re.subn(r'(?m)^((?:%s)\s*=.*) apiv3\s*$' % names,
                          r'\1 backup_reset apiv3', paste_text)
    if count != len(PIPELINES):
        raise RuntimeError('expected %d pipelines ending in apiv3, found %d'
                           % (len(PIPELINES), count))
    return text + FILTER_SECTION % config_file


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class Deployment:
    """Files, database and cinder-api processes under ``root``."""

    def __init__(self, root, auth_strategy='noauth', extra_cinder_conf='',
                 extra_filter_conf=''):
        self.root = root
        self.auth_strategy = auth_strategy
        self.backup_path = os.path.join(root, 'backup')
        self.db_file = os.path.join(root, 'cinder.sqlite')
        self.url = 'sqlite:///%s' % self.db_file
        self.filter_conf = os.path.join(root, 'cinder-backup-reset.conf')
        self.extra_cinder_conf = extra_cinder_conf
        self.servers = {}
        for name in ('state', 'backup', 'lock'):
            os.makedirs(os.path.join(root, name), exist_ok=True)
        self.write_filter_conf(extra_filter_conf)

    # -- configuration -------------------------------------------------

    def write_filter_conf(self, extra=''):
        with open(self.filter_conf, 'w') as handle:
            handle.write(
                '[DEFAULT]\nstate_path = %(root)s/state\n'
                'backup_driver = posix\nbackup_posix_path = %(backup)s\n'
                '[database]\nconnection = %(url)s\n%(extra)s\n' % {
                    'root': self.root, 'backup': self.backup_path,
                    'url': self.url, 'extra': extra})

    def write_paste(self, name, with_filter=True, config_file=None):
        with open(cinder_paste_ini()) as handle:
            text = handle.read()
        if with_filter:
            text = insert_filter(text, config_file or self.filter_conf)
        path = os.path.join(self.root, name)
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def write_cinder_conf(self, name, paste, port):
        path = os.path.join(self.root, name)
        with open(path, 'w') as handle:
            handle.write(
                '[DEFAULT]\nauth_strategy = %(auth)s\n'
                'api_paste_config = %(paste)s\n'
                'osapi_volume_listen = 127.0.0.1\n'
                'osapi_volume_listen_port = %(port)d\n'
                'osapi_volume_workers = 1\n'
                'state_path = %(root)s/state\n'
                'backup_driver = %(posix)s\n'
                'backup_posix_path = %(backup)s\n'
                'transport_url = fake:/\n'
                '%(extra)s\n'
                '[database]\nconnection = %(url)s\n'
                '[oslo_concurrency]\nlock_path = %(root)s/lock\n'
                '%(keystone)s' % {
                    'auth': self.auth_strategy, 'paste': paste,
                    'port': port, 'root': self.root, 'posix': CINDER_POSIX,
                    'backup': self.backup_path, 'url': self.url,
                    'extra': self.extra_cinder_conf,
                    'keystone': KEYSTONE_AUTHTOKEN})
        return path

    # -- schema ----------------------------------------------------------

    def sync_schemas(self, test):
        """Cinder's schema, then ours on the same database."""
        conf = self.write_cinder_conf('cinder-manage.conf', 'unused', 1)
        test.run_command([base.bin_path('cinder-manage'), '--config-file',
                          conf, 'db', 'sync'])
        test.run_command(
            [base.bin_path('cinder-backup-reset-manage'), '--config-file',
             self.filter_conf, 'db', 'sync'])

    # -- data --------------------------------------------------------------

    def sql(self, statement, params=()):
        with sqlite3.connect(self.db_file) as conn:
            rows = conn.execute(statement, params).fetchall()
        return rows

    def create_backup(self, project_id, status='creating', data=None,
                      name=None, volume_id=None, user_id='owner',
                      service=CINDER_POSIX):
        """Write a posix backup of ``data`` and Cinder's row for it.

        :returns: the backup id
        """
        data = data if data is not None else os.urandom(200000)
        backup_id = uuidutils.generate_uuid()
        volume_id = volume_id or uuidutils.generate_uuid()
        now = datetime.datetime.now(datetime.timezone.utc).replace(
            microsecond=0)
        prefix = fmt.object_prefix(volume_id, backup_id, now)
        container = fmt.default_container(backup_id)
        spec = posix_writer.BackupSpec(
            backup_id=backup_id, volume_id=volume_id, prefix=prefix,
            container_path=posix_writer.make_container(self.backup_path,
                                                       container),
            name=name, description=None, created_at=now)
        source = os.path.join(self.root, 'volume-%s.img' % backup_id)
        with open(source, 'wb') as handle:
            handle.write(data)
        with open(source, 'rb') as handle:
            result = posix_writer.write_backup(
                handle, spec, 1999994880, 32768, 'zlib', total=len(data))
        stamp = now.replace(tzinfo=None).strftime('%Y-%m-%d %H:%M:%S')
        self.sql(
            'INSERT INTO backups (created_at, updated_at, deleted, id, '
            'volume_id, user_id, project_id, host, availability_zone, '
            'display_name, container, status, service_metadata, service, '
            'size, object_count, num_dependent_backups, data_timestamp) '
            'VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)',
            (stamp, stamp, backup_id, volume_id, user_id, project_id,
             'backup-host', 'nova', name, container, status, prefix,
             service, math.ceil(result.size_bytes / GiB),
             result.object_count, stamp))
        return backup_id

    def status(self, backup_id):
        return self.sql('SELECT status FROM backups WHERE id = ?',
                        (backup_id,))[0][0]

    def history(self, backup_id):
        return self.sql(
            'SELECT from_status, to_status, verified, request_id, user_id '
            'FROM backup_status_history WHERE backup_id = ? ORDER BY id',
            (backup_id,))

    # -- cinder-api ------------------------------------------------------

    def start_api(self, name, with_filter=True, paste=None):
        """Start cinder-api ``name``; return its base URL once it answers."""
        port = free_port()
        paste = paste or self.write_paste('api-paste-%s.ini' % name,
                                          with_filter)
        conf = self.write_cinder_conf('cinder-%s.conf' % name, paste, port)
        log = open(os.path.join(self.root, 'cinder-api-%s.log' % name), 'w')
        proc = subprocess.Popen(
            [base.bin_path('cinder-api'), '--config-file', conf],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        self.servers[name] = proc
        return self._wait(name, proc, 'http://127.0.0.1:%d' % port)

    def _wait(self, name, proc, url):
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError('cinder-api %s exited %s:\n%s' % (
                    name, proc.returncode, self.api_log(name)))
            try:
                urllib.request.urlopen(url + '/', timeout=2)
            except urllib.error.HTTPError:
                return url
            except OSError:
                time.sleep(0.3)
                continue
            return url
        raise RuntimeError('cinder-api %s did not answer:\n%s' % (
            name, self.api_log(name)))

    def start_paste_server(self, name, tokens, with_filter=True):
        """Cinder's paste app under AuthTokenFixture (serve_cinder_api.py).

        ``tokens``: AuthTokenFixture.add_token_data keyword arguments.
        """
        import json
        port = free_port()
        paste = self.write_paste('api-paste-%s.ini' % name, with_filter)
        conf = self.write_cinder_conf('cinder-%s.conf' % name, paste, port)
        tokens_file = os.path.join(self.root, 'tokens-%s.json' % name)
        with open(tokens_file, 'w') as handle:
            json.dump(tokens, handle)
        log = open(os.path.join(self.root, 'cinder-api-%s.log' % name), 'w')
        proc = subprocess.Popen(
            [sys.executable, '-m', SERVE_MODULE, conf, paste, str(port),
             tokens_file],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        self.servers[name] = proc
        return self._wait(name, proc, 'http://127.0.0.1:%d' % port)

    def api_log(self, name):
        with open(os.path.join(self.root,
                               'cinder-api-%s.log' % name)) as handle:
            return handle.read()

    def run_api_to_exit(self, paste, timeout=120):
        """Run cinder-api that is expected to stop; (returncode, output)."""
        conf = self.write_cinder_conf('cinder-failing.conf', paste,
                                      free_port())
        result = subprocess.run(
            [base.bin_path('cinder-api'), '--config-file', conf],
            capture_output=True, text=True, timeout=timeout,
            stdin=subprocess.DEVNULL)
        return result.returncode, result.stdout + result.stderr

    def stop(self):
        """Stop the cinder-api processes this deployment started."""
        for proc in self.servers.values():
            if proc.poll() is None:
                # NOTE: the launcher's process group: its own worker too.
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
        self.servers = {}
