#!/usr/bin/env python3
"""What each WSGI layer of the API pipeline costs a reset, in place.

    python tools/bench_layers.py [--db sqlite|mysql|postgresql] [--rounds N]

Loads the service's paste pipeline as tools/bench_reset.py does (noauth,
posix driver, a real backup), then builds copies of the /v3 pipeline with
one middleware left out each (but the auth layer, which makes the
request context), and resets through all of them in
interleaved batches (the order flips every round). A layer's cost is the
median time per reset of the whole pipeline minus that of the pipeline
without it: measured inside a real reset, with its cold caches, not in a
loop of its own (where the same code looks two to three times cheaper).

A second table puts parts of a reset beside the whole, interleaved the
same way: the reset without its audit log line (the manager's logger
disabled), the database part alone (the reset scope, the read, the
compare-and-swap with its history row and the commit, called through the
DB API on another backup) and the SQL alternative's transaction, on a
plain SQLAlchemy engine (as tools/bench_reset.py runs it) and on the
service's own (oslo.db's, tuned as the service tunes it).
"""

import copy
import logging
import os
import sys

import sqlalchemy as sa
import webob

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_reset  # noqa: E402


#: layers a reset cannot do without (the request context comes from it)
ESSENTIAL = ('NoAuthMiddleware',)


def chain_of(app):
    """The /v3 pipeline's layers, outermost first."""
    v3 = dict((path, sub) for (_domain, path), sub in app.applications)['/v3']
    layers = []
    while v3 is not None:
        layers.append(v3)
        v3 = getattr(v3, 'application', None)
    return layers


def without(layers, name):
    """A copy of the pipeline without the layer whose class is ``name``."""
    kept = [copy.copy(layer) for layer in layers
            if type(layer).__name__ != name]
    for outer, inner in zip(kept, kept[1:]):
        outer.application = inner
    return kept[0]


def resetter(app, backup_id, toggle):
    path = '/%s/backups/%s/action' % (bench_reset.PROJECT, backup_id)

    def run(n):
        for _ in range(n):
            req = webob.Request.blank(
                path, method='POST', headers=bench_reset.ADMIN_HEADERS,
                body=bench_reset.reset_body(toggle.next()))
            req.environ['SCRIPT_NAME'] = '/v3'
            resp = req.get_response(app)
            if resp.status_int != 202:
                raise RuntimeError('reset answered %s: %s' % (
                    resp.status, resp.body[:300]))
    return run


def main(argv=None):
    args = bench_reset.small_bench_args(__doc__.split('\n')[0], 'sqlite',
                                        argv)
    with bench_reset.throwaway_database(args.db, 'layers') as pair:
        db, state_path = pair
        config = {
            'DEFAULT': {'auth_strategy': 'noauth', 'state_path': state_path,
                        'backup_driver': 'posix',
                        'backup_posix_path': os.path.join(state_path,
                                                          'backup'),
                        'log_file': os.path.join(state_path, 'layers.log')},
            'database': {'connection': db.url},
        }
        config_file = os.path.join(state_path, 'layers.conf')
        bench_reset.write_config(config_file, config)
        backup_id, = bench_reset.create_posix_backups(db, config_file,
                                                      state_path, 1)
        inproc = bench_reset.InProcess(config_file, 'posix')
        layers = chain_of(inproc.app)
        print('pipeline: %s' % ' -> '.join(type(layer).__name__
                                           for layer in layers))
        toggle = bench_reset.Toggle()
        funcs = {'whole pipeline': resetter(layers[0], backup_id, toggle)}
        for layer in layers[:-1]:
            name = type(layer).__name__
            if name in ESSENTIAL:
                continue
            funcs['without ' + name] = resetter(without(layers, name),
                                                backup_id, toggle)
        samples = bench_reset.interleave(funcs, args.rounds, args.batch)
        print('%d rounds of %d resets per variant, %s' % (
            args.rounds, args.batch, args.db))
        # NOTE: a layer costs what the pipeline saves without it.
        bench_reset.print_against(samples, 'whole pipeline', 36,
                                  'layer costs', sign=-1)

        plain = sa.create_engine(db.url)
        funcs = parts(db, plain, resetter(layers[0], backup_id, toggle))
        try:
            samples = bench_reset.interleave(funcs, args.rounds, args.batch)
        finally:
            # NOTE: PostgreSQL refuses to drop a database still connected.
            plain.dispose()
        print('parts of a reset, %d rounds of %d, %s' % (
            args.rounds, args.batch, args.db))
        bench_reset.print_against(samples, 'whole reset', 36,
                                  'against the whole')
    return 0


def parts(db, plain, whole):
    """The whole reset and the parts measured beside it (see above).

    ``plain`` is a plain SQLAlchemy engine on ``db``.
    """
    from cinder_backup_reset import context
    from cinder_backup_reset.db import api as db_api

    manager_log = logging.getLogger('cinder_backup_reset.manager')

    def without_log(n):
        manager_log.disabled = True
        try:
            whole(n)
        finally:
            manager_log.disabled = False

    ctx = context.RequestContext(user_id='admin',
                                 project_id=bench_reset.PROJECT,
                                 roles=['admin'], is_admin=True)
    db_id, sql_id = bench_reset.create_fake_backups(db, 2)
    toggle = bench_reset.Toggle()

    def database_part(n):
        for _ in range(n):
            backup = db_api.backup_get(ctx, db_id, with_metadata=False)
            status = toggle.next()
            db_api.backup_conditional_update(
                ctx, db_id, backup.status,
                {'status': status, 'fail_reason': None},
                history={'from_status': backup.status,
                         'to_status': status, 'reason': None,
                         'verified': 'skipped', 'evidence': {}})

    # NOTE: the SQL alternative as bench_reset.py runs it (plain
    # SQLAlchemy, what an operator's script would use), and the same
    # transaction on the service's own engine (oslo.db's, tuned).
    return {'whole reset': whole,
            'without the audit log line': without_log,
            'database part alone': database_part,
            'SQL alternative': bench_reset.sql_alternative(plain, sql_id),
            "SQL alternative, service's engine": bench_reset.sql_alternative(
                db_api.get_engine(), sql_id)}


if __name__ == '__main__':
    sys.exit(main())
