"""Exceptions of cinder-backup-reset.

Every exception that can reach a caller carries the HTTP ``code`` it maps to
and a ``msg_fmt`` formatted with the keyword arguments, in the style of
Placement's and Cinder's exception modules. The fault middleware turns them
into Cinder's fault JSON; anything else becomes a 500 with no internals.
"""


class CinderBackupResetException(Exception):
    """Base exception: ``msg_fmt % kwargs`` is the user-facing message."""

    msg_fmt = 'An unknown exception occurred.'
    code = 500
    #: NOTE: only exceptions marked safe show their message to the caller;
    #: anything unexpected answers a generic text so internals never leak.
    safe = True

    def __init__(self, message=None, **kwargs):
        self.kwargs = kwargs
        if not message:
            try:
                message = self.msg_fmt % kwargs
            except (KeyError, TypeError):
                # NOTE: a wrong format string is a bug of ours; keep the
                # template rather than failing the request on it.
                message = self.msg_fmt
        self.msg = str(message)
        super().__init__(self.msg)


class Invalid(CinderBackupResetException):
    msg_fmt = 'Unacceptable parameters.'
    code = 400


class ValidationError(Invalid):
    msg_fmt = '%(detail)s'


class InvalidParameterValue(Invalid):
    msg_fmt = '%(err)s'


class MalformedRequestBody(Invalid):
    msg_fmt = 'Malformed request body: %(reason)s.'


class InvalidContentType(CinderBackupResetException):
    msg_fmt = 'Unsupported Content-Type: %(content_type)s.'
    code = 415


class RequestBodyTimeout(CinderBackupResetException):
    msg_fmt = ('The request body did not arrive in time: no data for '
               '%(seconds)s seconds ([DEFAULT] client_socket_timeout); '
               'nothing was changed.')
    code = 408


class InvalidAPIVersionString(Invalid):
    msg_fmt = ('API version string %(version)s is not valid. It must be of '
               'the form "volume MAJOR.MINOR".')


class APIVersionNotSupported(CinderBackupResetException):
    msg_fmt = ('Version %(version)s is not supported by the API. Minimum is '
               '%(min_ver)s and maximum is %(max_ver)s.')
    code = 406


class NotAuthorized(CinderBackupResetException):
    msg_fmt = 'Not authorized.'
    code = 403


class PolicyNotAuthorized(NotAuthorized):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."


class NotFound(CinderBackupResetException):
    msg_fmt = 'Resource could not be found.'
    code = 404


class BackupNotFound(NotFound):
    msg_fmt = 'Backup %(backup_id)s could not be found.'


class VerificationNotFound(NotFound):
    msg_fmt = ('Verification %(verification_id)s of backup %(backup_id)s '
               'could not be found.')


class MarkerNotFound(NotFound):
    msg_fmt = 'Marker %(marker)s could not be found.'
    code = 400


class Conflict(CinderBackupResetException):
    msg_fmt = 'Conflict.'
    code = 409


class BackupStatusConflict(Conflict):
    """A compare-and-swap lost: the status changed after it was read."""

    msg_fmt = ('Backup %(backup_id)s was not changed: its status was '
               '%(expected)s when read, but another operation changed it '
               'to %(actual)s first (a lost race). Read the backup again '
               'and retry if still needed.')


class BackupStatusNotExpected(BackupStatusConflict):
    """The caller's ``expected_status`` is not the backup's status."""

    msg_fmt = ('Backup %(backup_id)s was not reset: its status is '
               '%(actual)s, not %(expected)s as the request expected '
               '(expected_status). Read the backup again and retry if still '
               'needed.')


class InvalidBackup(Invalid):
    msg_fmt = 'Invalid backup: %(reason)s'


class BackupVerifyFailed(InvalidBackup):
    """The driver looked at the backend and the backup is not sound.

    ``evidence`` is a dict of what the driver checked, stored in the status
    history so an operator can see why.
    """

    msg_fmt = 'Backup %(backup_id)s failed verification: %(reason)s'

    def __init__(self, message=None, evidence=None, **kwargs):
        self.evidence = evidence or {}
        self.reason = kwargs.get('reason', message)
        super().__init__(message, **kwargs)


class BackupDriverMismatch(InvalidBackup):
    msg_fmt = ('Backup %(backup_id)s was written by backup service '
               '%(service)s, but this service is configured with '
               '%(configured)s; it cannot verify the backup. Reset it to '
               'error, or run the reset where %(service)s is configured.')


class BackupNothingToVerify(InvalidBackup):
    msg_fmt = ('Backup %(backup_id)s has no backup service recorded (it '
               'never reached a backup service), so there is no data to '
               'verify and it cannot become available. Reset it to error '
               'instead.')


class BackupBackendUnavailable(CinderBackupResetException):
    """The backend cannot be read here: nothing can be said about the data.

    Never a verdict about the backup: the reset changes nothing.
    """

    msg_fmt = ('Cannot verify backup %(backup_id)s: its backend cannot be '
               'read here: %(reason)s')
    code = 503


class AgentRefused(CinderBackupResetException):
    """The agent answered with an error; ``code`` is the one it gave."""

    msg_fmt = '%(message)s'

    def __init__(self, code, message):
        super().__init__(message=message)
        self.code = code


class BackupDriverNotFound(CinderBackupResetException):
    msg_fmt = 'Backup driver %(driver)s could not be loaded: %(reason)s'


class ExtensionNotFound(CinderBackupResetException):
    msg_fmt = 'API extension %(name)s could not be loaded: %(reason)s'


class DuplicateAction(CinderBackupResetException):
    msg_fmt = ('Action %(action)s is registered twice on %(collection)s '
               '(%(first)s and %(second)s).')


class ServiceUnavailable(CinderBackupResetException):
    msg_fmt = ('The service is temporarily unavailable: %(reason)s. Retry '
               'later.')
    code = 503


class DatabaseCommitInDoubt(ServiceUnavailable):
    msg_fmt = ('The database connection was lost while the change to '
               'backup %(backup_id)s was being committed; it may or may not '
               'have been applied. Check GET backups/%(backup_id)s/'
               'status-history for request %(request_id)s before retrying.')


class PasteConfigNotFound(CinderBackupResetException):
    msg_fmt = 'Could not find paste config at %(path)s.'


class KeystoneNotConfigured(CinderBackupResetException):
    msg_fmt = ('auth_strategy is keystone, but keystonemiddleware has no '
               'credentials to validate tokens with, so every request '
               'would fail: set [keystone_authtoken] auth_type (for '
               'example password) with the service user\'s auth_url, '
               'username, password, project_name, user_domain_name and '
               'project_domain_name, and www_authenticate_uri. '
               '(auth_strategy = noauth is for development only.)')


class InvalidDatabaseConnection(CinderBackupResetException):
    msg_fmt = ('[database] connection %(url)s cannot be used: %(reason)s')


class DatabaseUnusable(CinderBackupResetException):
    """The configured database could not be opened or reached."""

    msg_fmt = '%(problem)s'


class FilterConfigInvalid(CinderBackupResetException):
    """The backup_reset filter's config_file cannot be used (start-up)."""

    msg_fmt = 'config_file %(path)s of the backup_reset filter: %(reason)s'


class BackupDeleteUnsupported(Invalid):
    msg_fmt = ('Backup %(backup_id)s cannot be force-deleted: the backup '
               'driver %(driver)s cannot remove its data.')


class BackupHasDependents(Invalid):
    msg_fmt = ('Backup %(backup_id)s cannot be force-deleted: incremental '
               'backups depend on it (%(dependents)s). Delete them first.')
