"""Whether the database is Cinder's: the rule our migrations follow.

NOTE: the service never alters a table it did not create. Cinder's initial
migration creates ``backups`` together with ``volumes``, ``snapshots`` and
``services``, which the service never creates; so where any of those
exists, ``backups`` and ``backup_metadata`` are Cinder's and our
migrations leave them alone.
"""

import sqlalchemy as sa

#: tables only Cinder creates
CINDER_ONLY_TABLES = frozenset(('volumes', 'snapshots', 'services'))


def present(bind):
    """True when ``bind``'s database holds Cinder's schema."""
    return bool(CINDER_ONLY_TABLES & set(sa.inspect(bind).get_table_names()))
