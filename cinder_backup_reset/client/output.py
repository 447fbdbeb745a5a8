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

"""Rows and columns for cliff's formatters (``-f`` and ``-c``).

cliff formats; this module only decides what the columns are:

* ``-f table`` / ``value`` / ``csv`` / ``shell`` show the named columns
  (``ID``, ``Name``...), one line per cell: ``None`` is empty, dicts and
  lists are compact sorted JSON, whitespace runs are one space.
* ``-f json`` / ``yaml`` keep every field of the server's answer, under
  its own key (``id``, ``fail_reason``...), with its JSON type.

``-c`` takes either spelling (``-c "Volume ID"``, ``-c volume_id``) in
every format; naming no known column is an error.
"""

import json

from cliff import columns as cliff_columns
from osc_lib import utils as osc_utils

from cinder_backup_reset.client import exceptions

#: Formats that keep every field with its type.
RAW_FORMATS = ('json', 'yaml')


def cell(value):
    """Render one value for table/value output (single line)."""
    if value is None:
        return ''
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return ' '.join(str(value).split())


class TextColumn(cliff_columns.FormattableColumn):
    """A cell rendered by :func:`cell` for people and for ``-f value``.

    :param value: the field's value as the API answered it.
    """

    def __init__(self, value):
        super().__init__(value)
        self.value = value

    def human_readable(self):
        """Return the one-line text of the value."""
        return cell(self.value)

    def machine_readable(self):
        """Return the same text: ``-f value`` promises one line per row."""
        return cell(self.value)

    def __lt__(self, other):
        # NOTE: for --sort-column: empty values last, numbers as numbers,
        # and the text when the types differ (an int beside a str).
        mine, theirs = self.value, getattr(other, 'value', other)
        try:
            return (mine is None, mine) < (theirs is None, theirs)
        except TypeError:
            return cell(mine) < cell(theirs)


def is_raw(parsed_args):
    """True when the chosen format keeps every field (json, yaml)."""
    return getattr(parsed_args, 'formatter', None) in RAW_FORMATS


def _norm(name):
    return name.lower().strip().replace(' ', '_')


def _select(parsed_args, names, aliases):
    # NOTE: cliff matches -c against the column names after lower-casing
    # and turning spaces into underscores; the other spelling of the same
    # column (header vs key) is added so that both select it.
    wanted = list(parsed_args.columns or ())
    for name in list(wanted):
        other = aliases.get(_norm(name))
        if other is not None:
            wanted.append(other)
    if not wanted:
        return
    selected = [n for n in names if _norm(n) in {_norm(w) for w in wanted}]
    if not selected:
        raise exceptions.ClientException(
            message='No column named %s; the columns are: %s.' % (
                ', '.join(parsed_args.columns), ', '.join(names)),
            code=None)
    parsed_args.columns = selected


def check_columns(parsed_args, names):
    """Raise unless ``-c`` names one of ``names`` (headers or keys).

    For commands that must refuse a bad ``-c`` before doing anything.
    """
    wanted = {_norm(w) for w in parsed_args.columns or ()}
    if wanted and not wanted & {_norm(n) for n in names}:
        raise exceptions.ClientException(
            message='No column named %s; the columns are: %s.' % (
                ', '.join(parsed_args.columns), ', '.join(names)),
            code=None)


def list_columns(parsed_args, columns, items):
    """Return ``(column names, rows)`` for a cliff Lister.

    :param parsed_args: the command's parsed arguments (``formatter``,
        ``columns``); ``columns`` is rewritten so ``-c`` accepts headers
        and keys alike.
    :param columns: ``[(header, key), ...]`` shown by text formats.
    :param items: list of dicts from the server.
    """
    raw = is_raw(parsed_args)
    if raw:
        keys = sorted({k for item in items for k in item})
        names = keys
        aliases = {_norm(h): k for h, k in columns}
    else:
        keys = [k for _h, k in columns]
        names = [h for h, _k in columns]
        aliases = {_norm(k): h for h, k in columns}
    _select(parsed_args, names, aliases)
    rows = [row(item, keys, raw) for item in items]
    return names, rows


def row(item, keys, raw):
    """Return one row (tuple) of ``item`` for ``keys``."""
    if raw:
        return tuple(item.get(k) for k in keys)
    return osc_utils.get_dict_properties(
        item, keys, formatters={k: TextColumn for k in keys})


def show_columns(parsed_args, item, hidden=()):
    """Return ``(field names, values)`` of one dict for a cliff ShowOne.

    Text formats omit the ``hidden`` keys; json and yaml keep them.
    """
    raw = is_raw(parsed_args)
    keys = sorted(k for k in item if raw or k not in hidden)
    _select(parsed_args, keys, {})
    return keys, row(item, keys, raw)
