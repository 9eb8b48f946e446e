# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: goarch
short_description: Map a host's machine architecture to a Go build target
version_added: 0.1.0
description:
  - Turns the machine name that Ansible gathers as C(ansible_architecture) (what C(uname -m) prints)
    into the Go target a binary must be built for.
  - Returns a dictionary with C(goos), C(goarch) and, for 32-bit ARM, C(goarm); also C(name),
    a short string such as C(linux_amd64) or C(linux_arm_7) that names the artifact.
options:
  _input:
    description: The machine architecture, for example C(x86_64), C(aarch64), C(armv7l).
    type: str
    required: true
  goos:
    description: The operating system of the target.
    type: str
    default: linux
"""

EXAMPLES = r"""
- name: Target of this host
  ansible.builtin.debug:
    msg: "{{ ansible_architecture | gopherops.baremetal.goarch }}"
  # x86_64 -> {"goos": "linux", "goarch": "amd64", "name": "linux_amd64"}
  # armv7l -> {"goos": "linux", "goarch": "arm", "goarm": "7", "name": "linux_arm_7"}
"""

RETURN = r"""
_value:
  description: The Go target.
  type: dict
  contains:
    goos:
      description: GOOS value.
      type: str
    goarch:
      description: GOARCH value.
      type: str
    goarm:
      description: GOARM value, only for 32-bit ARM.
      type: str
    name:
      description: C(<goos>_<goarch>[_<goarm>]), used in artifact names.
      type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils.gobuild import target_name

# uname -m (as gathered by Ansible) -> (GOARCH, GOARM)
_MACHINES = {
    "x86_64": ("amd64", None),
    "amd64": ("amd64", None),
    "i386": ("386", None),
    "i486": ("386", None),
    "i586": ("386", None),
    "i686": ("386", None),
    "aarch64": ("arm64", None),
    "arm64": ("arm64", None),
    "armv8l": ("arm", "7"),
    "armv7l": ("arm", "7"),
    "armv7": ("arm", "7"),
    "armhf": ("arm", "7"),
    "armv6l": ("arm", "6"),
    "armv5tel": ("arm", "5"),
    "armv5l": ("arm", "5"),
    "ppc64le": ("ppc64le", None),
    "ppc64": ("ppc64", None),
    "s390x": ("s390x", None),
    "riscv64": ("riscv64", None),
    "mips64": ("mips64", None),
    "mips64el": ("mips64le", None),
    "loongarch64": ("loong64", None),
}

_GOOS = ("linux", "freebsd", "openbsd", "netbsd", "darwin", "windows", "illumos", "solaris", "aix", "dragonfly")


def goarch(machine, goos="linux"):
    """Return the Go target for a machine architecture string."""
    if not isinstance(machine, str) or not machine.strip():
        raise AnsibleFilterError("goarch: expected the host's architecture (ansible_architecture) as a "
                                 "non-empty string, got %r; gather facts first" % (machine,))
    if goos not in _GOOS:
        raise AnsibleFilterError("goarch: unknown goos %r; one of %s" % (goos, ", ".join(_GOOS)))
    key = machine.strip().lower()
    if key not in _MACHINES:
        raise AnsibleFilterError("goarch: no Go target known for architecture %r; known: %s"
                                 % (machine, ", ".join(sorted(_MACHINES))))
    arch, arm = _MACHINES[key]
    target = {"goos": goos, "goarch": arch}
    if arm:
        target["goarm"] = arm
    target["name"] = target_name(target)
    return target


class FilterModule(object):
    """Go target filters."""

    def filters(self):
        return {"goarch": goarch}
