# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: container_changes
short_description: What a docker-mode release would change on a host, judged on the controller
version_added: 0.1.0
description:
  - The docker-mode twin of P(gopherops.baremetal.release_changes#filter). From what
    M(gopherops.baremetal.deploy_lock) reported (C(app_state.observed) with O(_input) C(container)), and the
    go_container settings, it tells what M(gopherops.baremetal.container_release) would do, without asking the host
    again, in its words; C(switched) (another release is active), C(restarted) (no container, a stopped one, or one
    whose image, options or environment differ, compared through the hash on its label), C(unproven) (the release
    runs but never passed its gate). An empty list means the host runs exactly this release.
options:
  _input:
    description: C(app_state.observed) of deploy_lock, called with C(container).
    type: dict
    required: true
  release_id:
    description: The release to deploy.
    type: str
    required: true
  image_id:
    description: Its image id (M(gopherops.baremetal.go_image)'s C(image_id)).
    type: str
    required: true
  settings:
    description: The parameters container_release gets (C(name), C(base_dir), C(env), C(secret_env), C(ports), C(memory),
      C(cpus), C(user), C(restart_policy), C(log_driver), C(log_options), C(network), C(capabilities), C(read_only),
      C(docker_options), C(args), C(stop_timeout)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Judge what the release would change
  ansible.builtin.set_fact:
    changes: "{{ lock.app_state.observed | gopherops.baremetal.container_changes('1.4.0-1a2b3c4d', image.image_id, settings) }}"
"""

RETURN = r"""
_value:
  description: C(switched), C(restarted), C(unproven), in that order; empty when nothing would change.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils import container_run as cr
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import EnvFileError


def container_changes(observed, release_id, image_id, settings):
    if observed is not None and not isinstance(observed, dict):
        raise AnsibleFilterError("container_changes: expected the app_state.observed mapping of deploy_lock, got %s"
                                 % type(observed).__name__)
    if not isinstance(settings, dict):
        raise AnsibleFilterError("container_changes: settings must be a mapping")
    try:
        spec = cr.expected_spec(dict(settings, release_id=str(release_id)), str(image_id))
    except (cr.SpecError, EnvFileError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("container_changes: %s" % exc)
    return cr.changes(observed, str(release_id), spec)


class FilterModule(object):

    def filters(self):
        return {"container_changes": container_changes}
