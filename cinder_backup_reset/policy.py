"""The oslo.policy enforcer of the service."""

import sys

from oslo_config import cfg
from oslo_policy import opts as policy_opts
from oslo_policy import policy

from cinder_backup_reset import exception
from cinder_backup_reset import policies

_ENFORCER = None

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
        _ENFORCER = policy.Enforcer(conf, policy_file=policy_file,
                                    rules=rules)
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
