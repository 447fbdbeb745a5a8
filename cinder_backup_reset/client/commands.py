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

"""Commands of ``cinder-backup-reset`` and of the openstackclient plugin.

They are cliff commands: the standalone shell (:mod:`.shell`) registers
them as ``backup-reset-state``, ``backup-list``, ``backup-show``,
``backup-status-history`` and ``backup-verify``; ``openstack`` finds
``volume backup reset-state``, ``volume backup status history`` and
``volume backup verify`` through the ``openstack.backup_reset.v1`` entry
points (:mod:`.osc`). Both shells hand the commands a client manager whose
``backup_reset`` attribute is a :class:`cinder_backup_reset.client.Client`.

Errors are printed as ``ERROR: <message>`` on stderr and the command
exits 1, the same in both shells.
"""

import argparse
import datetime
import threading
import time
import traceback

from cliff import command
from cliff.formatters import base as formatters_base
from cliff import lister
from cliff import show

from cinder_backup_reset import client as client_lib
from cinder_backup_reset.client import exceptions
from cinder_backup_reset.client import output
from cinder_backup_reset.objects import fields

# NOTE: objects.fields imports nothing, so the client may share it.
STATES = fields.BackupStatus.RESET_TARGETS

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
FATAL = (exceptions.ConnectionFailed, exceptions.Unauthorized,
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
STUCK_COLUMNS = [('ID', 'id'), ('Status', 'status'),
                 ('Reason', 'stuck_reason'), ('Age', 'stuck_age'),
                 ('Host', 'stuck_host'), ('Service Up', 'service_up'),
                 ('Since', 'stuck_since')]
BULK_COLUMNS = [('ID', 'backup_id'), ('From', 'from_status'),
                ('To', 'to_status'), ('Status', 'status'),
                ('Result', 'result'), ('Volumes', 'volumes')]
RESULT_COLUMNS = [('Backup', 'backup'), ('ID', 'backup_id'),
                  ('From', 'from_status'), ('To', 'to_status'),
                  ('Status', 'status'), ('Result', 'result'),
                  ('Verified', 'verified')]


#: The cliff formatter namespace of backup-reset-state: cliff's list
#: formatters plus ``text``, its default (setup.cfg).
RESET_FORMATTERS = 'cinder_backup_reset.formatter.reset'
#: The outcome keys the ``text`` format needs, in this order.
TEXT_KEYS = ('backup', 'backup_id', 'from_status', 'to_status', 'status',
             'result', 'verified', 'verification', 'dry_run')
#: Further keys of a result (the server's outcome, plus error).
OUTCOME_KEYS = ('applied', 'dry_run', 'verification', 'reason', 'history',
                'error')
VERIFY_HELP = """\
A verification job never changes the backup's status: it only tells
whether the backup is whole on its backend. shallow (default) checks the
metadata, the object list and the sizes; --deep also decompresses every
block and checks its md5 and sha256.

exit status: 0 when the job was accepted (with --wait: when it passed);
1 when it failed, the backend was unavailable, or on any error.
"""


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


def progress_bar(progress, width=30, rate=None):
    """Return ``[####------]  40% 1.0/2.5 MiB`` for a job's progress dict.

    :param progress: ``{"bytes_done": int, "bytes_total": int}`` (bytes);
        a missing or zero total draws an empty bar.
    :param rate: bytes per second, when known: adds ``, 12.5 MiB/s,
        0:01:02 left``.
    :param width: characters of the bar; 0 draws no bar (plain lines).
    """
    progress = progress or {}
    done = progress.get('bytes_done') or 0
    total = progress.get('bytes_total') or 0
    frac = min(1.0, done / total) if total else 0.0
    filled = int(round(frac * width))
    mib = 1024.0 * 1024.0
    text = '%3d%% %.1f/%.1f MiB' % (int(frac * 100), done / mib, total / mib)
    if width:
        text = '[%s%s] %s' % ('#' * filled, '-' * (width - filled), text)
    if rate:
        left = max(0, total - done) / rate
        text += ', %.1f MiB/s, %s left' % (rate / mib, _hms(left))
    return text


def _hms(seconds):
    seconds = int(round(seconds))
    return '%d:%02d:%02d' % (seconds // 3600, seconds // 60 % 60,
                             seconds % 60)


class _Rate:
    """Bytes per second of a job, from the progress seen while polling."""

    def __init__(self, clock):
        self.clock = clock
        self.first = None

    def __call__(self, progress):
        done = (progress or {}).get('bytes_done') or 0
        now = self.clock()
        if self.first is None:
            self.first = (now, done)
            return None
        since, start = self.first
        if now <= since or done <= start:
            return None
        return (done - start) / (now - since)


def age_text(since, now=None):
    """``since`` (ISO 8601, UTC) as an age: ``2d03h``, ``1h05m``, ``42s``.

    Empty for no value or one that cannot be parsed.
    """
    if not since:
        return ''
    try:
        then = datetime.datetime.fromisoformat(since.replace('Z', ''))
    except ValueError:
        return ''
    now = now or datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None)
    seconds = max(0, int((now - then.replace(tzinfo=None)).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return '%dd%02dh' % (days, hours)
    if hours:
        return '%dh%02dm' % (hours, minutes)
    if minutes:
        return '%dm%02ds' % (minutes, seconds)
    return '%ds' % seconds


def stuck_row(backup, now=None):
    """A backup of the stuck report with its ``stuck`` fields flattened."""
    stuck = backup.get('stuck') or {}
    row = dict(backup)
    row.update(stuck_reason=stuck.get('reason'),
               stuck_since=stuck.get('since'),
               stuck_age=age_text(stuck.get('since'), now),
               stuck_host=stuck.get('host'),
               service_up={True: 'yes', False: 'no'}.get(
                   stuck.get('service_up'), 'unknown'))
    return row


def bulk_rows(answer):
    """The rows of a bulk reset's summary table, and how many failed."""
    rows, failed = [], 0
    for entry in answer.get('backup_resets', []):
        if 'error' in entry:
            failed += 1
            rows.append({'backup_id': entry['backup_id'],
                         'result': 'error %s: %s' % (
                             entry['error'].get('code'),
                             entry['error'].get('message'))})
            continue
        outcome = entry['outcome']
        ok, word = _outcome(outcome)
        failed += 0 if ok else 1
        volumes = ', '.join(
            '%s %s->%s%s' % (v.get('id'), v.get('from_status'),
                             v.get('to_status'),
                             '' if v.get('applied') else ' (not applied)')
            for v in outcome.get('volumes') or [])
        rows.append(dict(outcome, result=word, volumes=volumes))
    return rows, failed


class ResultTextFormatter(formatters_base.ListFormatter):
    """The ``text`` format of backup-reset-state: one line per backup."""

    def add_argument_group(self, parser):
        """The format has no options of its own."""

    def emit_list(self, column_names, data, stdout, parsed_args):
        """Write ``<backup> (<id>): <from> -> <to>: <result>`` lines.

        A bulk reset's rows (no ``backup`` column) are a summary table.
        """
        if 'backup' not in column_names:
            _write_table(stdout, [t for t, _n in BULK_COLUMNS], data)
            return
        for row in data:
            result = dict(zip(column_names, row))
            stdout.write(_result_line(result['backup'], result) + '\n')
            # NOTE: a line per backup as soon as it is done; the errors
            # of the others go to stderr in between.
            stdout.flush()


def _write_table(stdout, titles, rows):
    rows = [['' if v is None else str(v) for v in row] for row in rows]
    widths = [max([len(t)] + [len(r[i]) for r in rows])
              for i, t in enumerate(titles)]
    rule = '+' + '+'.join('-' * (w + 2) for w in widths) + '+\n'

    def line(cells):
        return '| ' + ' | '.join(c.ljust(w) for c, w in
                                 zip(cells, widths)) + ' |\n'

    stdout.write(rule + line(titles) + rule)
    for row in rows:
        stdout.write(line(row))
    stdout.write(rule)


class _RequestBar:
    """A bar on a terminal while one long request runs; silent otherwise.

    NOTE: a bulk reset is one request, and the server answers when every
    backup is done; the bar says the command is working and when it has
    finished, not how far the server is.
    """

    def __init__(self, stream, label):
        self.stream = stream
        self.label = label
        self.enabled = bool(getattr(stream, 'isatty', lambda: False)())
        self._stop = threading.Event()
        self._time = time.monotonic
        self._start = time.monotonic()
        self._thread = None
        if self.enabled:
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()

    def _draw(self, final=False):
        width = 30
        ticks = int(self._time() - self._start)
        if final:
            cells = '#' * width
        else:
            pos = ticks % width
            cells = '-' * pos + '#' + '-' * (width - pos - 1)
        self.stream.write('\r%s [%s] %ds' % (self.label, cells, ticks))
        self.stream.flush()

    def _run(self):
        while not self._stop.wait(1.0):
            self._draw()

    def close(self):
        if self.enabled:
            self._stop.set()
            self._thread.join()
            self._draw(final=True)
            self.stream.write('\n')
            self.stream.flush()


class ClientCommand(command.Command):
    """Base: the client, and errors as ``ERROR:`` lines with exit 1."""

    #: Text appended to the help; None for none.
    epilog = None

    def get_epilog(self):
        """Return the help epilog (the safety rules, or "only reads").

        cliff's own epilog follows (in ``openstack``: which plugin
        provides the command).
        """
        parts = (self.epilog, super().get_epilog())
        return '\n\n'.join(p for p in parts if p)

    @property
    def client(self):
        """The :class:`cinder_backup_reset.client.Client` of the shell."""
        return self.app.client_manager.backup_reset

    def error(self, text):
        """Write one ``ERROR: <text>`` line to stderr."""
        self.app.stderr.write('ERROR: %s\n' % text)

    def _debug(self):
        options = getattr(self.app, 'options', None)
        return bool(getattr(options, 'debug', False))

    def run(self, parsed_args):
        """Run; print client errors as one line and return 1."""
        try:
            return super().run(parsed_args)
        except exceptions.ClientException as exc:
            self._fail(exc.format())
        except Exception as exc:
            self._fail('unexpected %s: %s' % (type(exc).__name__, exc))
        return 1

    def _fail(self, text):
        if self._debug():
            traceback.print_exc(file=self.app.stderr)
        self.error(text)

    def get_parser(self, prog_name):
        """Keep the line breaks of the description and the epilog."""
        parser = super().get_parser(prog_name)
        parser.formatter_class = argparse.RawDescriptionHelpFormatter
        return parser


class ResetState(ClientCommand, lister.Lister):
    """Reset the status of stuck backups (verified, audited).

    Reset the status of one or more backups to available or error, by
    name or ID; one result per backup.
    """

    epilog = SAFETY_RULES

    @property
    def formatter_namespace(self):
        """Our namespace: cliff's list formatters plus ``text``."""
        return RESET_FORMATTERS

    @property
    def formatter_default(self):
        """``text``: one line per backup, as before cliff."""
        return 'text'

    def get_parser(self, prog_name):
        """Add --state, --reason, --expected-status, --dry-run, BACKUP."""
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--state', required=True, choices=STATES,
            help='New status (required: there is no default for a '
                 'recovery action).')
        parser.add_argument('--reason', metavar='<reason>',
                            help='Why; stored in the status history.')
        parser.add_argument(
            '--expected-status', metavar='<status>',
            help='Refuse (HTTP 409) unless the backup is in this status, '
                 'e.g. creating.')
        parser.add_argument(
            '--dry-run', action='store_true', default=False,
            help='Check the rules and verify, change nothing.')
        parser.add_argument('backups', metavar='BACKUP', nargs='*',
                            help='Name or ID of a backup.')
        bulk = parser.add_argument_group(
            'every stuck backup at once (POST backups/action)')
        bulk.add_argument(
            '--all-stuck', action='store_true', default=False,
            help='Reset every stuck backup (see backup-list --stuck) in '
                 'one request instead of naming backups; each is still '
                 'its own verified, compare-and-swap, audited reset.')
        bulk.add_argument('--host', metavar='<host>',
                          help='With --all-stuck: only backups of this '
                               'backup host.')
        bulk.add_argument('--max', metavar='<n>', type=int,
                          help='With --all-stuck: refuse, changing '
                               'nothing, when more backups match '
                               '(server default: backup_bulk_reset_max).')
        bulk.add_argument('--all-projects', action='store_true',
                          default=False,
                          help='With --all-stuck: every project.')
        parser.add_argument(
            '--no-reconcile', dest='reconcile', action='store_false',
            default=True,
            help="Leave the backups' volumes and snapshots as they are "
                 '(by default, on Cinder\'s database, a volume left '
                 'backing-up or restoring-backup is returned too).')
        return parser

    def _results(self, parsed_args):
        """Yield one result dict per backup; errors go to stderr."""
        self.failed = 0
        for ref in parsed_args.backups:
            backup_id = None
            try:
                backup_id = self.client.find(ref)['id']
                result = dict(self.client.reset_state(
                    backup_id, parsed_args.state, reason=parsed_args.reason,
                    expected_status=parsed_args.expected_status,
                    dry_run=parsed_args.dry_run))
            except exceptions.ClientException as exc:
                self.failed += 1
                self.error('%s: %s' % (ref, exc.format()))
                yield {'backup': ref, 'backup_id': backup_id,
                       'result': 'error', 'error': {
                           'message': exc.message, 'code': exc.code,
                           'request_id': exc.request_id}}
                if isinstance(exc, FATAL):
                    return
                continue
            result.setdefault('backup_id', backup_id)
            ok, result['result'] = _outcome(result)
            result.update(backup=ref, error=None)
            self.failed += 0 if ok else 1
            yield result

    def _bulk(self, parsed_args):
        if parsed_args.backups:
            raise exceptions.ClientException(
                'give either BACKUP names or --all-stuck, not both')
        bar = _RequestBar(self.app.stderr, 'resetting stuck backups')
        try:
            answer = self.client.bulk_reset_state(
                parsed_args.state, host=parsed_args.host,
                all_projects=parsed_args.all_projects,
                maximum=parsed_args.max, reason=parsed_args.reason,
                dry_run=parsed_args.dry_run,
                reconcile=parsed_args.reconcile)
        finally:
            bar.close()
        rows, self.failed = bulk_rows(answer)
        done = len(rows) - self.failed
        self.app.stderr.write(
            '%d matched, %d %s, %d failed.\n' % (
                answer.get('matched', 0), done,
                'would be reset (dry run)' if parsed_args.dry_run
                else 'reset', self.failed))
        if parsed_args.formatter == 'text':
            # NOTE: the text format draws the bulk summary as a table
            # (ResultTextFormatter); -c does not apply to it.
            parsed_args.columns = []
            return ([name for _title, name in BULK_COLUMNS],
                    [tuple(row.get(name) for _title, name in BULK_COLUMNS)
                     for row in rows])
        return output.list_columns(parsed_args, BULK_COLUMNS, rows)

    def take_action(self, parsed_args):
        """Return the columns and the (lazy, for text) result rows."""
        if parsed_args.all_stuck:
            return self._bulk(parsed_args)
        if not parsed_args.backups:
            raise exceptions.ClientException(
                'name at least one BACKUP, or use --all-stuck')
        if parsed_args.formatter != 'text':
            # NOTE: checked before any reset, not after: a typo in -c
            # must not turn a done reset into an error.
            output.check_columns(
                parsed_args, [n for pair in RESULT_COLUMNS for n in pair] +
                list(OUTCOME_KEYS))
        results = self._results(parsed_args)
        if parsed_args.formatter == 'text':
            # NOTE: the text line is made of fixed fields; -c does not
            # apply to it. Errors are not rows in text: they are the
            # ERROR lines on stderr.
            parsed_args.columns = []
            rows = (tuple(r.get(k) for k in TEXT_KEYS) for r in results
                    if r['result'] != 'error')
            return TEXT_KEYS, rows
        return output.list_columns(parsed_args, RESULT_COLUMNS,
                                   list(results))

    @property
    def need_sort_by_cliff(self):
        """Keep the order of the arguments unless --sort-column asks."""
        return True

    def run(self, parsed_args):
        """Exit 1 when any backup was not reset (or would not be)."""
        self.failed = 0
        code = super().run(parsed_args)
        return code or (1 if self.failed else 0)


class ListBackups(ClientCommand, lister.Lister):
    """List backups.

    List backups, following every page of results.
    """

    epilog = READ_ONLY

    def get_parser(self, prog_name):
        """Add the filters and --long."""
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--all-projects', action='store_true', default=False,
            help='Backups of every project (admin only).')
        parser.add_argument('--name', metavar='<name>',
                            help='Filter by name.')
        parser.add_argument(
            '--status', metavar='<status>',
            help='Filter by status, e.g. creating or restoring.')
        parser.add_argument('--limit', metavar='<n>', type=int,
                            help='Show at most this many backups.')
        parser.add_argument(
            '--long', action='store_true', default=False,
            help='Also show fail reason, zone, creation time.')
        parser.add_argument(
            '--stuck', action='store_true', default=False,
            help='Only stuck backups (admin): creating, restoring or '
                 'deleting on a backup service that is down, or without '
                 'progress for backup_stuck_after seconds; shows why, '
                 'for how long, the host and whether its service is up.')
        return parser

    def take_action(self, parsed_args):
        """Return the backup columns and rows (all pages)."""
        extra = {'stuck': 'true'} if parsed_args.stuck else {}
        backups = self.client.list(
            all_projects=parsed_args.all_projects, name=parsed_args.name,
            status=parsed_args.status, limit=parsed_args.limit, **extra)
        if parsed_args.stuck:
            now = datetime.datetime.now(datetime.timezone.utc).replace(
                tzinfo=None)
            columns = STUCK_COLUMNS + (
                LONG_COLUMNS if parsed_args.long else [])
            return output.list_columns(
                parsed_args, columns, [stuck_row(b, now) for b in backups])
        columns = LIST_COLUMNS + (LONG_COLUMNS if parsed_args.long else [])
        return output.list_columns(parsed_args, columns, backups)


