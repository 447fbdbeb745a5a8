#    Licensed under the Apache License, Version 2.0 (the "License"); you may
#    not use this file except in compliance with the License. You may obtain
#    a copy of the License at
#
#         http://www.apache.org/licenses/LICENSE-2.0
#
#    Unless required by applicable law or agreed to in writing, software
#    distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#    WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#    License for the specific language governing permissions and limitations
#    under the License.

"""Subcommands of ``cinder-backup-reset``.

Each handler is ``do_x(client, args, stdout, stderr)`` and returns the
exit code; client errors it does not handle propagate to ``shell.main``.
"""

import argparse
import json

from cinder_backup_reset.client import exceptions
from cinder_backup_reset.client import output

STATES = ('available', 'error')

SAFETY_RULES = """\
safety rules (enforced by the server, admin only):
  * error: always allowed, from any status.
  * available from restoring: direct (the backup data already exists).
  * available from any other status (creating, error, ...): only after the
    backup driver verifies the backup on its backend. If verification
    fails the backup is set to error, the reason is stored in fail_reason
    and in the status history, and the command reports HTTP 400.
  * every change is compare-and-swap on the status the server read: if the
    backup changed meanwhile (a job finished, another reset) nothing is
    changed and HTTP 409 is reported. --expected-status makes the server
    refuse unless the backup is still in that status.
  * --dry-run checks and verifies but changes nothing.
  * every applied reset is recorded: see backup-status-history.

exit status: 0 when every backup was reset (or, with --dry-run, would
be); 1 when any was refused, failed verification or could not be found.
"""

READ_ONLY = ('This command only reads: it never changes a backup. To change '
             'a status use backup-reset-state (see its --help for the '
             'safety rules).')

# NOTE: the fatal errors are the same for every backup of the command;
# repeating them N times helps nobody, so they stop the loop.
_FATAL = (exceptions.ConnectionFailed, exceptions.Unauthorized,
          exceptions.AuthPluginError, exceptions.EndpointNotFound)

LIST_COLUMNS = [('ID', 'id'), ('Name', 'name'), ('Status', 'status'),
                ('Size', 'size'), ('Volume ID', 'volume_id'),
                ('Updated At', 'updated_at')]
LONG_COLUMNS = [('Fail Reason', 'fail_reason'),
                ('Availability Zone', 'availability_zone'),
                ('Created At', 'created_at'),
                ('Incremental', 'is_incremental')]
HISTORY_COLUMNS = [('Created At', 'created_at'), ('From', 'from_status'),
                   ('To', 'to_status'), ('Verified', 'verified'),
                   ('Reason', 'reason'), ('User ID', 'user_id'),
                   ('Request ID', 'request_id')]
RESULT_COLUMNS = [('Backup', 'backup'), ('ID', 'backup_id'),
                  ('From', 'from_status'), ('To', 'to_status'),
                  ('Status', 'status'), ('Result', 'result'),
                  ('Verified', 'verified')]


def _add_format(parser, choices=output.FORMATS, default='table'):
    parser.add_argument(
        '-f', '--format', choices=choices, default=default,
        help='Output format (default: %s).' % default)


def _verification_text(result):
    verified = result.get('verified') or 'skipped'
    level = (result.get('verification') or {}).get('level')
    return 'verification %s%s' % (verified, ' (%s)' % level if level else '')


def _outcome(result):
    """Return (ok, word) for a 202 reset outcome."""
    if result.get('verified') == 'failed':
        # NOTE: the server answers 400 when a real reset fails
        # verification; a 202 saying "failed" is a dry run that would be
        # refused, which the exit status must report too.
        return False, 'would-fail' if result.get('dry_run') else 'failed'
    if result.get('dry_run'):
        return True, 'dry-run'
    if not result.get('to_status'):
        # NOTE: a server answering like Cinder's os-reset_status (202, no
        # body) accepted the request but said nothing about the outcome.
        return True, 'accepted'
    if result.get('applied') is False:
        return True, 'unchanged'
    return True, 'reset'


def _result_line(ref, result):
    bid = result.get('backup_id')
    who = ref if not bid or bid == ref else '%s (%s)' % (ref, bid)
    word = result['result']
    if word == 'dry-run':
        what = 'dry run, nothing changed, %s' % _verification_text(result)
    elif word == 'would-fail':
        what = 'dry run, would be refused: %s' % _verification_text(result)
    elif word == 'accepted':
        return '%s: accepted, the server reported no outcome' % who
    elif word == 'unchanged':
        what = 'not applied, status is %s' % result.get('status')
    else:
        what = '%s, %s' % (word, _verification_text(result))
    return '%s: %s -> %s: %s' % (who, result.get('from_status'),
                                 result.get('to_status'), what)


