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

import io

import testtools

from cinder_backup_reset.client import output


class TestOutput(testtools.TestCase):

    def test_cell(self):
        self.assertEqual('', output.cell(None))
        self.assertEqual('False', output.cell(False))
        self.assertEqual('{"a": 1, "b": [2]}', output.cell({'b': [2], 'a': 1}))
        self.assertEqual('two lines', output.cell('two\n  lines'))

    def test_table(self):
        self.assertEqual('+---+----+\n'
                         '| A | B  |\n'
                         '+---+----+\n'
                         '| 1 | xy |\n'
                         '+---+----+', output.table(['A', 'B'], [[1, 'xy']]))

    def test_emit_one_value(self):
        stream = io.StringIO()
        output.emit_one(stream, 'value', {'b': 2, 'a': 1, 'links': []},
                        hidden=('links',))
        self.assertEqual('1\n2\n', stream.getvalue())
