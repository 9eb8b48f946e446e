# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: audit_line
short_description: Append one JSON line to an audit log on the controller
version_added: 0.1.0
description:
  - Writes O(record) as one line of JSON at the end of O(path) on the controller, creating the file (mode
    O(mode)) and its directory (mode 0700) when missing, with a single C(write) to a file opened for appending.
  - Runs entirely in the action plugin on the controller; nothing is sent to a host.
  - Reports C(changed=false), since the audit log is the run's bookkeeping.
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Writes nothing in check mode and returns the line it would write.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  path:
    description: The audit log on the controller.
    type: path
    required: true
  record:
    description: The record; keys are written sorted.
    type: dict
    required: true
  mode:
    description: Permissions of the file when it is created.
    type: str
    default: "0640"
"""

EXAMPLES = r"""
- name: Record the run on the controller
  gopherops.baremetal.audit_line:
    path: "{{ lookup('ansible.builtin.env', 'HOME') }}/.local/state/gopherops/hello-deploy.log"
    record:
      app: hello
      result: ok
  run_once: true
"""

RETURN = r"""
line:
  description: The line written (without its newline).
  returned: always
  type: str
path:
  description: The file written to.
  returned: always
  type: str
"""
