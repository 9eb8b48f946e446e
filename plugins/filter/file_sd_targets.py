# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: file_sd_targets
short_description: Prometheus file_sd target lists, one per job, from the hosts of a fleet
version_added: 0.1.0
description:
  - Builds the content of each job's file_sd file (a list of C(targets) and C(labels) entries, one entry per host so
    that each host carries its own labels) for the Go service and for each exporter.
  - Every entry has the labels C(env), C(host) and, for the service's job, C(app) and C(version) (the release the host
    runs or is to run); O(labels) are added to all.
  - Fails naming the setting when a port, a job name or a host address is not usable, so nothing half-made is written.
options:
  _input:
    description: The hosts, each a dict with C(name), C(address) (how Prometheus reaches it) and C(version).
    type: list
    elements: dict
    required: true
  app:
    description: Name of the service's job (its C(app) label); empty for no service job.
    type: str
    required: true
  app_port:
    description: Port of the service's C(/metrics).
    type: int
    required: true
  exporters:
    description: Job name to port of each exporter, for example node to 9100.
    type: dict
    required: true
  env:
    description: The C(env) label.
    type: str
    required: true
  labels:
    description: More labels for every target.
    type: dict
    default: {}
  probes:
    description:
      - Probe jobs, each a dict with C(name) (the job), C(module) (the blackbox_exporter module), C(path) (default
        C(/readyz)), C(port) (default O(app_port)), C(scheme) (C(http) or C(https), default C(http)) and C(exporter)
        (the host:port of the blackbox_exporter that probes, default C(127.0.0.1:9115); used by P(gopherops.baremetal.scrape_configs#filter)).
      - Each host is one target, the URL C(scheme://address:port/path), labelled like the service's job (with C(app)
        and C(version) when O(app) is set). Prometheus asks the exporter named in the job to probe it.
    type: list
    elements: dict
    default: []
"""

EXAMPLES = r"""
- name: The target files' contents
  ansible.builtin.set_fact:
    files: >-
      {{ [{'name': 'app1', 'address': 'app1.example.com', 'version': '1.4.0'}]
         | gopherops.baremetal.file_sd_targets('hello', 8080, {'node': 9100}, 'production') }}

- name: With a probe job whose targets are the service's URLs
  ansible.builtin.set_fact:
    files: >-
      {{ hosts | gopherops.baremetal.file_sd_targets('hello', 8080, {}, 'production',
                                                    probes=[{'name': 'hello_probe', 'module': 'http_2xx'}]) }}
"""

RETURN = r"""
_value:
  description: Job name to the list that its file holds.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils.prometheus import TargetError, targets


def file_sd_targets(hosts, app, app_port, exporters, env, labels=None, probes=None):
    try:
        return targets(hosts, app, app_port, exporters, env, labels, probes)
    except TargetError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """Prometheus target filters."""

    def filters(self):
        return {"file_sd_targets": file_sd_targets}
