"""SQLAlchemy models.

``backups`` and ``backup_metadata`` have exactly Cinder's columns and types
so the service can work on rows Cinder wrote; ``backup_status_history`` is
ours: the audit trail of every reset.
"""

from oslo_db.sqlalchemy import models
from oslo_utils import timeutils
import sqlalchemy as sa
from sqlalchemy import orm

BASE = orm.declarative_base()


class _CinderBase(models.TimestampMixin, models.ModelBase):
    """created_at/updated_at plus Cinder's soft delete columns."""

    __table_args__ = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8'}

    deleted_at = sa.Column(sa.DateTime)
    deleted = sa.Column(sa.Boolean, default=False)


class Backup(BASE, _CinderBase):
    """A volume backup, as Cinder stores it."""

    __tablename__ = 'backups'
    __table_args__ = (
        sa.Index('backups_deleted_project_id_idx', 'deleted', 'project_id'),
        # NOTE: the list calls filter on deleted and project_id and sort
        # by created_at desc, id desc; with this index a page is read in
        # order and the scan stops at the limit, instead of sorting all
        # of a project's rows (its cost grew with the table).
        sa.Index('backups_deleted_project_id_created_at_id_idx',
                 'deleted', 'project_id', 'created_at', 'id'),
        # NOTE: the stuck report reads one page per stuck status, each
        # an ordered range of this index (db/stuck.py).
        sa.Index('backups_deleted_status_created_at_id_idx',
                 'deleted', 'status', 'created_at', 'id'),
        _CinderBase.__table_args__,
    )

    id = sa.Column(sa.String(36), primary_key=True)
    volume_id = sa.Column(sa.String(36), nullable=False)
    user_id = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(255))
    host = sa.Column(sa.String(255))
    availability_zone = sa.Column(sa.String(255))
    display_name = sa.Column(sa.String(255))
    display_description = sa.Column(sa.String(255))
    container = sa.Column(sa.String(255))
    parent_id = sa.Column(sa.String(36))
    status = sa.Column(sa.String(255))
    fail_reason = sa.Column(sa.String(255))
    service_metadata = sa.Column(sa.String(255))
    service = sa.Column(sa.String(255))
    size = sa.Column(sa.Integer)
    object_count = sa.Column(sa.Integer)
    temp_volume_id = sa.Column(sa.String(36))
    temp_snapshot_id = sa.Column(sa.String(36))
    num_dependent_backups = sa.Column(sa.Integer, default=0)
    snapshot_id = sa.Column(sa.String(36))
    data_timestamp = sa.Column(sa.DateTime)
    restore_volume_id = sa.Column(sa.String(36))
    encryption_key_id = sa.Column(sa.String(36))

    metadata_items = orm.relationship(
        'BackupMetadata', lazy='selectin', viewonly=True,
        primaryjoin='and_(Backup.id == BackupMetadata.backup_id, '
                    'BackupMetadata.deleted == False)',
        foreign_keys='BackupMetadata.backup_id')


class BackupMetadata(BASE, _CinderBase):
    """Key/value metadata of a backup (Cinder's table)."""

    __tablename__ = 'backup_metadata'

    id = sa.Column(sa.Integer, primary_key=True)
    key = sa.Column(sa.String(255))
    value = sa.Column(sa.String(255))
    backup_id = sa.Column(sa.String(36), sa.ForeignKey('backups.id'),
                          nullable=False, index=True)


class BackupStatusHistory(BASE, models.ModelBase):
    """One applied (or verification-refused) status change of a backup."""

    __tablename__ = 'backup_status_history'
    __table_args__ = (
        sa.Index('backup_status_history_backup_id_idx', 'backup_id'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8'},
    )

    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    backup_id = sa.Column(sa.String(36), nullable=False)
    user_id = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(255))
    request_id = sa.Column(sa.String(255))
    from_status = sa.Column(sa.String(255))
    to_status = sa.Column(sa.String(255), nullable=False)
    reason = sa.Column(sa.String(255))
    verified = sa.Column(sa.String(16), nullable=False, default='skipped')
    evidence = sa.Column(sa.Text)
    created_at = sa.Column(sa.DateTime, nullable=False,
                           default=lambda: timeutils.utcnow())


class BackupVerification(BASE, models.ModelBase):
    """A verification job of a backup (``backup-verify``).

    ``runner`` is the ``[DEFAULT] host`` of the process that runs the job
    (the API under verify_via=local, the agent under rpc), so that a
    process starting again can tell which unfinished jobs were its own.
    """

    __tablename__ = 'backup_verifications'
    __table_args__ = (
        sa.Index('backup_verifications_backup_id_idx', 'backup_id'),
        sa.Index('backup_verifications_runner_status_idx', 'runner',
                 'status'),
        {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8'},
    )

    id = sa.Column(sa.String(36), primary_key=True)
    backup_id = sa.Column(sa.String(36), nullable=False)
    user_id = sa.Column(sa.String(255))
    project_id = sa.Column(sa.String(255))
    request_id = sa.Column(sa.String(255))
    level = sa.Column(sa.String(16), nullable=False)
    status = sa.Column(sa.String(16), nullable=False)
    runner = sa.Column(sa.String(255))
    bytes_done = sa.Column(sa.BigInteger, nullable=False, default=0)
    bytes_total = sa.Column(sa.BigInteger)
    reason = sa.Column(sa.Text)
    evidence = sa.Column(sa.Text)
    created_at = sa.Column(sa.DateTime, nullable=False,
                           default=lambda: timeutils.utcnow())
    updated_at = sa.Column(sa.DateTime)
