"""Version information for cinder-backup-reset."""

import pbr.version

version_info = pbr.version.VersionInfo('cinder-backup-reset')
