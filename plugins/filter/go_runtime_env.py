# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: go_runtime_env
short_description: GOMEMLIMIT and GOMAXPROCS that fit a memory and CPU limit
version_added: 0.1.0
description:
  - Derives the Go runtime's soft memory limit and parallelism from the limits a service runs under,
    so the garbage collector works harder before the kernel's OOM killer steps in, and the scheduler does
    not run more threads than the CPU quota pays for.
  - C(GOMEMLIMIT) is O(fraction) of the memory limit, in bytes. The limit is read as systemd reads
    C(MemoryMax=) or Docker reads C(--memory) (a number of bytes, or with a K, M, G or T suffix, powers of 1024).
    C(infinity), a percentage, or an empty value give no C(GOMEMLIMIT).
  - C(GOMAXPROCS) is the CPU quota rounded up to whole CPUs, at least 1. The quota is read as systemd's
    C(CPUQuota=) (C(150%) is 1.5 CPUs) or as a number of CPUs (Docker's C(--cpus), C(1.5)). Empty gives none.
  - Variables the service's own environment sets win over these (systemd reads C(EnvironmentFile=) after
    C(Environment=)).
options:
  _input:
    description: The memory limit, for example C(512M), C(2G), C(1073741824); empty for none.
    type: raw
    required: true
  cpu_quota:
    description: The CPU quota, for example C(150%) or C(1.5); empty for none.
    type: raw
  fraction:
    description: Share of the memory limit given to GOMEMLIMIT, greater than 0 and at most 1.
    type: float
    default: 0.9
"""

EXAMPLES = r"""
- name: Runtime environment for a 512 MiB, 1.5 CPU service
  ansible.builtin.debug:
    msg: "{{ '512M' | gopherops.baremetal.go_runtime_env(cpu_quota='150%') }}"
  # {"GOMEMLIMIT": "483183820", "GOMAXPROCS": "2"}
"""

RETURN = r"""
_value:
  description: C(GOMEMLIMIT) and/or C(GOMAXPROCS) as strings; empty when no limit is given.
  type: dict
"""

import math
import re

from ansible.errors import AnsibleFilterError

_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3, "T": 1024 ** 4, "P": 1024 ** 5}


def memory_bytes(value):
    """Bytes of a systemd/Docker memory size, or None for no fixed limit."""
    if value is None:
        return None
    text = str(value).strip()
    if text in ("", "infinity") or text.endswith("%"):
        return None
    match = re.match(r"^(\d+(?:\.\d+)?)\s*([KMGTP]?)(?:i?B)?$", text, re.I)
    if not match:
        raise AnsibleFilterError("go_runtime_env: memory limit %r is not a size like 512M, 2G or 1073741824" % (value,))
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def cpu_count(value):
    """CPUs a quota pays for (150% -> 1.5, '1.5' -> 1.5), or None."""
    if value is None:
        return None
    text = str(value).strip()
    if text == "":
        return None
    match = re.match(r"^(\d+(?:\.\d+)?)(%?)$", text)
    if not match:
        raise AnsibleFilterError("go_runtime_env: CPU quota %r is not like 150%% or 1.5" % (value,))
    number = float(match.group(1))
    return number / 100 if match.group(2) else number


def go_runtime_env(memory_max, cpu_quota=None, fraction=0.9):
    try:
        fraction = float(fraction)
    except (TypeError, ValueError):
        raise AnsibleFilterError("go_runtime_env: fraction must be a number, got %r" % (fraction,))
    if not 0 < fraction <= 1:
        raise AnsibleFilterError("go_runtime_env: fraction must be greater than 0 and at most 1, got %s" % fraction)
    env = {}
    limit = memory_bytes(memory_max)
    if limit:
        env["GOMEMLIMIT"] = str(int(limit * fraction))
    cpus = cpu_count(cpu_quota)
    if cpus:
        env["GOMAXPROCS"] = str(max(1, int(math.ceil(cpus))))
    return env


class FilterModule(object):
    """Go runtime filters."""

    def filters(self):
        return {"go_runtime_env": go_runtime_env}
