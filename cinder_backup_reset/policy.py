"""The oslo.policy enforcer of the service."""

import ast
import inspect
import sys
import time

from oslo_config import cfg
from oslo_policy import _checks
from oslo_policy import opts as policy_opts
from oslo_policy import policy

from cinder_backup_reset import exception
from cinder_backup_reset import policies

_ENFORCER = None

#: seconds between two looks for a changed policy file or policy.d
RELOAD_INTERVAL = 1.0


class Enforcer(policy.Enforcer):
    """oslo.policy's Enforcer, looking for file changes once a second.

    NOTE: oslo.policy looks for the policy file and every policy.d
    directory (several stat() calls, more when no file exists) on every
    check, and a reset makes three checks; profiling showed that as about
    a tenth of a reset's cost. An operator's edit still takes effect
    without a restart, within RELOAD_INTERVAL.
    """

    def __init__(self, *args, **kwargs):
        self._next_look = 0.0
        super().__init__(*args, **kwargs)

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if force_reload or not self.rules or now >= self._next_look:
            self._next_look = now + RELOAD_INTERVAL
            super().load_rules(force_reload)


_TAKES_CURRENT_RULE = {}


def _check(rule, target, creds, enforcer, current_rule):
    """oslo.policy's ``_checks._check``, remembering each check's arity.

    NOTE: oslo.policy decides whether a check takes ``current_rule`` by
    calling inspect.getfullargspec on every evaluation of every check: a
    reset evaluates eleven, and that inspection was a tenth of a reset's
    CPU. Python calls ``type(rule).__call__``, so the answer is a property
    of the check's class and can be remembered per class. GenericCheck
    itself is evaluated by _generic_check (exactly that class: a subclass
    may have its own ``__call__``).
    """
    cls = type(rule)
    if cls is _checks.GenericCheck:
        return _generic_check(rule, target, creds)
    takes = _TAKES_CURRENT_RULE.get(cls)
    if takes is None:
        takes = len(inspect.getfullargspec(rule.__call__).args) > 4
        _TAKES_CURRENT_RULE[cls] = takes
    if takes:
        return rule(target, creds, enforcer, current_rule)
    return rule(target, creds, enforcer)


#: ``GenericCheck.kind`` -> its literal value, or _NOT_A_LITERAL
_LITERAL_KINDS = {}
_NOT_A_LITERAL = object()


def _literal_kind(kind):
    """``ast.literal_eval(kind)`` as GenericCheck does, once per kind."""
    try:
        return _LITERAL_KINDS[kind]
    except KeyError:
        pass
    try:
        value = ast.literal_eval(kind)
    except ValueError:
        value = _NOT_A_LITERAL
    # NOTE: kinds come from the rules (code and the policy file), not from
    # requests, so this stays as small as the policy.
    _LITERAL_KINDS[kind] = value
    return value


def _generic_check(rule, target, creds):
    """oslo.policy's ``GenericCheck.__call__``, parsing its kind once.

    NOTE: GenericCheck parses its kind (``is_admin``, ``project_id``) with
    ast.literal_eval on every evaluation to learn whether it is a literal
    such as ``True`` or ``'member'``; for a name that is a parse, a failed
    conversion and an exception, about 50 us of a reset's three checks.
    The answer depends on the kind alone. Same semantics otherwise:
    test_policy compares the verdicts with oslo.policy's own.
    """
    try:
        match = rule.match % target
    except KeyError:
        return False
    value = _literal_kind(rule.kind)
    if value is not _NOT_A_LITERAL:
        return match == str(value)
    return rule._find_in_dict(creds, rule.kind.split('.'), match)


_ORIGINAL_CHECK = _checks._check
_EXPECTED_ARGS = ['rule', 'target', 'creds', 'enforcer', 'current_rule']
if inspect.getfullargspec(_ORIGINAL_CHECK).args == _EXPECTED_ARGS:
    # NOTE: only while oslo.policy's helper still has the signature this
    # replacement was written against; otherwise keep theirs, slower.
    _checks._check = _check

# NOTE: Cinder's default file name, so an operator's policy.yaml is found.
policy_opts.set_defaults(cfg.CONF, 'policy.yaml')


def reset():
    """Forget the enforcer (tests; a config reload)."""
    global _ENFORCER
    if _ENFORCER:
        _ENFORCER.clear()
    _ENFORCER = None


def init(conf=cfg.CONF, policy_file=None, rules=None, suppress_warnings=True):
    """Create the enforcer once per process and register the defaults."""
    global _ENFORCER
    if _ENFORCER is None:
        _ENFORCER = Enforcer(conf, policy_file=policy_file, rules=rules)
        # NOTE: the defaults deprecated in Xena are noise on every request
        # otherwise; the generated sample documents them.
        _ENFORCER.suppress_default_change_warnings = suppress_warnings
        _ENFORCER.suppress_deprecation_warnings = suppress_warnings
        _ENFORCER.register_defaults(policies.list_rules())
        _ENFORCER.load_rules()
    return _ENFORCER


def use_conf(conf):
    """Make the process's enforcer read ``conf`` (and return it).

    For the paste filter inside cinder-api: its private ConfigOpts names
    the policy file; an enforcer made from another configuration is
    replaced.
    """
    if _ENFORCER is not None and _ENFORCER.conf is not conf:
        reset()
    return init(conf)


def get_enforcer():
    """Entry point for oslopolicy-* tools: parse argv, return the enforcer."""
    conf = cfg.ConfigOpts()
    argv, skip = [], False
    for arg in sys.argv[1:]:
        # NOTE: the oslopolicy tools' own options are not ours to parse.
        if skip:
            skip = False
        elif arg in ('--namespace', '--output-file'):
            skip = True
        elif not arg.startswith(('--namespace=', '--output-file=')):
            argv.append(arg)
    conf(argv, project='cinder-backup-reset')
    policy_opts.set_defaults(conf, 'policy.yaml')
    enforcer = policy.Enforcer(conf)
    enforcer.register_defaults(policies.list_rules())
    enforcer.load_rules()
    return enforcer


def authorize(context, action, target, do_raise=True):
    """Check ``action`` for ``context`` on ``target``.

    Raises PolicyNotAuthorized (403) when refused and ``do_raise``.
    """
    enforcer = init()
    return enforcer.authorize(action, target, context, do_raise=do_raise,
                              exc=exception.PolicyNotAuthorized,
                              action=action)


def check_is_admin(context):
    """Whether ``context`` passes the ``context_is_admin`` rule."""
    enforcer = init()
    credentials = context.to_policy_values()
    target = credentials
    return enforcer.authorize('context_is_admin', target, credentials)
