# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: lb_problem
short_description: What went wrong for one server in one load balancer's haproxy_server result
version_added: 0.1.0
description:
  - A rollout drains a whole batch in one M(gopherops.baremetal.haproxy_server) call per load balancer; each host
    then asks this filter whether its own server reached the state, so that each host fails on its own.
  - Returns an empty string when the server is where it should be, else a sentence naming the load balancer,
    the server and its status (or why the load balancer could not be asked).
options:
  _input:
    description: One registered loop item of the haproxy_server task (the loop item is the load balancer).
    type: dict
    required: true
  server:
    description: The server name of this host in HAProxy.
    type: str
    required: true
  state:
    description: The state asked for, C(drained) or C(enabled).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Fail when this host's server is not in maintenance
  ansible.builtin.assert:
    that: (lb_result.results | map('gopherops.baremetal.lb_problem', 'app1', 'drained') | select | list) == []
"""

RETURN = r"""
_value:
  description: Empty, or what is wrong.
  type: str
"""


def lb_problem(result, server, state):
    result = result or {}
    lb = result.get("item") or result.get("_ansible_delegated_vars", {}).get("ansible_host") or "the load balancer"
    if result.get("unreachable"):
        return "%s could not be reached: %s" % (lb, (result.get("msg") or "").strip())
    info = (result.get("servers") or {}).get(server)
    if info:
        status = info.get("after") or ""
        if state == "drained" and not status.startswith("MAINT"):
            return "%s still has %s in rotation (%s)" % (lb, server, status)
        if state == "enabled" and not status.startswith("UP"):
            return "%s does not report %s UP (%s): %s" % (lb, server, status, result.get("msg") or "")
        return ""
    if result.get("failed"):
        return "%s: %s" % (lb, result.get("msg") or "the haproxy_server task failed")
    return "%s did not handle %s" % (lb, server)


class FilterModule(object):
    """Load balancer filters."""

    def filters(self):
        return {"lb_problem": lb_problem}
