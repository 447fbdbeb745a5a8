"""The values of a backup's fields, defined once.

The path and names are Cinder's (``cinder/objects/fields.py``
``BackupStatus``), so a Cinder developer finds them where they expect.
This package holds no versioned objects: the rows are SQLAlchemy models
(db/models.py). The module imports nothing, so the client may use it
too.
"""


class BackupStatus:
    """A backup's ``status`` (Cinder's BackupStatus)."""

    ERROR = 'error'
    ERROR_DELETING = 'error_deleting'
    CREATING = 'creating'
    AVAILABLE = 'available'
    DELETING = 'deleting'
    DELETED = 'deleted'
    RESTORING = 'restoring'

    #: every status (Cinder's BackupStatus.ALL, in its order)
    ALL = (ERROR, ERROR_DELETING, CREATING, AVAILABLE, DELETING, DELETED,
           RESTORING)

    #: the targets of a reset (the spec's, and Cinder's format checker's)
    RESET_TARGETS = (AVAILABLE, ERROR)

    #: a job runs: the backup is stuck if that job has died
    IN_PROGRESS = (CREATING, RESTORING, DELETING)
