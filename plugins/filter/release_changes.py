# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: release_changes
short_description: What deploying a release would change on a host, judged on the controller
version_added: 0.1.0
description:
  - Compares what a host reported (C(app_state.observed) of M(gopherops.baremetal.deploy_lock)) with the release
    M(gopherops.baremetal.systemd_release) would deploy there, that is the binary, the environment file rendered
    from O(env) and O(secret_env), the unit text, the account, and the unit's state.
  - A rollout learns in its lock round trip what each host runs and decides here which hosts need a change,
    without asking each host again; hosts with nothing to change are left alone.
  - Returns the list of changes in systemd_release's words (C(uploaded), C(switched), C(env_changed),
    C(unit_changed), C(restarted)) plus C(account) (user or group missing), C(enabled) (unit not enabled)
    and C(unproven) (the release runs but never passed its health gate). An empty list means the host runs
    exactly this release.
  - Not compared, so left to the next deploy that changes something else, are the modes of the release directories and
    the pruning of releases beyond C(keep_releases).
  - Secret values are only hashed; the result names changes, never values.
options:
  _input:
    description: C(app_state.observed) from deploy_lock.
    type: dict
    required: true
  release_id:
    description: The release id to deploy.
    type: str
    required: true
  sha256:
    description: sha256 of the release's binary.
    type: str
    required: true
  env:
    description: The service's environment (as systemd_release O(gopherops.baremetal.systemd_release#module:env)).
    type: dict
    default: {}
  secret_env:
    description: The service's secret environment (as systemd_release O(gopherops.baremetal.systemd_release#module:secret_env)).
    type: dict
    default: {}
  unit:
    description: The unit file's text.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Decide whether this host needs the release
  ansible.builtin.set_fact:
    needs: "{{ lock.app_state.observed | gopherops.baremetal.release_changes('1.2.0-0123abcd', artifact.sha256,
               env=app_env, secret_env=app_secrets, unit=lookup('ansible.builtin.template', 'service.j2')) }}"
"""

RETURN = r"""
_value:
  description: The changes, empty when there is none.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.release_digest import release_digest
from ansible_collections.gopherops.baremetal.plugins.module_utils.release import changes


def release_changes(observed, release_id, sha256, env=None, secret_env=None, unit=None):
    if observed is not None and not isinstance(observed, dict):
        raise AnsibleFilterError("release_changes: expected the app_state.observed mapping of deploy_lock, got %s"
                                 % type(observed).__name__)
    try:
        digest = release_digest(env, secret_env, unit)
    except AnsibleFilterError as exc:
        raise AnsibleFilterError(str(exc).replace("release_digest", "release_changes", 1))
    return changes(observed, str(release_id), str(sha256), digest["env_sha256"], digest["unit_sha256"])


class FilterModule(object):
    """Release planning filters."""

    def filters(self):
        return {"release_changes": release_changes}
