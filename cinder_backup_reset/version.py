"""Version information for cinder-backup-reset."""

import pbr.version

version_info = pbr.version.VersionInfo('cinder-backup-reset')


def version_string():
    """The installed package's full version, as pbr computed it.

    NOTE: pbr's ``version_string()`` drops the development suffix
    (``0.0.1`` for an installed ``0.0.1.dev123``); ``--version`` must name
    what is installed, so every command prints ``release_string()``.
    """
    return version_info.release_string()
