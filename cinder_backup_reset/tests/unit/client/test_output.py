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

"""Tests of the shell's output formatting."""

import argparse

import testtools

from cinder_backup_reset.client import exceptions
from cinder_backup_reset.client import output

COLUMNS = [('ID', 'id'), ('From', 'from_status'), ('Fail Reason',
                                                   'fail_reason')]
ITEMS = [{'id': 'a', 'from_status': 'creating', 'fail_reason': None,
          'evidence': {'b': [2], 'a': 1}},
         {'id': 'b', 'from_status': 'error', 'fail_reason': 'two\n lines',
          'extra': True}]


def _args(formatter, *columns):
    return argparse.Namespace(formatter=formatter, columns=list(columns))


def _text(rows):
    return [[c.human_readable() for c in row] for row in rows]


class TestOutput(testtools.TestCase):

    def test_cell(self):
        self.assertEqual('', output.cell(None))
        self.assertEqual('False', output.cell(False))
        self.assertEqual('{"a": 1, "b": [2]}', output.cell({'b': [2], 'a': 1}))
        self.assertEqual('two lines', output.cell('two\n  lines'))

    def test_text_column(self):
        col = output.TextColumn({'b': [2], 'a': 1})
        self.assertEqual('{"a": 1, "b": [2]}', col.human_readable())
        self.assertEqual('{"a": 1, "b": [2]}', col.machine_readable())
        self.assertEqual('', output.TextColumn(None).machine_readable())

    def test_list_text_formats_use_headers(self):
        for fmt in ('table', 'value', 'csv'):
            args = _args(fmt)
            names, rows = output.list_columns(args, COLUMNS, ITEMS)
            self.assertEqual(['ID', 'From', 'Fail Reason'], names)
            self.assertEqual([['a', 'creating', ''],
                              ['b', 'error', 'two lines']], _text(rows))
            self.assertEqual([], args.columns)

    def test_list_raw_formats_keep_every_key(self):
        for fmt in ('json', 'yaml'):
            names, rows = output.list_columns(_args(fmt), COLUMNS, ITEMS)
            self.assertEqual(['evidence', 'extra', 'fail_reason',
                              'from_status', 'id'], names)
            self.assertEqual([({'b': [2], 'a': 1}, None, None, 'creating',
                               'a'),
                              (None, True, 'two\n lines', 'error', 'b')],
                             rows)

    def test_column_selection_takes_headers_and_keys(self):
        args = _args('table', 'from_status', 'ID')
        output.list_columns(args, COLUMNS, ITEMS)
        self.assertEqual(['ID', 'From'], args.columns)
        args = _args('json', 'From', 'fail_reason')
        output.list_columns(args, COLUMNS, ITEMS)
        self.assertEqual(['fail_reason', 'from_status'], args.columns)

    def test_unknown_column(self):
        args = _args('table', 'nope', 'no')
        exc = self.assertRaises(exceptions.ClientException,
                                output.list_columns, args, COLUMNS, ITEMS)
        self.assertEqual('No column named nope, no; the columns are: ID, '
                         'From, Fail Reason.', str(exc))

    def test_show_hides_only_in_text(self):
        item = {'b': 2, 'a': None, 'links': []}
        names, values = output.show_columns(_args('value'), item,
                                            hidden=('links',))
        self.assertEqual(['a', 'b'], names)
        self.assertEqual(['', '2'], [v.machine_readable() for v in values])
        names, values = output.show_columns(_args('json'), item,
                                            hidden=('links',))
        self.assertEqual(['a', 'b', 'links'], names)
        self.assertEqual((None, 2, []), values)
