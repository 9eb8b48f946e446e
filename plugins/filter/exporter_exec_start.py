# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: exporter_exec_start
short_description: An ExecStart= value with each word quoted for systemd
version_added: 0.1.0
description:
  - The binary and its arguments as one C(ExecStart=) value, each word in double quotes with C(\\) and C(")
    escaped and C(%) and C($) doubled, so systemd passes every argument as it is written.
options:
  _input:
    description: Path of the binary.
    type: str
    required: true
  args:
    description: Its arguments.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: The command line of node_exporter
  ansible.builtin.debug:
    msg: "{{ '/usr/local/bin/node_exporter' | gopherops.baremetal.exporter_exec_start(['--web.listen-address=:9100']) }}"
"""

RETURN = r"""
_value:
  description: The quoted command line.
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils import exporter as ex


def exporter_exec_start(binary, args):
    if not isinstance(args, (list, tuple)) or not all(isinstance(a, str) for a in args):
        raise AnsibleFilterError("exporter_exec_start: args must be a list of strings, got %r" % (args,))
    return ex.systemd_quote([binary] + list(args))


class FilterModule:
    """Prometheus exporter filters."""

    def filters(self):
        return {"exporter_exec_start": exporter_exec_start}
