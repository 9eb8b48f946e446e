# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: service_problems
short_description: Every problem of the go_service role's settings, each naming its variable
version_added: 0.1.0
description:
  - Checks the systemd-mode settings that need no artifact and no host fact, before any host changes, and returns
    one sentence per problem, empty when there is none. It finds a name systemd refuses as a unit name, a missing
    version or one that makes an unusable release id, a name in both the plain and the secret environment, no
    health check or one without a C(url) (C(http://) or C(https://) with a host) or a C(tcp), and limits that are
    not in systemd's syntax (memory, CPU quota, capabilities).
  - Fails, naming the value, on an environment that cannot be written as an environment file and on a memory limit,
    CPU quota or GOMEMLIMIT fraction that P(gopherops.baremetal.go_runtime_env#filter) cannot read.
  - The go_service role's checks and a rollout's lock use it; one filter costs each host's task far less than
    the same checks spelled in Jinja, which Ansible compiles again for every host.
options:
  _input:
    description: The settings, keyed by the variable names without the C(go_service_) prefix
      (C(name), C(version), C(env), C(secret_env), C(health_checks), C(memory_max), C(cpu_quota),
      C(gomemlimit_fraction), C(capabilities)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Stop on bad settings
  ansible.builtin.fail:
    msg: "{{ problems | join(' ') }}"
  when: problems | length > 0
  vars:
    problems: "{{ {'name': 'hello', 'version': '1.4.0', 'env': {}, 'secret_env': {},
                   'health_checks': [{'url': 'http://127.0.0.1:8080/healthz'}]}
                  | gopherops.baremetal.service_problems }}"
"""

RETURN = r"""
_value:
  description: The problems, empty when there is none.
  type: list
  elements: str
"""

import re
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.go_runtime_env import go_runtime_env
from ansible_collections.gopherops.baremetal.plugins.filter.to_env import to_env

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}\Z")
URL = re.compile(r"^https?://[^/:]+")
MEMORY = re.compile(r"^(|infinity|[0-9]+(\.[0-9]+)?[KMGTPE]?|[0-9]+(\.[0-9]+)?%)\Z")
CPU_QUOTA = re.compile(r"^(|[0-9]+(\.[0-9]+)?%)\Z")
CAPABILITY = re.compile(r"^CAP_[A-Z_]+\Z")


def _checks_ok(checks):
    if not isinstance(checks, (list, tuple)) or not checks:
        return False
    for check in checks:
        if not isinstance(check, Mapping) or ("url" not in check and "tcp" not in check):
            return False
        if "url" in check and not (isinstance(check["url"], str) and URL.match(check["url"])):
            return False
    return True


def service_problems(settings):
    if not isinstance(settings, Mapping):
        raise AnsibleFilterError("service_problems: expected a mapping of settings, got %s" % type(settings).__name__)
    s = dict(settings)
    name, version = s.get("name"), s.get("version")
    env, secret_env = s.get("env") or {}, s.get("secret_env") or {}
    checks, capabilities = s.get("health_checks") or [], s.get("capabilities") or []
    memory_max, cpu_quota = s.get("memory_max", ""), s.get("cpu_quota", "")
    if not isinstance(env, Mapping) or not isinstance(secret_env, Mapping):
        raise AnsibleFilterError("service_problems: go_service_env and go_service_secret_env must be mappings")
    out = []
    if not NAME.match(str(name)):
        out.append("go_service_name must be a valid systemd unit name (letters, digits, '_', '.', '-'; got '%s')."
                   % (name,))
    if not str(version):
        out.append("go_service_version must be set.")
    if not RELEASE_ID.match("%s-00000000" % (version,)):
        out.append("go_service_version '%s' makes the release id '%s-<sha256 prefix>', which is not usable as a "
                   "directory name: use letters, digits, '.', '_', '+' and '-' in the version." % (version, version))
    merged = dict(env)
    merged.update(secret_env)
    to_env(merged)   # fails naming the variable and the value it cannot write
    both = [key for key in env if key in secret_env]
    if both:
        out.append("These names are in both go_service_env and go_service_secret_env: %s; keep each in one of them."
                   % (both,))
    if not _checks_ok(checks):
        out.append("go_service_health_checks needs at least one check, each with a 'url' (http:// or https:// with a "
                   "host) or a 'tcp' (host:port); got %s." % (checks,))
    # go_runtime_env fails naming the value when the memory limit, CPU quota or fraction cannot be read
    go_runtime_env(memory_max, cpu_quota=cpu_quota, fraction=s.get("gomemlimit_fraction", 0.9))
    if not (MEMORY.match(str(memory_max)) and CPU_QUOTA.match(str(cpu_quota))
            and all(CAPABILITY.match(str(cap)) for cap in capabilities)):
        out.append("Limits in systemd's syntax: go_service_memory_max like 512M, 2G, 1073741824 or 50%% (got '%s'), "
                   "go_service_cpu_quota like 150%% (got '%s'), go_service_capabilities names like "
                   "CAP_NET_BIND_SERVICE (got %s)." % (memory_max, cpu_quota, capabilities))
    return out


class FilterModule(object):

    def filters(self):
        return {"service_problems": service_problems}
