# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: filebeat_problems
short_description: Everything wrong with Filebeat settings, as a list
version_added: 0.1.0
description:
  - Takes the same input and options as P(gopherops.baremetal.filebeat_config#filter) and returns every problem
    that filter would raise, each naming its setting, or an empty list. A role can then refuse bad settings in
    one task, with its own checks in the same list, before any host changes.
  - No secret value appears in a problem.
options:
  _input:
    description: The services deployed on the host, as for P(gopherops.baremetal.filebeat_config#filter).
    type: list
    elements: dict
    required: true
  extra_inputs:
    description: As for P(gopherops.baremetal.filebeat_config#filter).
    type: list
    elements: dict
    default: []
  output:
    description: As for P(gopherops.baremetal.filebeat_config#filter).
    type: dict
    required: true
  processors:
    description: As for P(gopherops.baremetal.filebeat_config#filter).
    type: list
    elements: dict
  env:
    description: As for P(gopherops.baremetal.filebeat_config#filter).
    type: str
    default: ""
  settings:
    description: As for P(gopherops.baremetal.filebeat_config#filter).
    type: dict
    default: {}
  modules:
    description: As for P(gopherops.baremetal.filebeat_config#filter).
    type: dict
    default: {}
  inputs_dir:
    description: As for P(gopherops.baremetal.filebeat_config#filter).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Refuse bad Filebeat settings
  ansible.builtin.fail:
    msg: "{{ problems | join(' ') }}"
  when: problems | length > 0
  vars:
    problems: "{{ filebeat_services | gopherops.baremetal.filebeat_problems(output=filebeat_output) }}"
"""

RETURN = r"""
_value:
  description: The problems, empty when the settings make a valid configuration.
  type: list
  elements: str
"""

from ansible_collections.gopherops.baremetal.plugins.module_utils.filebeat import problems


def filebeat_problems(services, extra_inputs=None, output=None, processors=None, env="", settings=None, modules=None,
                      inputs_dir=False):
    return problems(services=services, extra_inputs=extra_inputs, output=output, processors=processors,
                    modules=modules, inputs_dir=inputs_dir,
                    env=env, settings=settings)


class FilterModule(object):
    """Filebeat filters."""

    def filters(self):
        return {"filebeat_problems": filebeat_problems}
