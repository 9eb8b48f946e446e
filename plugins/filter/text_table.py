# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: text_table
short_description: Lay out rows as an aligned text table
version_added: 0.1.0
description:
  - Turns a list of dictionaries into lines of text with aligned columns, a header line first, for plans and
    summaries that read well in a terminal and in AWX job output.
  - A value that is missing or empty shows as C(-).
options:
  _input:
    description: The rows.
    type: list
    elements: dict
    required: true
  columns:
    description: The keys to show, in order; they are also the header.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Show a table
  ansible.builtin.debug:
    msg: "{{ [{'host': 'app1', 'release': '1.0.0-ab12cd34'}] | gopherops.baremetal.text_table(['host', 'release']) }}"
  # -> ["host  release", "app1  1.0.0-ab12cd34"]
"""

RETURN = r"""
_value:
  description: The lines of the table.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def cell(value):
    if value is None or value == "" or value == []:
        return "-"
    return str(value)


def text_table(rows, columns):
    if not isinstance(columns, (list, tuple)) or not columns:
        raise AnsibleFilterError("text_table: columns must be a non-empty list of keys")
    body = []
    for row in rows or []:
        if not isinstance(row, dict):
            raise AnsibleFilterError("text_table: each row must be a dictionary, got %s" % type(row).__name__)
        body.append([cell(row.get(col)) for col in columns])
    table = [[str(col) for col in columns]] + body
    widths = [max(len(line[i]) for line in table) for i in range(len(columns))]
    return ["  ".join(value.ljust(widths[i]) for i, value in enumerate(line)).rstrip() for line in table]


class FilterModule(object):
    """Text layout filters."""

    def filters(self):
        return {"text_table": text_table}