class ShowBackup(ClientCommand, show.ShowOne):
    """Show a backup.

    Show every field of one backup (by name or ID).
    """

    epilog = READ_ONLY

    def get_parser(self, prog_name):
        """Add BACKUP."""
        parser = super().get_parser(prog_name)
        parser.add_argument('backup', metavar='BACKUP', help='Name or ID.')
        return parser

    def take_action(self, parsed_args):
        """Return the backup's fields (``links`` only in json/yaml)."""
        backup = self.client.find(parsed_args.backup)
        return output.show_columns(parsed_args, backup, hidden=('links',))


class _BackupRecords(ClientCommand, lister.Lister):
    """A read-only list about one BACKUP, in the server's order."""

    epilog = READ_ONLY

    def get_parser(self, prog_name):
        """Add BACKUP."""
        parser = super().get_parser(prog_name)
        parser.add_argument('backup', metavar='BACKUP', help='Name or ID.')
        return parser

    @property
    def need_sort_by_cliff(self):
        """The server's order (newest first) unless --sort-column."""
        return True


class StatusHistory(_BackupRecords):
    """Show the status history of a backup.

    Show who changed the status of a backup, when, from what to what,
    why, and whether it was verified; newest first. Use -f json for the
    verification evidence.
    """

    def take_action(self, parsed_args):
        """Return the history columns and rows."""
        backup = self.client.find(parsed_args.backup)
        entries = self.client.status_history(backup['id'])
        return output.list_columns(parsed_args, HISTORY_COLUMNS, entries)


