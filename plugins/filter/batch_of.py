# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: batch_of
short_description: Number of the batch a host falls in
version_added: 0.1.0
description:
  - Given batches (as made by M(gopherops.baremetal.serial_batches)), returns the 1-based number of the batch
    that holds the host, or C(-) when no batch does (the host does not change).
options:
  _input:
    description: The batches.
    type: list
    elements: list
    required: true
  host:
    description: The host to look for.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Batch of this host
  ansible.builtin.debug:
    msg: "{{ [['app1'], ['app2', 'app3']] | gopherops.baremetal.batch_of('app3') }}"
  # -> 2
"""

RETURN = r"""
_value:
  description: The batch number, or C(-).
  type: raw
"""


def batch_of(batches, host):
    for index, batch in enumerate(batches or []):
        if host in batch:
            return index + 1
    return "-"


class FilterModule(object):
    """Rolling deploy filters."""

    def filters(self):
        return {"batch_of": batch_of}
