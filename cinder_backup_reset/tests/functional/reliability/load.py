"""Fire many concurrent resets at a real server and record every answer."""

import collections
import concurrent.futures
import dataclasses
import os
import random
import sys
import threading

import requests
from testtools import content

from cinder_backup_reset.objects import fields

#: what a request may ask to be the expected status: the statuses these
#: backups can really have (so many match), plus one they never have
EXPECTED = ('available', 'error', 'creating', 'restoring', 'deleting')


@dataclasses.dataclass
class Shot:
    """One request and its answer."""

    backup_id: str
    action: str
    body: dict
    code: int = None
    request_id: str = None
    answer: dict = None


def plan(rng, backup_ids, count):
    """``count`` random resets: targets, actions, expected_status."""
    shots = []
    for _ in range(count):
        backup_id = rng.choice(backup_ids)
        status = rng.choice(fields.BackupStatus.RESET_TARGETS)
        if rng.random() < 0.2:
            body = {'os-reset_status': {'status': status}}
        else:
            args = {'status': status}
            # NOTE: sometimes omitted, sometimes right, often wrong: the
            # compare-and-swap must hold in every case.
            if rng.random() < 0.5:
                args['expected_status'] = rng.choice(EXPECTED)
            body = {'backup-reset_status': args}
        shots.append(Shot(backup_id, next(iter(body)), body))
    return shots


def fire(api, shots, threads=24, project='p1', timeout=60):
    """Send ``shots`` from ``threads`` keep-alive clients; fill answers."""
    local = threading.local()

    def send(shot):
        session = getattr(local, 'session', None)
        if session is None:
            session = local.session = requests.Session()
        resp = session.post(
            api.url('backups/%s/action' % shot.backup_id, project),
            json=shot.body, headers=api.headers('admin', project),
            timeout=timeout)
        shot.code = resp.status_code
        shot.request_id = resp.headers.get('x-openstack-request-id')
        shot.answer = resp.json() if resp.content else None
        return shot

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(send, shots))
    return shots


def counts(shots):
    """{(code, kind): n}, for the report.

    ``kind`` tells whether the request named an expected_status: a 409
    without one can only be a lost compare-and-swap race.
    """
    def kind(shot):
        args = shot.body[shot.action]
        return 'expected' if 'expected_status' in args else 'no-expected'
    return collections.Counter((s.code, kind(s)) for s in shots)


def new_rng(seed=None):
    """A seeded Random; the seed is part of the failure report."""
    seed = random.randrange(2 ** 32) if seed is None else seed
    return seed, random.Random(seed)


def report(test, name, text):
    """Attach ``text`` to ``test``, and print it if CBR_TEST_REPORT is set.

    NOTE: the figures of a passing run are otherwise never shown.
    """
    test.addDetail(name, content.text_content(text))
    if os.environ.get('CBR_TEST_REPORT'):
        print('%s %s: %s' % (test.id(), name, text), file=sys.stderr)
