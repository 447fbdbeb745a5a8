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
"""

import copy
import os
import sys

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
    return 0


if __name__ == '__main__':
    sys.exit(main())