class Verify(ClientCommand, show.ShowOne):
    """Verify a backup on its backend (changes nothing).

    Start a verification job for one backup (by name or ID) and show it;
    with --wait, follow it to the end with a progress bar on stderr.
    """

    epilog = VERIFY_HELP

    def get_parser(self, prog_name):
        """Add --deep, --wait, --poll-interval, --wait-timeout, BACKUP."""
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--deep', action='store_true', default=False,
            help='Decompress and checksum every block (slow) instead of '
                 'the shallow check.')
        parser.add_argument(
            '--wait', action='store_true', default=False,
            help='Wait until the job has passed, failed or found the '
                 'backend unavailable; exit 1 unless it passed.')
        parser.add_argument(
            '--poll-interval', metavar='<seconds>', type=float,
            default=2.0, help='With --wait: seconds between polls '
                              '(default: 2).')
        parser.add_argument(
            '--wait-timeout', metavar='<seconds>', type=float,
            help='With --wait: give up after this many seconds (the job '
                 'goes on on the server).')
        parser.add_argument('backup', metavar='BACKUP', help='Name or ID.')
        return parser

    #: the clock the transfer rate is measured with (seconds)
    clock = staticmethod(time.monotonic)

    def _draw(self, job):
        rate = self._rate(job.get('progress'))
        if self._tty:
            self.app.stderr.write('\r%s %s' % (
                progress_bar(job.get('progress'), rate=rate),
                job.get('status')))
        else:
            # NOTE: not a terminal (a log, a pipe): one plain line per
            # change, no carriage returns.
            line = '%s %s' % (job.get('status'), progress_bar(
                job.get('progress'), width=0, rate=rate))
            if line == self._last_line:
                return
            self._last_line = line
            self.app.stderr.write(line + '\n')
        self.app.stderr.flush()

    def take_action(self, parsed_args):
        """Start the job (and wait); return its fields."""
        self.verdict = None
        backup = self.client.find(parsed_args.backup)
        level = (client_lib.LEVEL_DEEP if parsed_args.deep
                 else client_lib.LEVEL_SHALLOW)
        job = self.client.verify(backup['id'], level=level)
        if parsed_args.wait:
            isatty = getattr(self.app.stderr, 'isatty', None)
            self._tty = bool(isatty and isatty())
            self._rate = _Rate(self.clock)
            self._last_line = None
            self._draw(job)
            try:
                job = self.client.wait_for_verification(
                    job, interval=parsed_args.poll_interval,
                    timeout=parsed_args.wait_timeout, callback=self._draw)
            finally:
                if self._tty:
                    self.app.stderr.write('\n')
            if job.get('status') != 'passed':
                self.verdict = 'Verification %s of backup %s %s: %s' % (
                    job.get('id'), parsed_args.backup, job.get('status'),
                    job.get('reason') or 'no reason given')
        return output.show_columns(parsed_args, job)

    def run(self, parsed_args):
        """Exit 1 when a waited-for job did not pass."""
        self.verdict = None
        code = super().run(parsed_args)
        if code == 0 and self.verdict:
            self.error(self.verdict)
            return 1
        return code


