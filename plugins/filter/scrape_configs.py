# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: scrape_configs
short_description: The scrape_configs of a Prometheus that reads file_sd target files
version_added: 0.1.0
description:
  - Prometheus' own job, then one job per target file made by P(gopherops.baremetal.file_sd_targets#filter), in name order.
  - The service's job gets its metrics path and scheme.
  - A probe job asks its blackbox_exporter's C(/probe) with the probe's module, and relabels so that the URL probed is
    the C(target) parameter and the C(instance) label, while the exporter is the address scraped.
options:
  _input:
    description: The target files, job name to entries (the output of file_sd_targets); only the names are used.
    type: dict
    required: true
  directory:
    description: The directory of the target files on the Prometheus server.
    type: str
    required: true
  app:
    description: The service's job name; empty for none.
    type: str
    required: true
  app_path:
    description: The service's metrics path.
    type: str
    default: /metrics
  app_scheme:
    description: The service's scheme.
    type: str
    default: http
  probes:
    description: The probe jobs, as given to file_sd_targets.
    type: list
    elements: dict
    default: []
  app_port:
    description: The service's port, the default port of a probe.
    type: int
    default: 8080
"""

EXAMPLES = r"""
- name: A prometheus.yml's scrape_configs
  ansible.builtin.set_fact:
    scrape: >-
      {{ files | gopherops.baremetal.scrape_configs('/etc/prometheus/file_sd', 'hello',
                                                   probes=[{'name': 'hello_probe', 'module': 'http_2xx'}]) }}
"""

RETURN = r"""
_value:
  description: The scrape_configs list.
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils.prometheus import TargetError, scrape_configs as build


def scrape_configs(jobs, directory, app, app_path="/metrics", app_scheme="http", probes=None, app_port=8080):
    try:
        return build(jobs, directory, app, app_path, app_scheme, probes, app_port)
    except TargetError as exc:
        raise AnsibleFilterError(str(exc))


class FilterModule(object):
    """Prometheus configuration filters."""

    def filters(self):
        return {"scrape_configs": scrape_configs}
