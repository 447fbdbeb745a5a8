"""A fake backup driver for tests: verification outcome set per backup."""

from cinder_backup_reset.backup import driver
from cinder_backup_reset import exception


class FakeBackupDriver(driver.BackupDriver):
    """Verifies backups from an in-memory table of outcomes.

    ``FakeBackupDriver.outcomes[backup_id]`` is True (verifies), or a
    string (fails with that reason). Unknown backups fail verification,
    so a test can never mark a backup available by accident.
    """

    name = 'cinder_backup_reset.backup.drivers.fake.FakeBackupDriver'
    outcomes = {}
    calls = []

    def verify(self, context, backup, deep=False, progress=None):
        self.calls.append((backup.id, deep))
        outcome = self.outcomes.get(backup.id, 'no such backup on the fake '
                                               'backend')
        evidence = {'driver': 'fake', 'level': 'deep' if deep else 'shallow'}
        if outcome is True:
            return driver.VerifyResult(level=evidence['level'],
                                       evidence=evidence)
        raise exception.BackupVerifyFailed(backup_id=backup.id, reason=outcome,
                                           evidence=evidence)

    #: backup ids removed by delete()
    deleted = []

    def delete(self, context, backup):
        self.deleted.append(backup.id)
        return {'driver': 'fake', 'removed': [backup.id]}
