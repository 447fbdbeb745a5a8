"""Whether the database is Cinder's: the rule our migrations follow.

NOTE: the service never alters a table it did not create. Cinder's initial
migration creates ``backups`` together with ``volumes``, ``snapshots`` and
``services``, which the service never creates; so where any of those
exists, ``backups`` and ``backup_metadata`` are Cinder's and our
migrations leave them alone.
"""

from alembic import op
import sqlalchemy as sa

#: tables only Cinder creates
CINDER_ONLY_TABLES = frozenset(('volumes', 'snapshots', 'services'))


def present(bind):
    """True when ``bind``'s database holds Cinder's schema."""
    return bool(CINDER_ONLY_TABLES & set(sa.inspect(bind).get_table_names()))


def index_own_backups(name, columns):
    """Create index ``name`` on ``backups (columns)``, if the table is ours.

    For a migration's upgrade(): nothing on Cinder's database (the table
    is Cinder's, and we never alter it) nor where the index already is.
    """
    bind = op.get_bind()
    if present(bind):
        return
    existing = {ix['name'] for ix in sa.inspect(bind).get_indexes('backups')}
    if name not in existing:
        op.create_index(name, 'backups', columns)
