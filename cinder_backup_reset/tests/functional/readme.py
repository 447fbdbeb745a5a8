"""Run the README's walk-through as written, and check what it shows.

``python -m cinder_backup_reset.tests.functional.readme --repo DIR`` runs
the shell commands of the literal blocks between ``.. walkthrough-begin``
and ``.. walkthrough-end`` of ``DIR/README.rst`` in one bash, in DIR, with
the console scripts of this Python's environment first on PATH. The port
8776 of the commands and of the quick-start configuration is replaced by
a free one (other servers may use 8776). Exit status 0 when every check
passed; otherwise the problems and the walk-through's output.

Standard library only: ``.ci/run`` runs it in a fresh virtualenv where
only the package (and its ``clients`` extra) is installed.
"""

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile

BEGIN = '.. walkthrough-begin'
END = '.. walkthrough-end'
QUICKSTART = os.path.join('etc', 'cinder-backup-reset', 'quickstart.conf')
README_PORT = '8776'

#: what the walk-through must show, in its output, in this order.
EXPECTED = (
    # two backups stuck in creating (made in the same second, so listed
    # in either order)
    re.compile(r'creating +\d+ +\d+ +weekly\n[^\n]*creating +\d+ +\d+ '
               r'+nightly|creating +\d+ +\d+ +nightly\n[^\n]*creating '
               r'+\d+ +\d+ +weekly'),
    # the dry run verifies and changes nothing; the reset applies
    re.compile(r'"status": "creating", "applied": false, "dry_run": true, '
               r'"verified": "passed"'),
    re.compile(r'"status": "available", "applied": true, "dry_run": false, '
               r'"verified": "passed"'),
    re.compile(r'"to_status": "available", "reason": "backup service '
               r'crashed", "verified": "passed"'),
    # the damaged backup: refused with the reason, and recorded
    re.compile(r'ERROR: weekly: Backup \S+ failed verification: .*missing'
               r'.*\(HTTP 400\)'),
    re.compile(r'\| creating \| error +\| failed +\| Verification failed'),
    # Cinder's clients
    re.compile(r"Request to update backup 'weekly' has been accepted"),
    # the data itself
    re.compile(r'verified \(deep\): 1 objects, 10000000 bytes of data'),
    re.compile(r'restored data is identical'),
)
#: the final ``backup list``: nightly available, weekly error.
FINAL = (re.compile(r'available +\d+ +\d+ +nightly'),
         re.compile(r'error +\d+ +\d+ +weekly'))
NEVER = ('Traceback', 'command not found', 'No such file or directory',
         'Unhandled error')


def walkthrough(readme_text):
    """The shell commands of the walk-through, as one script."""
    lines = readme_text.splitlines()
    try:
        lines = lines[lines.index(BEGIN) + 1:lines.index(END)]
    except ValueError:
        raise SystemExit('README.rst has no %s ... %s section' % (BEGIN, END))
    commands, in_block = [], False
    for line in lines:
        if line.rstrip().endswith('::'):
            in_block = True
            continue
        if in_block and line.startswith('    '):
            commands.append(line[4:])
        elif in_block and line.strip():
            in_block = False
    return '\n'.join(commands) + '\n'


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def use_port(repo, port):
    """Point the quick-start configuration in ``repo`` at ``port``."""
    path = os.path.join(repo, QUICKSTART)
    with open(path) as f:
        text = f.read()
    text = re.sub(r'(?m)^osapi_volume_listen_port = %s$' % README_PORT,
                  'osapi_volume_listen_port = %d' % port, text)
    with open(path, 'w') as f:
        f.write(text)


def run(repo, bindir=None, timeout=600):
    """Run the walk-through in ``repo``; return (problems, output).

    ``repo`` is modified: its quick-start configuration gets a free port
    and its quick-start state is replaced.
    """
    with open(os.path.join(repo, 'README.rst')) as f:
        script = walkthrough(f.read())
    port = free_port()
    use_port(repo, port)
    script = script.replace(':%s' % README_PORT, ':%d' % port)
    bindir = bindir or os.path.dirname(sys.executable)
    with tempfile.TemporaryDirectory() as home:
        # NOTE: no OS_* credentials or clouds.yaml of this machine.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(('OS_', 'CINDER_'))}
        env.update(PATH=bindir + os.pathsep + env.get('PATH', ''),
                   HOME=home, TMPDIR=home)
        proc = subprocess.Popen(
            ['bash', '-c', script], cwd=repo, env=env, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            output = 'timed out after %d s\n' % timeout
        finally:
            # NOTE: the API the walk-through started, if it is still up.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
    return check(output), output


def check(output):
    """The problems of a walk-through's ``output`` (empty when fine)."""
    problems = ['%r in the output' % word for word in NEVER
                if word in output]
    position = 0
    for pattern in EXPECTED:
        found = pattern.search(output, position)
        if found is None:
            problems.append('missing (in order): %s' % pattern.pattern)
        else:
            position = found.end()
    tail = output[output.rfind('ID  '):] if 'ID  ' in output else ''
    problems.extend('final backup list: missing %s' % pattern.pattern
                    for pattern in FINAL if not pattern.search(tail))
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repo', required=True,
                        help='a checkout (it is modified: port, state)')
    parser.add_argument('--bin', help='where the console scripts are '
                                      '(default: next to this Python)')
    args = parser.parse_args(argv)
    problems, output = run(os.path.abspath(args.repo), args.bin)
    if problems:
        print(output)
        print('README walk-through: FAILED:\n  ' + '\n  '.join(problems))
        return 1
    print('README walk-through: passed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
