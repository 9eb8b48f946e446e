# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: release_plan
short_description: Judge on the controller, from a host's lock, which release it gets and what that changes
version_added: 0.1.0
description:
  - Takes the registered result of M(gopherops.baremetal.deploy_lock) on a host that was given a
    O(gopherops.baremetal.deploy_lock#module:plan) (the version, the build target if any, and the fingerprints of
    P(gopherops.baremetal.release_digest#filter)), and the artifacts of P(gopherops.baremetal.go_build#role).
  - Returns the artifact for the host's target or architecture (as P(gopherops.baremetal.artifact_for#filter)),
    the release id it makes (the version, a dash and the first 8 hex digits of its sha256), and what deploying it
    would change (as P(gopherops.baremetal.release_changes#filter)).
  - Lets a rollout judge every host in one task on the controller instead of one task per host.
  - A host that cannot be judged (no artifact for its target, a lock without a plan) gets a C(problem) that
    names it, rather than an error that would stop the judgement of the other hosts.
options:
  _input:
    description: The registered result of deploy_lock on the host.
    type: dict
    required: true
  artifacts:
    description: The artifacts, target name to a dictionary with at least C(path) and C(sha256).
    type: dict
    required: true
  host:
    description: The host's name, for the messages.
    type: str
    default: this host
"""

EXAMPLES = r"""
- name: Judge every host at once
  ansible.builtin.debug:
    msg: "{{ hostvars[item].lock | gopherops.baremetal.release_plan(go_build_artifacts, host=item) }}"
  loop: "{{ ansible_play_hosts }}"
  run_once: true
"""

RETURN = r"""
_value:
  description:
    - C(artifact), C(release) and C(changes) (empty when the host runs exactly this release);
      or C(problem), a message naming the host, when it cannot be judged.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.artifact_for import artifact_for
from ansible_collections.gopherops.baremetal.plugins.module_utils.release import changes


def release_plan(lock, artifacts, host="this host"):
    """{'artifact', 'release', 'changes'} for the host, or {'problem'}."""
    if not isinstance(lock, dict):
        raise AnsibleFilterError("release_plan: expected the registered result of deploy_lock, got %s"
                                 % type(lock).__name__)
    plan = lock.get("plan")
    if not isinstance(plan, dict) or not plan.get("version"):
        return {"problem": "%s: its lock was taken without a plan to judge (deploy_lock's plan)" % host}
    arch = (lock.get("ansible_facts") or {}).get("ansible_architecture") or "unknown"
    try:
        artifact = artifact_for(artifacts, arch, target=plan.get("target") or "", host=host)
    except AnsibleFilterError as exc:
        return {"problem": "%s: %s" % (host, exc)}
    release = "%s-%s" % (plan["version"], str(artifact.get("sha256") or "")[:8] or "unbuilt")
    observed = (lock.get("app_state") or {}).get("observed")
    return {"artifact": artifact, "release": release,
            "changes": changes(observed, release, str(artifact.get("sha256")), plan.get("env_sha256"),
                               plan.get("unit_sha256"))}


class FilterModule(object):
    """Release planning for a whole fleet."""

    def filters(self):
        return {"release_plan": release_plan}
