#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Client library for the cinder-backup-reset API.

Example, with any keystoneauth1 session::

    from keystoneauth1 import session
    from cinder_backup_reset import client
    from cinder_backup_reset.client import noauth

    auth = noauth.NoAuthPlugin('admin', 'admin',
                               endpoint='http://127.0.0.1:8776/v3')
    c = client.Client(session.Session(auth=auth))
    backup = c.find('nightly-db')
    result = c.reset_state(backup, 'available', reason='db outage')
    job = c.wait_for_verification(c.verify(backup, level='deep'))
"""

import time
import urllib.parse

from keystoneauth1 import adapter as ks_adapter
from keystoneauth1 import exceptions as ks_exc
from oslo_utils import uuidutils

from cinder_backup_reset.client import exceptions
from cinder_backup_reset import version

#: The action key of this service (Cinder's os-reset_status has no result).
RESET_ACTION = 'backup-reset_status'
SERVICE_TYPE = 'block-storage'
#: The action key that starts a verification job.
VERIFY_ACTION = 'backup-verify'
LEVEL_SHALLOW = 'shallow'
LEVEL_DEEP = 'deep'
#: Verification job states that are not final.
VERIFY_PENDING = ('queued', 'running')


def _backup_id(backup):
    """Accept a backup dict (as returned here) or an id string."""
    if isinstance(backup, dict):
        return backup['id']
    return backup


class Client(object):
    """Talk to the backups resource through a keystoneauth1 session.

    :param session: a ``keystoneauth1.session.Session`` with any auth
        plugin, including :class:`~cinder_backup_reset.client.noauth.
        NoAuthPlugin`.
    :param endpoint_override: use this API base instead of the catalog.
    :param service_type: catalog type; keystoneauth also matches its
        aliases (``volumev3``, ``volume``).
    :param interface: catalog interface (``public``, ``internal``...).
    :param region_name: catalog region.
    """

    def __init__(self, session, endpoint_override=None,
                 service_type=SERVICE_TYPE, interface=None,
                 region_name=None, service_name=None):
        self.adapter = ks_adapter.Adapter(
            session, service_type=service_type, service_name=service_name,
            interface=interface, region_name=region_name,
            endpoint_override=endpoint_override,
            client_name='cinder-backup-reset',
            client_version=version.version_string())
        #: Request id of the last answered request (success or error).
        self.last_request_id = None

    def _request(self, method, url, body=None, params=None):
        """Send one request; return the decoded JSON body (or {}).

        :raises ClientException: (a subclass of) for every error; answers
            >= 400 are raised by keystoneauth and translated by
            :func:`~cinder_backup_reset.client.exceptions.from_keystoneauth`.
        """
        headers = {'Accept': 'application/json'}
        kwargs = {'headers': headers}
        if body is not None:
            kwargs['json'] = body
            headers['Content-Type'] = 'application/json'
        if params:
            kwargs['params'] = params
        try:
            resp = self.adapter.request(url, method, **kwargs)
        except ks_exc.ClientException as exc:
            error = exceptions.from_keystoneauth(exc)
            if error.request_id:
                self.last_request_id = error.request_id
            raise error from exc
        self.last_request_id = exceptions.request_id_from_headers(
            resp.headers)
        if not resp.content:
            return {}
        try:
            return resp.json()
        except ValueError:
            raise exceptions.ClientException(
                message='Malformed JSON in the answer to %s %s'
                % (method, url), code=resp.status_code,
                request_id=self.last_request_id)

    def get(self, backup_id):
        """Return one backup (a dict of Cinder's detailed view)."""
        return self._request('GET', 'backups/%s' % backup_id)['backup']

    def list(self, detailed=True, all_projects=False, name=None,
             status=None, limit=None, marker=None, **filters):
        """Return backups, following ``backups_links`` across pages.

        :param all_projects: send ``all_tenants=1`` (admin only).
        :param name: only backups whose name matches (server filter).
        :param status: only backups in this status.
        :param limit: stop after this many backups (also the page size).
        :param marker: start after this backup id.
        :param filters: any other query filter the server accepts.
        """
        params = {k: v for k, v in filters.items() if v is not None}
        if all_projects:
            params['all_tenants'] = 1
        if name is not None:
            params['name'] = name
        if status is not None:
            params['status'] = status
        if marker:
            params['marker'] = marker
        url = 'backups/detail' if detailed else 'backups'
        backups = []
        seen_markers = set()
        while True:
            if limit is not None:
                params['limit'] = limit - len(backups)
            body = self._request('GET', url, params=params)
            backups.extend(body.get('backups', []))
            next_marker = self._next_marker(body)
            if (next_marker is None or next_marker in seen_markers or
                    (limit is not None and len(backups) >= limit)):
                break
            # NOTE: only the marker is taken from the next link, the host
            # is ours: behind a proxy the server may build the link with
            # an internal address we cannot reach. A repeated marker
            # would loop forever, so it ends the walk.
            seen_markers.add(next_marker)
            params['marker'] = next_marker
        return backups[:limit] if limit is not None else backups

    @staticmethod
    def _next_marker(body):
        for link in body.get('backups_links') or []:
            if link.get('rel') == 'next' and link.get('href'):
                query = urllib.parse.urlparse(link['href']).query
                markers = urllib.parse.parse_qs(query).get('marker')
                if markers:
                    return markers[-1]
        return None

    def find(self, name_or_id):
        """Return the one backup with this ID or name.

        A UUID-looking argument is first fetched by ID; otherwise (or on
        404) backups of all projects with exactly this name are listed.

        :raises NotFound: no backup has this name or ID.
        :raises NoUniqueMatch: several backups have this name.
        """
        if uuidutils.is_uuid_like(name_or_id):
            try:
                return self.get(name_or_id)
            except exceptions.NotFound:
                pass
        # NOTE: the server's name filter may be inexact (substring or
        # case-insensitive on some databases); keep exact matches only.
        matches = [b for b in self.list(all_projects=True, name=name_or_id)
                   if b.get('name') == name_or_id]
        if not matches:
            raise exceptions.NotFound(
                message="No backup with a name or ID of '%s' exists."
                % name_or_id, code=None)
        if len(matches) > 1:
            ids = ', '.join(sorted(b['id'] for b in matches))
            raise exceptions.NoUniqueMatch(
                message="Multiple backups are named '%s' (%s); use an ID."
                % (name_or_id, ids))
        return matches[0]

    def reset_state(self, backup, state, reason=None, expected_status=None,
                    dry_run=False):
        """Reset a backup's status to ``available`` or ``error``.

        The server verifies the backup on its backend before making it
        ``available`` (except from ``restoring``), and writes the status
        only if it is still the one it read (or ``expected_status``).

        :param backup: a backup dict or ID.
        :param state: ``available`` or ``error``.
        :param reason: recorded in the status history.
        :param expected_status: refuse (409) unless the backup is in it.
        :param dry_run: check and verify, change nothing.
        :returns: the server's ``backup_reset`` outcome dict (from_status,
            to_status, status, applied, dry_run, verified, verification,
            reason, history).
        :raises BadRequest: invalid state or verification failed (the
            backup is then in ``error``).
        :raises Conflict: the status changed meanwhile; nothing changed.
        """
        action = {'status': state}
        if reason is not None:
            action['reason'] = reason
        if expected_status is not None:
            action['expected_status'] = expected_status
        if dry_run:
            action['dry_run'] = True
        body = self._request('POST', 'backups/%s/action' % _backup_id(backup),
                             body={RESET_ACTION: action})
        return body.get('backup_reset', body)

    def bulk_reset_state(self, state, stuck=True, status=None, host=None,
                         older_than=None, all_projects=False, maximum=None,
                         reason=None, dry_run=False, reconcile=True):
        """Reset every backup a filter selects (``POST backups/action``).

        :param state: ``available`` or ``error``.
        :param stuck: only stuck backups (the server's rule).
        :param status: only backups in this status.
        :param host: only backups of this backup host.
        :param older_than: only backups without progress for more than
            this many seconds.
        :param all_projects: every project's backups (admin).
        :param maximum: refuse (400, nothing changed) when more match;
            None: the server's default.
        :param reconcile: also return volumes and snapshots.
        :returns: ``{"matched": N, "backup_resets": [{"backup_id",
            "outcome"} or {"backup_id", "error": {"code", "message"}}]}``.
        :raises BadRequest: more matches than ``maximum``, or a bad filter.
        """
        match = {}
        if stuck:
            match['stuck'] = True
        for key, value in (('status', status), ('host', host),
                           ('older_than', older_than)):
            if value is not None:
                match[key] = value
        if all_projects:
            match['all_tenants'] = True
        action = {'status': state, 'filter': match}
        if maximum is not None:
            action['max'] = maximum
        if reason is not None:
            action['reason'] = reason
        if dry_run:
            action['dry_run'] = True
        if not reconcile:
            action['reconcile'] = False
        return self._request('POST', 'backups/action',
                             body={RESET_ACTION: action})

    def status_history(self, backup):
        """Return the status history entries of a backup, newest first."""
        body = self._request(
            'GET', 'backups/%s/status-history' % _backup_id(backup))
        return body.get('status_history', [])

    def verify(self, backup, level=LEVEL_SHALLOW):
        """Start a verification job for a backup.

        The job never changes the backup's status; it reports whether
        the backup is whole on its backend.

        :param backup: a backup dict or ID.
        :param level: ``shallow`` (metadata, object list, sizes) or
            ``deep`` (decompress and checksum every block).
        :returns: the ``verification`` dict of the 202 answer (id,
            backup_id, level, status, progress, reason, evidence,
            created_at, updated_at).
        :raises BadRequest: invalid level.
        :raises Forbidden: not an administrator.
        """
        body = self._request(
            'POST', 'backups/%s/action' % _backup_id(backup),
            body={VERIFY_ACTION: {'level': level}})
        return body.get('verification', body)

    def get_verification(self, backup, verification_id):
        """Return one verification job of a backup (a dict)."""
        return self._request(
            'GET', 'backups/%s/verifications/%s'
            % (_backup_id(backup), verification_id))['verification']

    def list_verifications(self, backup):
        """Return the verification jobs of a backup, newest first."""
        body = self._request(
            'GET', 'backups/%s/verifications' % _backup_id(backup))
        return body.get('verifications', [])

    def wait_for_verification(self, verification, interval=2.0,
                              timeout=None, callback=None,
                              sleep=time.sleep, clock=time.monotonic):
        """Poll a verification job until it is no longer queued/running.

        :param verification: the dict returned by :meth:`verify` (needs
            ``id`` and ``backup_id``).
        :param interval: seconds between two polls.
        :param timeout: give up after this many seconds (None: never).
        :param callback: called with each polled verification dict, e.g.
            to draw progress.
        :param sleep: the function that waits ``interval`` seconds.
        :param clock: a monotonic clock in seconds (for ``timeout``).
        :returns: the final verification dict (status ``passed``,
            ``failed`` or ``unavailable``).
        :raises VerificationTimeout: still running after ``timeout``.
        """
        job = verification
        deadline = None if timeout is None else clock() + timeout
        while job.get('status') in VERIFY_PENDING:
            if deadline is not None and clock() >= deadline:
                raise exceptions.VerificationTimeout(
                    message='Verification %s of backup %s is still %s '
                            'after %s seconds.'
                    % (job.get('id'), job.get('backup_id'),
                       job.get('status'), timeout))
            sleep(interval)
            job = self.get_verification(job['backup_id'], job['id'])
            if callback is not None:
                callback(job)
        return job
