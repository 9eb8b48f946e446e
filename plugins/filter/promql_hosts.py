# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: promql_hosts
short_description: Host names as one regex that fits inside a double-quoted PromQL string
version_added: 0.1.0
description:
  - Joins the names with C(|), each with its regex characters escaped, and then escapes the backslashes and double
    quotes again for PromQL's string syntax, so that C(host=~"<result>") matches exactly those hosts (names with dots
    and dashes such as C(app-1.example.com) included).
  - The rollout's metrics gate puts it in place of C($hosts) in O(rollout_metrics_gate_query).
options:
  _input:
    description: The host names.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: A selector for the batch's hosts
  ansible.builtin.debug:
    msg: 'up{host=~"{{ ansible_play_batch | gopherops.baremetal.promql_hosts }}"}'
"""

RETURN = r"""
_value:
  description: The regex, escaped for a double-quoted PromQL string.
  type: str
"""

import re


def promql_hosts(hosts):
    pattern = "|".join(re.escape(str(h)) for h in hosts or [])
    return pattern.replace("\\", "\\\\").replace('"', '\\"')


class FilterModule(object):
    """PromQL filters."""

    def filters(self):
        return {"promql_hosts": promql_hosts}
