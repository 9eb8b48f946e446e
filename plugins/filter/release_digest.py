# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: release_digest
short_description: Fingerprints of the environment file and unit a release would write
version_added: 0.1.0
description:
  - The sha256 of the environment file that M(gopherops.baremetal.systemd_release) would write from
    O(_input) and O(secret_env), and of the unit text O(unit), as the host reports them in
    C(app_state.observed) of M(gopherops.baremetal.deploy_lock).
  - A rollout passes these to the lock of each host (its O(gopherops.baremetal.deploy_lock#module:plan)),
    so that, once the artifacts are built, one task on the controller judges every host with
    P(gopherops.baremetal.release_plan#filter). Only hashes leave the filter; no value of O(secret_env) does.
options:
  _input:
    description: The service's environment (as systemd_release O(gopherops.baremetal.systemd_release#module:env)).
    type: dict
    required: true
  secret_env:
    description: The service's secret environment.
    type: dict
    default: {}
  unit:
    description: The unit file's text.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Fingerprints of what this host would get
  ansible.builtin.debug:
    msg: "{{ app_env | gopherops.baremetal.release_digest(app_secrets, lookup('ansible.builtin.template', 'service.j2')) }}"
"""

RETURN = r"""
_value:
  description: C(env_sha256) and C(unit_sha256).
  type: dict
"""

import hashlib

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_bytes
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import EnvFileError, render_service_env


def _sha256(text):
    return hashlib.sha256(to_bytes(text, errors="surrogate_or_strict")).hexdigest()


def release_digest(env, secret_env=None, unit=None):
    """{'env_sha256', 'unit_sha256'} of the files a release writes."""
    if unit is None:
        raise AnsibleFilterError("release_digest: 'unit' (the unit file's text) is required")
    try:
        env_text = render_service_env(env, secret_env)
    except (EnvFileError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("release_digest: %s" % exc)
    return {"env_sha256": _sha256(env_text), "unit_sha256": _sha256(unit)}


class FilterModule(object):
    """Release fingerprints."""

    def filters(self):
        return {"release_digest": release_digest}
