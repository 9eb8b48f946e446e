# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: artifact_for
short_description: Pick the build artifact a host runs
version_added: 0.1.0
description:
  - From the artifacts of P(gopherops.baremetal.go_build#role) (keyed by target name, for example
    C(linux_amd64)), the one for a host's target, which is O(target) when it is set, else the target
    of the host's architecture (P(gopherops.baremetal.goarch#filter)).
  - Fails with a message that names the target, the host, its architecture and the targets there are.
  - One short template where a role would otherwise spell the choice and its message in Jinja on
    every host (Ansible compiles each template anew in each task's worker).
options:
  _input:
    description: The artifacts, target name to a dictionary with at least C(path) and C(sha256).
    type: dict
    required: true
  arch:
    description: The host's machine architecture (C(ansible_architecture)).
    type: str
    required: true
  target:
    description: The target to pick instead of the architecture's, for example C(linux_arm_7).
    type: str
    default: ""
  host:
    description: The host's name, for the message.
    type: str
    default: this host
  variable:
    description: The variable that holds the artifacts, for the message.
    type: str
    default: go_service_artifacts
"""

EXAMPLES = r"""
- name: The artifact of this host
  ansible.builtin.debug:
    msg: "{{ go_build_artifacts | gopherops.baremetal.artifact_for(ansible_architecture, host=inventory_hostname) }}"
"""

RETURN = r"""
_value:
  description: The artifact for the host's target, as O(_input) holds it.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.goarch import goarch


def artifact_for(artifacts, arch, target="", host="this host", variable="go_service_artifacts"):
    """The artifact of the host's target, or an error naming what there is."""
    if not isinstance(artifacts, dict):
        raise AnsibleFilterError("artifact_for: %s must be a dictionary of target name to artifact, got %r"
                                 % (variable, type(artifacts).__name__))
    want = target or goarch(arch)["name"]
    if want in artifacts:
        return artifacts[want]
    raise AnsibleFilterError("No artifact for %s (%s is %s) in %s (has: %s). Build for this target with the go_build role "
                             "first." % (want, host, arch, variable, ", ".join(artifacts) or "none"))


class FilterModule(object):
    """Artifact choice."""

    def filters(self):
        return {"artifact_for": artifact_for}
