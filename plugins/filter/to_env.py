# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: to_env
short_description: Render a mapping as an environment file for systemd's EnvironmentFile=
version_added: 0.1.0
description:
  - Writes one C(NAME="value") line per variable, sorted by name, with every value double-quoted and
    the characters that systemd treats specially inside double quotes (C("), C(\), C($), C(`)) escaped,
    so that the service sees exactly the string given. Newlines, spaces and C(#) are kept as they are.
  - Names must match C([A-Za-z_][A-Za-z0-9_]*).
  - Values are converted by one rule; strings stay as they are, booleans become C(true)/C(false),
    integers and floats are written in decimal; null, lists and dictionaries are rejected
    (apply C(to_json) first to pass structured data).
options:
  _input:
    description: Mapping of variable names to values.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Write the service's environment
  ansible.builtin.copy:
    content: "{{ {'LISTEN_ADDR': ':8080', 'GREETING': 'say \"hi\"'} | gopherops.baremetal.to_env }}"
    dest: /etc/hello/hello.env
    mode: "0640"
"""

RETURN = r"""
_value:
  description: The file content, ending with a newline (empty for an empty mapping).
  type: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import EnvFileError, render


def to_env(env):
    try:
        return render(dict(env) if env is not None else None)
    except (EnvFileError, TypeError, ValueError) as exc:
        raise AnsibleFilterError("to_env: %s" % exc)


class FilterModule(object):
    """Environment file filters."""

    def filters(self):
        return {"to_env": to_env}
