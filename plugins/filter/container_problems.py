# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_problems
short_description: Every problem of the go_container role's settings, each naming its variable
version_added: 0.1.0
description:
  - Checks docker-mode settings before any host changes and returns one sentence per problem, empty when there
    is none. It finds a container name Docker refuses, a missing or unusable version, a port that is not
    C([ip:][host_port:]container_port[/proto]) or a host port published twice, a memory limit Docker cannot read
    (or below its 6 MB minimum), a CPU count that is not a positive number, a user that is not a numeric uid other
    than root, a name in both the plain and the secret environment, no health check, an unknown restart policy,
    log options that are not a mapping, C(keep_releases) below 1, a GOMEMLIMIT fraction outside (0, 1].
options:
  _input:
    description: The settings, keyed by the variable names without the C(go_container_) prefix
      (C(name), C(version), C(ports), C(memory), C(cpus), C(user), C(env), C(secret_env), C(health_checks),
      C(restart_policy), C(log_options), C(keep_releases), C(gomemlimit_fraction)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Stop on bad docker-mode settings
  ansible.builtin.fail:
    msg: "{{ problems | join(' ') }}"
  when: problems | length > 0
  vars:
    problems: "{{ {'name': 'hello', 'version': '1.4.0', 'ports': ['8080:8080'], 'memory': '512m'}
                  | gopherops.baremetal.container_problems }}"
"""

RETURN = r"""
_value:
  description: The problems, empty when there is none.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils import container_run as cr


def container_problems(settings):
    if not isinstance(settings, dict):
        raise AnsibleFilterError("container_problems: expected a mapping of settings, got %s" % type(settings).__name__)
    return cr.problems(settings)


class FilterModule(object):

    def filters(self):
        return {"container_problems": container_problems}
