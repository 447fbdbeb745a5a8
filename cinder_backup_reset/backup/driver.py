"""The backup driver interface.

Upstream Cinder made ``verify`` an optional mixin that no driver ever
implemented; here it is part of the required interface, and
tests/unit/backup/test_compliance.py checks every registered driver.
"""

import abc
import dataclasses

from oslo_log import log as logging
from oslo_utils import importutils

from cinder_backup_reset import exception
from cinder_backup_reset import plugins

LOG = logging.getLogger(__name__)

DRIVER_NAMESPACE = 'cinder_backup_reset.backup.drivers'


@dataclasses.dataclass
class VerifyResult:
    """What a successful verification checked.

    ``level`` is ``shallow`` or ``deep``; ``evidence`` is a JSON-able dict
    of the facts the driver established (object counts, sizes, ...), kept
    in the status history.
    """

    level: str
    evidence: dict


class BackupDriver(metaclass=abc.ABCMeta):
    """Base class of backup drivers.

    ``service_names`` are the values of ``backups.service`` that mean "this
    driver wrote it"; Cinder's names are included where the on-disk format
    is the same, and a prefix matches as Cinder matches.
    """

    #: the name recorded in ``backups.service`` for backups we write
    name = None
    #: other service names (Cinder's) whose backups this driver can read
    compatible_services = ()

    def __init__(self, conf):
        self.conf = conf

    def owns(self, service):
        """Whether a backup whose ``service`` is ``service`` is ours."""
        if not service:
            return False
        return any(known.startswith(service)
                   for known in (self.name,) + tuple(self.compatible_services))

    def check_verifiable(self, backup):
        """Refuse a backup this driver cannot verify.

        :raises BackupNothingToVerify: no backup service is recorded
            (nothing was ever written).
        :raises BackupDriverMismatch: another driver wrote it.
        """
        if not backup.service:
            raise exception.BackupNothingToVerify(backup_id=backup.id)
        if not self.owns(backup.service):
            raise exception.BackupDriverMismatch(
                backup_id=backup.id, service=backup.service,
                configured=self.name)

    def backend_problems(self):
        """Why the backend cannot be read from this host, if it cannot.

        Called at start-up, so that an operator hears of an unmounted share
        before the first reset meets it. The default knows of none.

        :returns: a list of sentences (empty when all looks readable).
        """
        return []

    @abc.abstractmethod
    def verify(self, context, backup, deep=False, progress=None):
        """Check that ``backup`` is complete and sound on the backend.

        Shallow (``deep=False``) checks what can be checked without reading
        the data and must be fast enough for an API call; deep reads every
        object. ``progress(done_bytes, total_bytes)`` is called as work
        advances when given.

        :returns: VerifyResult
        :raises BackupVerifyFailed: with the reason and the evidence.
        """

    def delete(self, context, backup):
        """Remove ``backup``'s data from the backend (force-delete).

        :returns: dict of evidence (what was removed).
        :raises BackupBackendUnavailable: the backend cannot be reached;
            nothing was removed.
        :raises BackupDeleteUnsupported: this driver cannot delete.
        """
        raise exception.BackupDeleteUnsupported(backup_id=backup.id,
                                                driver=self.name)


def load_driver(conf, name=None):
    """Instantiate the driver named ``name`` (default: backup_driver).

    A short name is looked up in the cinder_backup_reset.backup.drivers
    entry points; anything with a dot or colon is imported as a class path.
    """
    name = name or conf.backup_driver
    try:
        if '.' in name or ':' in name:
            cls = importutils.import_class(name.replace(':', '.'))
        else:
            cls = plugins.load(DRIVER_NAMESPACE, name)
    except (LookupError, ImportError, ValueError, AttributeError) as exc:
        raise exception.BackupDriverNotFound(driver=name, reason=exc)
    if not issubclass(cls, BackupDriver):
        raise exception.BackupDriverNotFound(
            driver=name, reason='%s is not a BackupDriver' % cls.__name__)
    return cls(conf)
