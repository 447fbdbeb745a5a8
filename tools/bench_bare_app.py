"""The servers of tools/bench_reset.py: the API, or a bare webob app.

Both are served by cinder_backup_reset.cmd.api's APIServer with the
options gunicorn_options() derives from the same configuration file, so
the only difference between them is the application::

    CBR_BENCH_APP=bare python tools/bench_bare_app.py --config-file F
    CBR_BENCH_APP=api  python tools/bench_bare_app.py --config-file F

``api`` is exactly ``cinder-backup-reset-api`` (cmd.api.main), except
that the backup ids in CBR_BENCH_FAKE_VERIFIED (comma separated) verify
on the ``fake`` driver, for the runs where the posix driver is absent.
"""

import os
import sys

from oslo_config import cfg
import webob
import webob.dec

from cinder_backup_reset.cmd import api
from cinder_backup_reset import service


@webob.dec.wsgify
def application(req):
    """The floor: answer 202 with an empty body, read nothing else."""
    # NOTE: read the body, as any real handler must, so both servers do
    # the same socket work.
    req.body
    return webob.Response(status=202, content_type='application/json',
                          charset=None)


def _fake_verified():
    ids = os.environ.get('CBR_BENCH_FAKE_VERIFIED', '')
    if ids:
        from cinder_backup_reset.backup.drivers import fake
        for backup_id in ids.split(','):
            fake.FakeBackupDriver.outcomes[backup_id] = True


def main(argv=None):
    """Serve the app named by CBR_BENCH_APP (``api`` or ``bare``)."""
    argv = sys.argv[1:] if argv is None else argv
    if os.environ.get('CBR_BENCH_APP', 'api') != 'bare':
        _fake_verified()
        return api.main(argv)
    service.parse_args(argv)
    # NOTE: the same gunicorn settings as api.main gives the API.
    api.APIServer(application, api.gunicorn_options(cfg.CONF)).run()


if __name__ == '__main__':
    sys.exit(main())
