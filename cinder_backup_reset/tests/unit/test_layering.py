"""The request path's layers import downwards only.

router -> extension controller (api/) -> manager -> DB API / backup
driver: below the API, no module imports ``cinder_backup_reset.api``
(the manager is called by the API, the agent and the manage commands
alike), and the DB layer and the drivers import no manager either.
Read from the source with ``ast``, so a lazy import inside a function
counts too.
"""

import ast
import os

import testtools

import cinder_backup_reset

PACKAGE = os.path.dirname(cinder_backup_reset.__file__)

#: (modules, by path under the package, and the packages they must not
#: import)
RULES = [
    (('manager.py', 'bulk.py', 'force_delete.py', 'notifier.py', 'rpc.py',
      'objects', 'db', 'backup', 'verification', 'policies'),
     ('cinder_backup_reset.api',)),
    (('db', 'backup'),
     ('cinder_backup_reset.manager', 'cinder_backup_reset.bulk',
      'cinder_backup_reset.verification')),
]


def _modules(prefixes):
    for prefix in prefixes:
        path = os.path.join(PACKAGE, prefix)
        if path.endswith('.py'):
            yield path
            continue
        for root, _dirs, files in os.walk(path):
            for name in files:
                if name.endswith('.py'):
                    yield os.path.join(root, name)


def _imports(path):
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            for alias in node.names:
                yield '%s.%s' % (node.module, alias.name)


class TestLayering(testtools.TestCase):

    def test_lower_layers_do_not_import_upper_ones(self):
        wrong = []
        for prefixes, forbidden in RULES:
            for path in _modules(prefixes):
                for name in _imports(path):
                    if any(name == f or name.startswith(f + '.')
                           for f in forbidden):
                        wrong.append('%s imports %s' % (
                            os.path.relpath(path, PACKAGE), name))
        self.assertEqual([], wrong)

    def test_the_rule_sees_an_import(self):
        # NOTE: the walk above must find the modules it checks.
        self.assertIn('cinder_backup_reset.db.api',
                      set(_imports(os.path.join(PACKAGE, 'manager.py'))))
