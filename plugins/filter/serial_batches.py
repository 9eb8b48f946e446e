# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: serial_batches
short_description: Cut a list of hosts into the batches a play's serial makes
version_added: 0.1.0
description:
  - Returns the batches ansible-playbook runs for a play with this C(serial) over these hosts, so a plan can
    show which batch each host falls in before the rollout starts.
  - C(serial) is a number of hosts, a percentage such as C(25%) (of all hosts, rounded down, at least 1), or a
    list of them whose last item repeats; C(0) means all hosts at once.
  - Fails with a message naming the bad item when C(serial) is not one of these, so a typo stops the run
    before any host changes.
options:
  _input:
    description: The hosts, in order.
    type: list
    elements: str
    required: true
  serial:
    description: The serial value.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Show the batches
  ansible.builtin.debug:
    msg: "{{ groups['app'] | gopherops.baremetal.serial_batches([1, '25%', '100%']) }}"
  # 8 hosts -> [[app1], [app2, app3], [app4, ..., app8]]
"""

RETURN = r"""
_value:
  description: The batches, each a list of hosts.
  type: list
  elements: list
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils.batches import BatchError, serial_batches as cut


def serial_batches(hosts, serial):
    try:
        return cut(hosts, serial)
    except BatchError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """Rolling deploy filters."""

    def filters(self):
        return {"serial_batches": serial_batches}