VERIFICATION_COLUMNS = [('ID', 'id'), ('Level', 'level'),
                        ('Status', 'status'), ('Progress', 'progress'),
                        ('Reason', 'reason'), ('Runner', 'runner'),
                        ('Created At', 'created_at'),
                        ('Updated At', 'updated_at')]


class ListVerifications(_BackupRecords):
    """List the verification jobs of a backup, newest first.

    Each job's level, status (queued, running, passed, failed,
    unavailable), progress and reason. Use -f json for the evidence.
    """

    def take_action(self, parsed_args):
        """Return the job columns and rows."""
        backup = self.client.find(parsed_args.backup)
        jobs = self.client.list_verifications(backup['id'])
        if not output.is_raw(parsed_args):
            jobs = [dict(j, progress=progress_bar(j.get('progress'),
                                                  width=0))
                    for j in jobs]
        return output.list_columns(parsed_args, VERIFICATION_COLUMNS, jobs)


#: The standalone shell's command names.
COMMANDS = {
    'backup-reset-state': ResetState,
    'backup-list': ListBackups,
    'backup-show': ShowBackup,
    'backup-status-history': StatusHistory,
    'backup-verify': Verify,
    'backup-verifications': ListVerifications,
}


def register(command_manager):
    """Add every command to a cliff ``CommandManager``."""
    for name, factory in COMMANDS.items():
        command_manager.add_command(name, factory)
