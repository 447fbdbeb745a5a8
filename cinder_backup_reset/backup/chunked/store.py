"""The object store a chunked backup lives in: the one thing a store adds.

Cinder's chunked backup format (chunked/format.py) is the same whatever
holds the objects: a posix directory or an NFS share (drivers/posix.py),
an S3 bucket, a Swift container. The chunked layer (chunked/driver.py,
shallow.py, deep.py, restore.py) reads backups only through this
interface, so a second store is one module: a subclass of ObjectStore and
a ChunkedBackupDriver subclass whose ``store_for`` returns it (see
tests/unit/backup/test_chunked_store.py for one kept in memory).

A *container* is the backup row's ``container`` (or Cinder's default,
``format.container_name``); a *name* is an object's name in it.
"""

import abc


class ObjectStore(metaclass=abc.ABCMeta):
    """Read and delete access to the objects of chunked backups.

    Errors: a method raises what its backend raises. ``unreadable(exc)``
    tells the chunked layer which of those mean the backend itself failed
    (no verdict on the backup: BackupBackendUnavailable), as opposed to a
    missing or damaged object (the backup is not whole).
    """

    @abc.abstractmethod
    def check_available(self, backup):
        """Refuse a store that cannot be read from here.

        :raises BackupBackendUnavailable: naming the cause.
        """

    @abc.abstractmethod
    def location(self, container=None, name=None):
        """Where the store, ``container`` or its object ``name`` is.

        For people: shown in evidence and messages (a path, a URL).
        """

    @abc.abstractmethod
    def container_exists(self, container):
        """Whether ``container`` exists (and is a container).

        :raises: the backend's error if it cannot tell.
        """

    @abc.abstractmethod
    def list(self, container):
        """The names of every object in ``container`` (any order)."""

    @abc.abstractmethod
    def exists(self, container, name):
        """Whether the object exists; False if that cannot be told."""

    @abc.abstractmethod
    def size(self, container, name):
        """The object's stored size, in bytes."""

    @abc.abstractmethod
    def open(self, container, name):
        """The object as a binary file object (``read``, ``seek``).

        The caller closes it (it is a context manager).
        """

    @abc.abstractmethod
    def delete(self, container, name):
        """Remove one object."""

    def unreadable(self, exc):
        """Whether ``exc`` means the backend failed, not the backup.

        The default knows of no such error.
        """
        return False