def do_reset_state(client, args, stdout, stderr):
    """Reset each backup; print one line per backup."""
    results, failed = [], 0
    for ref in args.backups:
        backup_id = None
        try:
            backup_id = client.find(ref)['id']
            result = dict(client.reset_state(
                backup_id, args.state, reason=args.reason,
                expected_status=args.expected_status, dry_run=args.dry_run))
        except exceptions.ClientException as exc:
            failed += 1
            stderr.write('ERROR: %s: %s\n' % (ref, exc.format()))
            results.append({'backup': ref, 'backup_id': backup_id,
                            'result': 'error', 'error': {
                                'message': exc.message, 'code': exc.code,
                                'request_id': exc.request_id}})
            if isinstance(exc, _FATAL):
                break
            continue
        result.setdefault('backup_id', backup_id)
        ok, result['result'] = _outcome(result)
        result.update(backup=ref, error=None)
        failed += 0 if ok else 1
        results.append(result)
        if args.format == 'text':
            stdout.write(_result_line(ref, result) + '\n')
    if args.format == 'json':
        stdout.write(json.dumps(results, indent=2, sort_keys=True) + '\n')
    elif args.format == 'value':
        output.emit_list(stdout, 'value', RESULT_COLUMNS, results)
    return 1 if failed else 0


def do_list(client, args, stdout, stderr):
    """List backups (all pages)."""
    backups = client.list(all_projects=args.all_projects, name=args.name,
                          status=args.status, limit=args.limit)
    columns = LIST_COLUMNS + (LONG_COLUMNS if args.long else [])
    output.emit_list(stdout, args.format, columns, backups)
    return 0


def do_show(client, args, stdout, stderr):
    """Show one backup."""
    backup = client.find(args.backup)
    output.emit_one(stdout, args.format, backup, hidden=('links',))
    return 0


def do_status_history(client, args, stdout, stderr):
    """Show the status history of one backup."""
    backup = client.find(args.backup)
    entries = client.status_history(backup['id'])
    output.emit_list(stdout, args.format, HISTORY_COLUMNS, entries)
    return 0


def register(subparsers):
    """Add every subcommand to an argparse ``subparsers`` object."""
    raw = argparse.RawDescriptionHelpFormatter

    p = subparsers.add_parser(
        'backup-reset-state', formatter_class=raw, epilog=SAFETY_RULES,
        help='Reset the status of stuck backups (verified, audited).',
        description='Reset the status of one or more backups to available\n'
                    'or error, by name or ID; one result line per backup.')
    p.add_argument('--state', required=True, choices=STATES,
                   help='New status (required: there is no default for a '
                        'recovery action).')
    p.add_argument('--reason', metavar='<reason>',
                   help='Why; stored in the status history.')
    p.add_argument('--expected-status', metavar='<status>',
                   help='Refuse (HTTP 409) unless the backup is in this '
                        'status, e.g. creating.')
    p.add_argument('--dry-run', action='store_true', default=False,
                   help='Check the rules and verify, change nothing.')
    p.add_argument('backups', metavar='BACKUP', nargs='+',
                   help='Name or ID of a backup.')
    _add_format(p, choices=('text', 'json', 'value'), default='text')
    p.set_defaults(func=do_reset_state)

    p = subparsers.add_parser(
        'backup-list', epilog=READ_ONLY, help='List backups.',
        description='List backups, following every page of results.')
    p.add_argument('--all-projects', action='store_true', default=False,
                   help='Backups of every project (admin only).')
    p.add_argument('--name', metavar='<name>', help='Filter by name.')
    p.add_argument('--status', metavar='<status>',
                   help='Filter by status, e.g. creating or restoring.')
    p.add_argument('--limit', metavar='<n>', type=int,
                   help='Show at most this many backups.')
    p.add_argument('--long', action='store_true', default=False,
                   help='Also show fail reason, zone, creation time.')
    _add_format(p)
    p.set_defaults(func=do_list)

    p = subparsers.add_parser(
        'backup-show', epilog=READ_ONLY, help='Show a backup.',
        description='Show every field of one backup (by name or ID).')
    p.add_argument('backup', metavar='BACKUP', help='Name or ID.')
    _add_format(p)
    p.set_defaults(func=do_show)

    p = subparsers.add_parser(
        'backup-status-history', epilog=READ_ONLY,
        help='Show the status history of a backup.',
        description='Show who changed the status of a backup, when, from '
                    'what to what, why, and whether it was verified; '
                    'newest first. Use -f json for the verification '
                    'evidence.')
    p.add_argument('backup', metavar='BACKUP', help='Name or ID.')
    _add_format(p)
    p.set_defaults(func=do_status_history)
