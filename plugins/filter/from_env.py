# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: from_env
short_description: Read environment file content the way systemd's EnvironmentFile= reads it
version_added: 0.1.0
description:
  - The reverse of P(gopherops.baremetal.to_env#filter). Parses C(NAME=value) lines with systemd's rules
    (systemd 252, as in Debian 12); comments start with C(#) or C(;); unquoted values lose trailing white
    space; single quotes take everything literally; inside double quotes a backslash escapes C("),
    C(\), C($) and C(`) and a backslash before a newline joins the lines; quoted and bare parts concatenate.
  - Names that are not valid variable names are skipped, as systemd skips them. A later assignment wins.
options:
  _input:
    description: The file content.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Read the service's env file
  ansible.builtin.slurp:
    src: /etc/hello/hello.env
  register: env_file

- name: Show the names it sets
  ansible.builtin.debug:
    msg: "{{ (env_file.content | b64decode | gopherops.baremetal.from_env).keys() | list }}"
"""

RETURN = r"""
_value:
  description: The variables, by name.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_text
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import parse


def from_env(text):
    if not isinstance(text, (str, bytes)):
        raise AnsibleFilterError("from_env: expected the file content as a string, got %s" % type(text).__name__)
    return parse(to_text(text))


class FilterModule(object):
    """Environment file filters."""

    def filters(self):
        return {"from_env": from_env}
