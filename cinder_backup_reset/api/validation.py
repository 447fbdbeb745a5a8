"""Request body and query string validation with JSON Schema (400)."""

import functools

import jsonschema

from cinder_backup_reset import exception
from cinder_backup_reset.objects import fields

_FORMATS = jsonschema.FormatChecker()


@_FORMATS.checks('backup_status')
def _backup_status(value):
    # NOTE: case-insensitive, as Cinder's checker; non-strings are the
    # "type" keyword's business.
    if not isinstance(value, str):
        return True
    return value.lower() in fields.BackupStatus.RESET_TARGETS


def _message(error):
    if (error.validator == 'format' and
            error.validator_value == 'backup_status'):
        return ('Backup status: %s is invalid, valid statuses are: %s.' % (
            error.instance, ', '.join(fields.BackupStatus.RESET_TARGETS)))
    path = list(error.path)
    if not path:
        return error.message
    return 'Invalid input for field/attribute %s. Value: %s. %s' % (
        path[-1], _short(error.instance), error.message)


def _short(value, size=100):
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= size else text[:size] + '...'


def _check(validator, body):
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is not None:
        raise exception.ValidationError(detail=_message(error))


def schema(request_body_schema):
    """Decorate a controller method: validate ``body`` before the call.

    NOTE: the validator is built once, at import, not per request.
    """
    validator = jsonschema.Draft4Validator(request_body_schema,
                                           format_checker=_FORMATS)

    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, req, *args, body=None, **kwargs):
            _check(validator, body)
            return func(self, req, *args, body=body, **kwargs)
        return wrapper
    return decorator


def _query_message(error):
    path = list(error.path)
    if not path and error.validator == 'additionalProperties':
        known = error.schema.get('properties', {})
        unknown = sorted(set(error.instance) - set(known))
        return 'Invalid filter keys: %s. Valid keys are %s.' % (
            ', '.join(unknown), ', '.join(sorted(known)))
    name = path[0] if path else ''
    reason = error.schema.get('description') or error.message
    return 'Invalid input for query parameter %s. Value: %s. %s' % (
        name, _short(error.instance), reason)


def query_schema(query_params_schema):
    """Decorate a controller method: validate the query string first.

    As Cinder's ``validation.query_schema``: the schema sees
    ``req.GET.dict_of_lists()`` (every key's values as a list). Unknown
    keys are refused (400), not ignored, so a misspelt filter never
    silently lists everything.
    """
    validator = jsonschema.Draft4Validator(query_params_schema,
                                           format_checker=_FORMATS)

    def decorator(func):
        @functools.wraps(func)
        def wrapper(self, req, *args, **kwargs):
            error = jsonschema.exceptions.best_match(
                validator.iter_errors(req.GET.dict_of_lists()))
            if error is not None:
                raise exception.ValidationError(detail=_query_message(error))
            return func(self, req, *args, **kwargs)
        return wrapper
    return decorator
