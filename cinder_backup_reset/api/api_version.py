"""The ``OpenStack-API-Version: volume X.Y`` header.

NOTE: we advertise only 3.0. Cinder's later microversions change shapes we
do not serve (and 3.43+ makes openstackclient PUT backup metadata), so
claiming them would be a lie that breaks clients; both cinderclient and
openstackclient negotiate down to what the versions document says.
"""

import re

from cinder_backup_reset import exception

SERVICE = 'volume'
HEADER = 'OpenStack-API-Version'
MIN_VERSION = (3, 0)
MAX_VERSION = (3, 0)
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
    """The version the request asks for (default 3.0); 400/406 if bad."""
    if is_legacy(req):
        return None
    raw = req.headers.get(HEADER)
    if not raw:
        return MIN_VERSION
    wanted = None
    for part in raw.split(','):
        words = part.split()
        if len(words) == 2 and words[0].lower() == SERVICE:
            wanted = words[1]
        elif len(words) != 2:
            raise exception.InvalidAPIVersionString(version=part.strip())
    if wanted is None:
        # NOTE: a header for other services only; the default applies.
        return MIN_VERSION
    version = parse(wanted)
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise exception.APIVersionNotSupported(
            version=to_string(version), min_ver=to_string(MIN_VERSION),
            max_ver=to_string(MAX_VERSION))
    return version


def add_headers(req, resp, version):
    """Add OpenStack-API-Version and Vary to a v3 response."""
    if is_legacy(req):
        return
    resp.headers[HEADER] = '%s %s' % (SERVICE,
                                      to_string(version or MIN_VERSION))
    resp.headers['Vary'] = HEADER
