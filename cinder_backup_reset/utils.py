"""Small helpers shared across layers (no imports of the service's own)."""

import datetime


def isotime(value):
    """A naive UTC datetime as ISO 8601 text; anything else unchanged.

    The shape every timestamp of a history entry or a verification job
    takes on the wire (``2026-01-02T03:04:05.678901``, no offset).
    """
    if isinstance(value, datetime.datetime):
        return value.replace(tzinfo=None).isoformat()
    return value
