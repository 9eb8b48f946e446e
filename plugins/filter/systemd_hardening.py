# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: systemd_hardening
short_description: The sandboxing lines of a systemd service that this collection's units share
version_added: 0.1.0
description:
  - Returns the C([Service]) lines that confine a network daemon, as the go_service role and the exporter
    roles write them (C(systemd-analyze security) rates such a unit "OK").
  - No new privileges; only the given capabilities; the file system read-only except O(read_write_paths);
    no devices, kernel tunables, modules, logs or clock; a private C(/tmp) unless O(private_tmp=false);
    only O(address_families); the system calls of a service without the privileged and resource groups.
options:
  _input:
    description: Paths the service may write (C(ReadWritePaths=)); an empty list for none.
    type: list
    elements: str
    required: true
  capabilities:
    description: Capabilities the service keeps, for example C(CAP_NET_BIND_SERVICE).
    type: list
    elements: str
    default: []
  address_families:
    description: Socket address families the service may use.
    type: list
    elements: str
    default: [AF_INET, AF_INET6, AF_UNIX]
  private_tmp:
    description: Give the service its own C(/tmp).
    type: bool
    default: true
  denied_syscalls:
    description:
      - System call groups denied on top of C(@system-service) (the process is killed when it makes one).
    type: list
    elements: str
    default: ["@privileged", "@resources"]
  protect_home:
    description: C(ProtectHome=) - C(yes) hides C(/home), C(/root) and C(/run/user); C(read-only) shows them read-only.
    type: str
    choices: ["yes", read-only]
    default: "yes"
  protect_proc:
    description: Hide other users' processes in C(/proc) (C(ProtectProc=invisible)).
    type: bool
    default: true
  syscall_errno:
    description:
      - Make a denied system call fail with this error (for example C(EPERM)) instead of killing the process.
        For programs that try such a call and carry on when it fails (node_exporter's collectors do).
    type: str
"""

EXAMPLES = r"""
- name: The sandbox of a service that writes only /opt/app/shared
  ansible.builtin.debug:
    msg: "{{ ['/opt/app/shared'] | gopherops.baremetal.systemd_hardening | join('\n') }}"
"""

RETURN = r"""
_value:
  description: The unit lines, in order.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils.systemd_unit import (
    DEFAULT_DENIED, DEFAULT_FAMILIES, hardening_lines)


def systemd_hardening(read_write_paths, capabilities=None, address_families=None, private_tmp=True, denied_syscalls=None,
                      syscall_errno=None, protect_home="yes", protect_proc=True):
    for name, value in (("read_write_paths", read_write_paths), ("capabilities", capabilities or []),
                        ("address_families", address_families or []), ("denied_syscalls", denied_syscalls or [])):
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v and " " not in v for v in value):
            raise AnsibleFilterError("systemd_hardening: %s must be a list of words without spaces, got %r" % (name, value))
    return hardening_lines(read_write_paths, capabilities or (), address_families or DEFAULT_FAMILIES, bool(private_tmp),
                           DEFAULT_DENIED if denied_syscalls is None else denied_syscalls, syscall_errno or None,
                           "read-only" if protect_home == "read-only" else "yes", bool(protect_proc))


class FilterModule:
    """systemd unit filters."""

    def filters(self):
        return {"systemd_hardening": systemd_hardening}
