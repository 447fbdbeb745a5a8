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

"""Table, JSON and value output for the shell.

NOTE: a ~50-line formatter instead of cliff/prettytable keeps the runtime
dependencies to keystoneauth1 and oslo.*; the three formats match what
openstackclient users script against (``-f json``, ``-f value``).
"""

import json

FORMATS = ('table', 'json', 'value')


def cell(value):
    """Render one value for table/value output (single line)."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return ' '.join(str(value).split())


def table(headers, rows):
    """Return an ASCII table (openstackclient style) as a string."""
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    rule = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'

    def line(values):
        return '| ' + ' | '.join(
            v.ljust(w) for v, w in zip(values, widths)) + ' |'

    out = [rule, line(headers), rule]
    out.extend(line(row) for row in cells)
    out.append(rule)
    return '\n'.join(out)


def emit_list(stream, fmt, columns, items):
    """Print a list of dicts.

    :param columns: ``[(header, key), ...]``; JSON keeps every key.
    """
    if fmt == 'json':
        stream.write(json.dumps(items, indent=2, sort_keys=True) + '\n')
    elif fmt == 'value':
        for item in items:
            stream.write(' '.join(cell(item.get(k)) for _h, k in columns)
                         + '\n')
    else:
        rows = [[item.get(k) for _h, k in columns] for item in items]
        stream.write(table([h for h, _k in columns], rows) + '\n')


def emit_one(stream, fmt, item, hidden=()):
    """Print one dict as Field/Value rows (JSON keeps every key)."""
    if fmt == 'json':
        stream.write(json.dumps(item, indent=2, sort_keys=True) + '\n')
        return
    keys = [k for k in sorted(item) if k not in hidden]
    if fmt == 'value':
        for key in keys:
            stream.write(cell(item[key]) + '\n')
    else:
        stream.write(table(['Field', 'Value'],
                           [[k, item[k]] for k in keys]) + '\n')
