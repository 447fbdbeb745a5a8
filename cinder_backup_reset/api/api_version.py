"""The ``OpenStack-API-Version: volume X.Y`` header.

NOTE: we advertise Cinder's whole range, 3.0 to 3.71: openstacksdk sends
every backup action at microversion 3.64 whatever the server says, so a
narrower range would refuse ``openstack volume backup set --state``. The
backup views and actions we serve have the same shape at every version in
the range; the version-dependent parts (PUT backups/{id}: 3.9 for name and
description, 3.43 for metadata) check the request's version.
"""

import re

import microversion_parse

from cinder_backup_reset import exception

SERVICE = 'volume'
HEADER = 'OpenStack-API-Version'
MIN_VERSION = (3, 0)
MAX_VERSION = (3, 71)
ENVIRON_KEY = 'cinder_backup_reset.api_version'
_VERSION_RE = re.compile(r'^([1-9]\d*)\.([1-9]\d*|0)$')


def to_string(version):
    return '%d.%d' % version


def parse(text):
    """Parse 'X.Y' or 'latest'; raise InvalidAPIVersionString otherwise."""
    text = text.strip()
    if text == 'latest':
        return MAX_VERSION
    match = _VERSION_RE.match(text)
    if not match:
        raise exception.InvalidAPIVersionString(version=text)
    return int(match.group(1)), int(match.group(2))


def is_legacy(req):
    """True for the spec's /v2 path, which carries no version headers."""
    return req.script_name.rstrip('/').endswith('/v2')


def from_request(req):
    """The version the request asks for (default 3.0); 400/406 if bad.

    Returns None for the legacy /v2 path. As Cinder: microversion-parse
    finds the ``volume`` entry of the OpenStack-API-Version header (a
    header without one, or for other services only, asks for the
    default), and parse() holds it to Cinder's ``X.Y`` form.

    :raises InvalidAPIVersionString: 400, not ``X.Y`` or ``latest``.
    :raises APIVersionNotSupported: 406, outside MIN_VERSION..MAX_VERSION.
    """
    if is_legacy(req):
        return None
    wanted = microversion_parse.get_version(req.headers, SERVICE)
    if wanted is None:
        return MIN_VERSION
    version = parse(wanted)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise exception.APIVersionNotSupported(
            version=to_string(version), min_ver=to_string(MIN_VERSION),
            max_ver=to_string(MAX_VERSION))
    return version


def requested(req):
    """The version of this request (set by the Resource layer)."""
    return req.environ.get(ENVIRON_KEY) or MIN_VERSION


def add_headers(req, resp, version):
    """Add OpenStack-API-Version and Vary to a v3 response."""
    if is_legacy(req):
        return
    resp.headers[HEADER] = '%s %s' % (SERVICE,
                                      to_string(version or MIN_VERSION))
    resp.headers['Vary'] = HEADER
