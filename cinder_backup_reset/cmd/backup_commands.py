"""``backup ...`` commands of cinder-backup-reset-manage.

Filled in by the posix driver work (create, restore, verify, list).
"""


def add_parsers(subparsers):
    """Register the ``backup`` command group."""
